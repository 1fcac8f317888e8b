# test preamble: not in the tutorial. The snippet uses `nx` without defining it: Alice's client.
import nexus

nx = nexus.connect(config={"url": "http://localhost:2026", "api_key": "alice_key_here"})
# end test preamble

# ✅ Good: Check version before updating
def safe_update(file_path, update_fn):
    # Read current version
    current = nx.read_with_metadata(file_path)
    version = current['metadata']['version']
    # Apply update
    updated_content = update_fn(current['content'])
    # Write only if version unchanged
    try:
        nx.write(
            file_path,
            updated_content,
            if_version=version
        )
        return True
    except nexus.NexusConflictError:
        # File was modified by someone else
        return False

# test epilogue: the tutorial only defines safe_update; call it twice, the second time with
# Bob writing the file between Alice's read and her conditional write.
target = "/workspace/team-project/design-doc.md"
quiet = safe_update(target, lambda content: content + b"\n- reviewed by Alice")
print(f"TEST quiet update: {quiet}")
bob = nexus.connect(config={"url": "http://localhost:2026", "api_key": "bob_key_here"})


def edit_while_bob_writes(content):
    bob.append(target, b"\n- Bob's concurrent edit")
    return content + b"\n- Alice's lost edit"


concurrent = safe_update(target, edit_while_bob_writes)
print(f"TEST concurrent update: {concurrent}")
# end test epilogue
