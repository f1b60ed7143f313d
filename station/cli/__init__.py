"""The ``station`` command: argument parsing, exit codes, one module per command."""

from station.cli.main import main

__all__ = ["main"]
