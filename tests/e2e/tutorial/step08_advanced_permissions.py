# advanced_permissions.py
import nexus

alice = nexus.connect(config={
    "url": "http://localhost:2026",
    "api_key": "alice_key_here"
})

# Create a hierarchy of workspaces
alice.mkdir("/workspace/team-project/public")
alice.mkdir("/workspace/team-project/internal")
alice.mkdir("/workspace/team-project/confidential")

# Public: Everyone can read
alice.grant_permission(
    subject_type="user",
    subject_id="bob",
    object_type="file",
    object_id="/workspace/team-project/public",
    relation="can_read"
)
alice.grant_permission(
    subject_type="user",
    subject_id="carol",
    object_type="file",
    object_id="/workspace/team-project/public",
    relation="can_read"
)

# Internal: Bob can write, Carol can read
alice.grant_permission(
    subject_type="user",
    subject_id="bob",
    object_type="file",
    object_id="/workspace/team-project/internal",
    relation="can_write"
)
alice.grant_permission(
    subject_type="user",
    subject_id="carol",
    object_type="file",
    object_id="/workspace/team-project/internal",
    relation="can_read"
)

# Confidential: Only Alice (owner) has access
# No additional grants needed - owner has all permissions
print("✅ Permission hierarchy configured:")
print(" - Public: Bob (read), Carol (read)")
print(" - Internal: Bob (write), Carol (read)")
print(" - Confidential: Alice only")

# Create sample files
alice.write("/workspace/team-project/public/README.md", b"Public information")
alice.write("/workspace/team-project/internal/specs.md", b"Internal specifications")
alice.write("/workspace/team-project/confidential/strategy.md", b"Confidential strategy")

# Test permissions
bob = nexus.connect(config={"url": "http://localhost:2026", "api_key": "bob_key_here"})

# Bob can read public
public_content = bob.read("/workspace/team-project/public/README.md")
print("✅ Bob read public file")

# Bob cannot read confidential
try:
    bob.read("/workspace/team-project/confidential/strategy.md")
except nexus.NexusPermissionError:
    print("✅ Bob cannot read confidential file (expected)")
