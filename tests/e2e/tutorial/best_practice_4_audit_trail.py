# test preamble: not in the tutorial. The snippet uses `nx`, `json` and `datetime` without
# defining them: `nx` is Alice's client.
import json
from datetime import datetime

import nexus

nx = nexus.connect(config={"url": "http://localhost:2026", "api_key": "alice_key_here"})
# end test preamble

# ✅ Good: Maintain audit log
def log_access(user, action, file_path):
    log_entry = {
        "timestamp": datetime.now().isoformat(),
        "user": user,
        "action": action,
        "file": file_path
    }
    nx.append(
        "/workspace/.audit/access.log",
        (json.dumps(log_entry) + '\n').encode()
    )

# test epilogue: the tutorial only defines log_access; log two accesses.
log_access("alice", "read", "/workspace/team-project/design-doc.md")
log_access("bob", "write", "/workspace/team-project/implementation.md")
# end test epilogue
