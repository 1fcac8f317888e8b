# test preamble: not in the tutorial. The snippet uses `nx` without defining it: Alice's client.
import nexus

nx = nexus.connect(config={"url": "http://localhost:2026", "api_key": "alice_key_here"})
# end test preamble

# ✅ Good: Use groups
nx.create_group("engineering")
nx.add_user_to_group("alice", "engineering")
nx.add_user_to_group("bob", "engineering")
nx.grant_permission(
    subject_type="group",
    subject_id="engineering",
    object_type="file",
    object_id="/workspace/eng",
    relation="can_write"
)
