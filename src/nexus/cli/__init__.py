"""The `nexus` command line; it talks to servers only through :mod:`nexus.client`."""
