"""The command line: argparse wiring, Settings from flags and environment, one error boundary."""

from calsync.cli.main import main

__all__ = ["main"]
