# test preamble: not in the tutorial. The snippet uses `nx` without defining it: Alice's client
# (she owns /workspace/team-project).
import nexus

nx = nexus.connect(config={"url": "http://localhost:2026", "api_key": "alice_key_here"})
# end test preamble

# Grant on directory
nx.grant_permission(
    subject_type="user",
    subject_id="bob",
    object_type="file",
    object_id="/workspace/team-project",
    relation="can_write"
)
# Bob automatically has access to all files in the directory
# /workspace/team-project/file1.txt ✅
# /workspace/team-project/subdir/file2.txt ✅
