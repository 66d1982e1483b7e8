"""The bottom layer: pure helpers (text, addresses, codes, 和暦, clock, errors), settings, the tenancy
and account tables, the audit log and model mixins. It imports nothing else of the project; every
other package may import it (see docs/architecture.md)."""
