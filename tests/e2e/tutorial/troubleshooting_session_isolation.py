# test preamble: not in the tutorial. The snippet uses `nx` without defining it: Alice's client.
import nexus

nx = nexus.connect(config={"url": "http://localhost:2026", "api_key": "alice_key_here"})
# end test preamble

# Ensure using session-specific paths
session = nx.create_session(name="my-session")
session_id = session['id']

# Use session prefix in all paths
nx.write(f"/sessions/{session_id}/private.txt", b"data")
# NOT: nx.write("/workspace/private.txt", b"data")

# test epilogue: tell the test which session was made
print(f"TEST session_id={session_id}")
# end test epilogue
