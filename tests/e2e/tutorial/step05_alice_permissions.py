# alice_permissions.py
import nexus

alice = nexus.connect(config={
    "url": "http://localhost:2026",
    "api_key": "alice_key_here"
})

# Grant Bob read and write access to the project
alice.grant_permission(
    subject_type="user",
    subject_id="bob",
    object_type="file",
    object_id="/workspace/team-project",
    relation="can_write"
)
print("✅ Bob granted write access to team-project")

# Grant Carol read access (she can view but not edit)
alice.grant_permission(
    subject_type="user",
    subject_id="carol",
    object_type="file",
    object_id="/workspace/team-project",
    relation="can_read"
)
print("✅ Carol granted read access to team-project")

# Verify permissions
can_bob_write = alice.check_permission(
    subject_type="user",
    subject_id="bob",
    object_type="file",
    object_id="/workspace/team-project/design-doc.md",
    relation="can_write"
)
can_carol_write = alice.check_permission(
    subject_type="user",
    subject_id="carol",
    object_type="file",
    object_id="/workspace/team-project/design-doc.md",
    relation="can_write"
)
print(f"Can Bob write? {can_bob_write}") # True
print(f"Can Carol write? {can_carol_write}") # False
