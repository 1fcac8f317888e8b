"""The built-in permission schema for files and groups, in the OpenFGA DSL.

``parent`` and ``inherit_parent`` are not stored: the directory tree supplies them (see
runtime.py). ``inherit_parent`` is the parent unless the entry is a restricted directory,
so grants from above stop at a restricted folder while ownership still reaches through it:
the owner of an enclosing folder keeps access to everything inside it.
"""

FILE_SCHEMA = """
model
  schema 1.1

type user

type group
  relations
    define manager: [user]
    define member: [user, group#member]

type file
  relations
    define parent: [file]
    define inherit_parent: [file]
    define owner: [user, group#member] or owner from parent
    define can_write: [user, group#member] or owner or can_write from inherit_parent
    define can_execute: [user, group#member] or owner or can_execute from inherit_parent
    define can_read: [user, user:*, group#member] or can_write or can_execute or can_read from inherit_parent
    define can_create: [user, user:*, group#member] or can_write
"""

# What users may grant on files; can_create is internal (drop boxes such as inboxes).
GRANTABLE_RELATIONS = ("owner", "can_write", "can_read", "can_execute")
SUBJECT_TYPES = ("user", "group")
OBJECT_TYPE_FILE = "file"
TREE_RELATIONS = ("parent", "inherit_parent")
