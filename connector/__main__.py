"""`python -m connector` is the same as the `relance` command."""

from connector.cli import main

if __name__ == "__main__":
    main()
