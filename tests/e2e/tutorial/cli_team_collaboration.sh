# Create users
nexus admin create-user alice --name "Alice" --email "alice@example.com"
nexus admin create-user bob --name "Bob" --email "bob@example.com"
# Create API keys
nexus admin create-user-key alice --description "Alice's key"
nexus admin create-user-key bob --description "Bob's key"
# Grant permissions (using rebac commands)
nexus rebac grant user alice file /workspace/shared --relation owner
nexus rebac grant user bob file /workspace/shared --relation can_write
# Check permissions
nexus rebac check user bob file /workspace/shared --relation can_write
# List all permissions
nexus rebac list --subject-type user --subject-id alice
# Create groups
nexus admin create-group developers
nexus admin add-user-to-group bob developers
# Grant group permissions
nexus rebac grant group developers file /workspace/dev --relation can_write
