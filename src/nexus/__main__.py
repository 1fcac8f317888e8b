"""`python -m nexus ...`: the same command line as the `nexus` console script."""

from nexus.entrypoint import main

if __name__ == "__main__":
    main()
