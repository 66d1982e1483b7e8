"""The ``victim-support`` command line (``main``); one module per area, shared helpers in ``common``."""

from victim_support.cli.main import main

__all__ = ["main"]
