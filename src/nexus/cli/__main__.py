"""`python -m nexus.cli ...`."""

from nexus.cli.main import main

main()
