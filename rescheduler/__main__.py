"""``python -m rescheduler`` runs the command line."""

from rescheduler.cli import main

if __name__ == "__main__":
    main()
