#!/usr/bin/env python3
"""
Team Collaboration System with Nexus
Demonstrates: multi-user, permissions, sessions, locking
"""
import nexus
import json
from datetime import datetime
from typing import List, Dict, Optional


class TeamCollaboration:
    """Manage team collaboration with Nexus"""

    def __init__(self, server_url: str):
        self.server_url = server_url
        self.users = {}

    def add_user(self, username: str, api_key: str):
        """Register a user"""
        self.users[username] = nexus.connect(config={
            "url": self.server_url,
            "api_key": api_key
        })
        print(f"✅ Registered user: {username}")

    def create_shared_workspace(self, owner: str, workspace_path: str):
        """Create a shared workspace"""
        nx = self.users[owner]
        nx.mkdir(workspace_path)
        # Create metadata
        metadata = {
            "owner": owner,
            "created": datetime.now().isoformat(),
            "type": "shared_workspace"
        }
        nx.write(
            f"{workspace_path}/.metadata.json",
            json.dumps(metadata, indent=2).encode()
        )
        print(f"✅ {owner} created workspace: {workspace_path}")

    def share_with_user(
        self,
        owner: str,
        workspace_path: str,
        user: str,
        permission: str = "can_read"
    ):
        """Share workspace with another user"""
        nx = self.users[owner]
        nx.grant_permission(
            subject_type="user",
            subject_id=user,
            object_type="file",
            object_id=workspace_path,
            relation=permission
        )
        print(f"✅ {owner} granted {user} '{permission}' on {workspace_path}")

    def create_document(
        self,
        username: str,
        file_path: str,
        content: str,
        notify_users: Optional[List[str]] = None
    ):
        """Create a document and optionally notify team members"""
        nx = self.users[username]
        # Write document
        nx.write(file_path, content.encode())
        print(f"✅ {username} created: {file_path}")
        # Add metadata
        metadata = {
            "author": username,
            "created": datetime.now().isoformat(),
            "notified": notify_users or []
        }
        nx.write(
            f"{file_path}.meta.json",
            json.dumps(metadata, indent=2).encode()
        )
        # Notify team members (by creating notification files)
        if notify_users:
            for user in notify_users:
                notification = {
                    "from": username,
                    "message": f"New document created: {file_path}",
                    "time": datetime.now().isoformat(),
                    "action": "view",
                    "target": file_path
                }
                notif_path = f"/workspace/.notifications/{user}/{datetime.now().timestamp()}.json"
                nx.write(notif_path, json.dumps(notification).encode())
            print(f" Notified: {', '.join(notify_users)}")

    def get_activity_log(self, workspace_path: str) -> List[Dict]:
        """Get activity log for a workspace"""
        # In production, this would query version history or event logs
        # For demo, we'll return a sample
        return [
            {"user": "alice", "action": "created", "file": "design-doc.md"},
            {"user": "bob", "action": "updated", "file": "implementation.md"},
            {"user": "carol", "action": "viewed", "file": "design-doc.md"}
        ]

    def list_team_files(self, username: str, workspace_path: str) -> List[Dict]:
        """List files user has access to"""
        nx = self.users[username]
        try:
            files = nx.list_files(workspace_path, recursive=True)
            return files
        except nexus.NexusPermissionError:
            print(f"❌ {username} does not have access to {workspace_path}")
            return []


# Demo usage
def main():
    # Server configuration
    SERVER_URL = "http://localhost:2026"
    # API keys (replace with actual keys)
    ALICE_KEY = "alice_key_here"
    BOB_KEY = "bob_key_here"
    CAROL_KEY = "carol_key_here"

    # Initialize collaboration system
    collab = TeamCollaboration(SERVER_URL)

    # Register users
    collab.add_user("alice", ALICE_KEY)
    collab.add_user("bob", BOB_KEY)
    collab.add_user("carol", CAROL_KEY)

    # Alice creates shared workspace
    workspace = "/workspace/team-project"
    collab.create_shared_workspace("alice", workspace)

    # Alice shares with team
    collab.share_with_user("alice", workspace, "bob", "can_write")
    collab.share_with_user("alice", workspace, "carol", "can_read")

    # Alice creates a document and notifies team
    collab.create_document(
        "alice",
        f"{workspace}/project-brief.md",
        """# Project Brief
## Overview
This is our new collaborative project.
## Timeline
- Week 1: Planning
- Week 2: Development
- Week 3: Testing
- Week 4: Launch
""",
        notify_users=["bob", "carol"]
    )

    # Bob contributes
    collab.create_document(
        "bob",
        f"{workspace}/technical-spec.md",
        """# Technical Specification
## Architecture
- Frontend: React
- Backend: FastAPI
- Database: PostgreSQL
- Storage: Nexus
""",
        notify_users=["alice"]
    )

    # List files each user can see
    print("\n📁 Files accessible to each user:")
    for user in ["alice", "bob", "carol"]:
        files = collab.list_team_files(user, workspace)
        print(f"\n{user}:")
        for file in files:
            print(f" - {file['path']}")


if __name__ == "__main__":
    main()
