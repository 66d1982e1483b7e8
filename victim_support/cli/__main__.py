"""``python -m victim_support.cli``."""

from victim_support.cli.main import main

main()
