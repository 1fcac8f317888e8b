# test preamble: not in the tutorial. The snippet uses `nx`, `file_path` and `json` without
# defining them: `nx` is Bob's client, and Alice holds a lock (step 10's format) on the file.
import json
from datetime import datetime

import nexus

nx = nexus.connect(config={"url": "http://localhost:2026", "api_key": "bob_key_here"})
alice = nexus.connect(config={"url": "http://localhost:2026", "api_key": "alice_key_here"})
file_path = "/workspace/team-project/api.py"
alice.write(
    f"{file_path}.lock",
    json.dumps({"user": "alice", "time": datetime.now().isoformat()}).encode(),
)
# end test preamble

# Check lock status
lock_path = f"{file_path}.lock"
if nx.exists(lock_path):
    lock_info = json.loads(nx.read(lock_path).decode())
    print(f"Locked by: {lock_info['user']}")
    print(f"Since: {lock_info['time']}")
    # Contact user or wait for release
    # Or implement lock timeout mechanism

# test epilogue: Alice releases her lock again
alice.delete(lock_path)
# end test epilogue
