"""The file tree: entries with stable ids, their versions and blob references."""

from nexus.metadata.entry import DIRECTORY, FILE, Entry, Version
from nexus.metadata.tree import TreeStore

__all__ = ["DIRECTORY", "FILE", "Entry", "TreeStore", "Version"]
