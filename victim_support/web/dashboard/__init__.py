"""The start page: register counts, the disasters and the acting disaster's household counts."""
