# Start server with authentication enabled
nexus serve --host 0.0.0.0 --port 2026 --data-dir ./nexus-collab-data &
# Wait for server to start
sleep 2
# Verify server is running
curl http://localhost:2026/health
