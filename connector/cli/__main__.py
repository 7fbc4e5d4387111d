"""`python -m connector.cli`: the `dunning` command, run from a checkout or a venv."""

from connector.cli import main

if __name__ == "__main__":
    main()
