# groups.py
import nexus

admin = nexus.connect(config={
    "url": "http://localhost:2026",
    "api_key": "admin_key_here"
})

# Create a "developers" group
admin.create_group("developers", description="Development team")

# Add Bob to developers
admin.add_user_to_group("bob", "developers")
print("✅ Created 'developers' group with Bob")

# Grant group permissions
admin.grant_permission(
    subject_type="group",
    subject_id="developers",
    object_type="file",
    object_id="/workspace/team-project/internal",
    relation="can_write"
)
print("✅ Granted developers write access to internal/")

# Now all developers (including Bob) have access
# If we add more users to the group, they automatically get access

# Create a "designers" group
admin.create_group("designers", description="Design team")
admin.add_user_to_group("carol", "designers")
admin.grant_permission(
    subject_type="group",
    subject_id="designers",
    object_type="file",
    object_id="/workspace/team-project/public",
    relation="can_write"
)
print("✅ Created 'designers' group with Carol")
print("✅ Granted designers write access to public/")
