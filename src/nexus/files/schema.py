"""The built-in permission schema for files and groups, in the OpenFGA DSL.

``parent`` and ``inherit_parent`` are not stored: the directory tree supplies them (see
runtime.py). ``inherit_parent`` is the parent unless the entry is a restricted directory,
so grants from above stop at a restricted folder. Ownership is never inherited: the power to
grant and revoke on an entry belongs to its direct owners (and admins). Otherwise a mere
writer could move someone's file under a folder of their own and become its owner.
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
    define owner: [user, group#member]
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
