# test preamble: not in the tutorial. The snippet uses `nx` without defining it: here it is
# Alice's client, and /workspace/shared is her folder, shared with Carol for reading only.
import nexus

nx = nexus.connect(config={"url": "http://localhost:2026", "api_key": "alice_key_here"})
nx.mkdir("/workspace/shared")
nx.grant_permission("user", "carol", "file", "/workspace/shared", "can_read")
# end test preamble

# Check current permissions
permissions = nx.list_permissions(
    object_type="file",
    object_id="/workspace/shared"
)
for perm in permissions:
    print(f"{perm['subject_id']} has {perm['relation']}")

# Grant missing permission
nx.grant_permission(
    subject_type="user",
    subject_id="bob",
    object_type="file",
    object_id="/workspace/shared",
    relation="can_write"
)

# test epilogue: show the permissions again, now that the grant exists
for perm in nx.list_permissions(object_type="file", object_id="/workspace/shared"):
    print(f"TEST after: {perm['subject_id']} has {perm['relation']}")
# end test epilogue
