"""The command line: `main` maps every error to one message and an exit status."""

from drivebot.cli.console import Console, ExitStatus
from drivebot.cli.main import main

__all__ = ["Console", "ExitStatus", "main"]
