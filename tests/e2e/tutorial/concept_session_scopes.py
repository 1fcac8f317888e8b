# test preamble: not in the tutorial. The snippet uses `nx` without defining it: Bob's client.
import json

import nexus

nx = nexus.connect(config={"url": "http://localhost:2026", "api_key": "bob_key_here"})
# end test preamble

# Create temporary session (auto-expires)
session = nx.create_session(
    name="temp-work",
    ttl=3600 # 1 hour
)

# test epilogue: show the session to the test
print(f"TEST session={json.dumps(session)}")
# end test epilogue
