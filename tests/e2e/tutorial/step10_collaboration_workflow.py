# collaboration_workflow.py
import nexus
import json
from datetime import datetime


class CollaborationWorkflow:
    def __init__(self, user_name, api_key):
        self.user_name = user_name
        self.nx = nexus.connect(config={
            "url": "http://localhost:2026",
            "api_key": api_key
        })

    def claim_file(self, file_path):
        """Claim a file for editing (simple locking)"""
        lock_path = f"{file_path}.lock"
        # Check if file is locked
        if self.nx.exists(lock_path):
            lock_info = json.loads(self.nx.read(lock_path).decode())
            print(f"⚠️ File locked by {lock_info['user']} at {lock_info['time']}")
            return False
        # Create lock
        lock_data = {
            "user": self.user_name,
            "time": datetime.now().isoformat()
        }
        self.nx.write(lock_path, json.dumps(lock_data).encode())
        print(f"🔒 {self.user_name} claimed {file_path}")
        return True

    def release_file(self, file_path):
        """Release file lock"""
        lock_path = f"{file_path}.lock"
        if self.nx.exists(lock_path):
            self.nx.delete(lock_path)
            print(f"🔓 {self.user_name} released {file_path}")

    def add_comment(self, file_path, comment):
        """Add a comment to a file"""
        comments_path = f"{file_path}.comments.json"
        # Load existing comments
        if self.nx.exists(comments_path):
            comments = json.loads(self.nx.read(comments_path).decode())
        else:
            comments = []
        # Add new comment
        comments.append({
            "user": self.user_name,
            "time": datetime.now().isoformat(),
            "comment": comment
        })
        self.nx.write(comments_path, json.dumps(comments, indent=2).encode())
        print(f"💬 {self.user_name} commented on {file_path}")

    def get_comments(self, file_path):
        """Get all comments for a file"""
        comments_path = f"{file_path}.comments.json"
        if not self.nx.exists(comments_path):
            return []
        return json.loads(self.nx.read(comments_path).decode())


# Usage example
alice_flow = CollaborationWorkflow("alice", "alice_key_here")
bob_flow = CollaborationWorkflow("bob", "bob_key_here")

# Alice claims and edits a file
file_path = "/workspace/team-project/design-doc.md"
if alice_flow.claim_file(file_path):
    # Alice edits the file
    content = alice_flow.nx.read(file_path)
    updated = content + b"\n\n## Updated by Alice\nNew section added."
    alice_flow.nx.write(file_path, updated)
    # Alice adds a comment
    alice_flow.add_comment(file_path, "Updated the architecture section")
    # Alice releases the file
    alice_flow.release_file(file_path)

# Bob tries to claim the same file
if bob_flow.claim_file(file_path):
    # Bob can now edit
    bob_flow.add_comment(file_path, "Looks good! I'll add the API details.")
    bob_flow.release_file(file_path)

# View all comments
comments = alice_flow.get_comments(file_path)
print(f"\n💬 Comments on {file_path}:")
for comment in comments:
    print(f" [{comment['user']}] {comment['comment']}")
