# bob_contributes.py
import nexus

bob = nexus.connect(config={
    "url": "http://localhost:2026",
    "api_key": "bob_key_here"
})

# Bob reads the design doc
design_doc = bob.read("/workspace/team-project/design-doc.md").decode()
print("📄 Bob read design document")

# Bob adds implementation details
implementation = b"""# Implementation Plan
## Backend Development (Bob)
### Phase 1: API Development
- [ ] Set up FastAPI server
- [ ] Create database models
- [ ] Implement authentication
- [ ] Add Nexus integration
### Phase 2: Testing
- [ ] Unit tests
- [ ] Integration tests
- [ ] Load testing
Created by: Bob
"""
bob.write("/workspace/team-project/implementation.md", implementation)
print("✅ Bob created implementation plan")

# Bob creates a code file
bob.write(
    "/workspace/team-project/api.py",
    b"""\"\"\"
Team Project API
Author: Bob
\"\"\"
from fastapi import FastAPI
import nexus
app = FastAPI()
nx = nexus.connect()
@app.get("/files")
async def list_files():
    \"\"\"List all project files\"\"\"
    files = nx.list_files("/workspace/team-project")
    return {"files": files}
@app.post("/files/{path}")
async def create_file(path: str, content: str):
    \"\"\"Create a new file\"\"\"
    nx.write(f"/workspace/team-project/{path}", content.encode())
    return {"status": "created", "path": path}
"""
)
print("✅ Bob created API code")
