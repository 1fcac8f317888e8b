# carol_views.py
import nexus

carol = nexus.connect(config={
    "url": "http://localhost:2026",
    "api_key": "carol_key_here"
})

# Carol lists project files
files = carol.list_files("/workspace/team-project", recursive=True)
print("📁 Project files:")
for file in files:
    print(f" - {file['path']}")

# Carol reads the design doc
design_doc = carol.read("/workspace/team-project/design-doc.md").decode()
print("\n📄 Design document:")
print(design_doc)

# Carol tries to write (will fail - she only has read access)
try:
    carol.write(
        "/workspace/team-project/designs.md",
        b"# UI Designs\n\nDesign concepts..."
    )
except nexus.NexusPermissionError as e:
    print(f"\n❌ Carol cannot write: {e}")
    print(" (She only has read access)")
