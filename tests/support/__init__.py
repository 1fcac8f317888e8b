"""Test helpers: real server processes and ready-made deployments."""
