# session_isolation.py
import nexus

# Alice creates a session for her work
alice = nexus.connect(config={
    "url": "http://localhost:2026",
    "api_key": "alice_key_here"
})

# Create session-scoped workspace
alice_session = alice.create_session(
    name="alice-research",
    description="Alice's research workspace"
)
print(f"✅ Created session: {alice_session['id']}")

# Alice's session-scoped work (isolated from team)
alice.write(
    f"/sessions/{alice_session['id']}/notes.md",
    b"""# Private Research Notes
These are my personal notes, not shared with the team.
## Ideas
- New feature concept
- Performance optimization ideas
- Architecture improvements
"""
)
print("✅ Alice created private session notes")

# Bob creates his own session
bob = nexus.connect(config={
    "url": "http://localhost:2026",
    "api_key": "bob_key_here"
})
bob_session = bob.create_session(
    name="bob-experiments",
    description="Bob's experimental code"
)
bob.write(
    f"/sessions/{bob_session['id']}/experiment.py",
    b"""# Experimental Code
# This is Bob's private testing area
import nexus
def test_feature():
    # Testing new ideas...
    pass
"""
)
print(f"✅ Bob created session: {bob_session['id']}")

# Sessions are isolated - Alice cannot see Bob's session files
try:
    alice.read(f"/sessions/{bob_session['id']}/experiment.py")
except nexus.NexusPermissionError:
    print("✅ Session isolation working - Alice cannot access Bob's session")

# List Alice's sessions
alice_sessions = alice.list_sessions()
print(f"\n📋 Alice's sessions: {len(alice_sessions)}")
for session in alice_sessions:
    print(f" - {session['name']}: {session['description']}")
