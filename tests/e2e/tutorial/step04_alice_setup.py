# alice_setup.py
import nexus

# Alice connects to the server
alice = nexus.connect(config={
    "url": "http://localhost:2026",
    "api_key": "alice_key_here" # Replace with actual key
})

# Alice creates a shared project workspace
alice.mkdir("/workspace/team-project")
alice.write(
    "/workspace/team-project/README.md",
    b"""# Team Project
Welcome to our collaborative project!
## Team Members
- Alice (Project Lead)
- Bob (Developer)
- Carol (Designer)
## Guidelines
- Use descriptive file names
- Add comments to your work
- Coordinate on shared files
"""
)
print("✅ Alice created shared workspace")

# Alice creates a document
alice.write(
    "/workspace/team-project/design-doc.md",
    b"""# Design Document
## Overview
This is our project design document.
## Architecture
- Frontend: React
- Backend: Python
- Database: PostgreSQL
- Storage: Nexus
Created by: Alice
"""
)
print("✅ Alice created design document")
