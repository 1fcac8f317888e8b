# Create admin user
nexus admin create-user admin \
  --name "Admin User" \
  --email "admin@example.com"
# Create team members
nexus admin create-user alice \
  --name "Alice Smith" \
  --email "alice@example.com"
nexus admin create-user bob \
  --name "Bob Jones" \
  --email "bob@example.com"
nexus admin create-user carol \
  --name "Carol White" \
  --email "carol@example.com"
# List all users
nexus admin list-users
