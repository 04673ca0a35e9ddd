"""`python -m studio`: the command line."""

from studio.cli import main

if __name__ == "__main__":
    main()
