# ❌ Bad: Grant individually (hard to maintain)
nx.grant_permission(subject_type="user", subject_id="alice", ...)
nx.grant_permission(subject_type="user", subject_id="bob", ...)
