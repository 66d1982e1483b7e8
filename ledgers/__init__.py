"""The domain: one folder per area (models, msgspec schemas, services), on ``core``, ``importers`` and
``gis``; never on ``victim_support`` (see docs/architecture.md)."""
