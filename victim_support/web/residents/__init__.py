"""The resident register (住民基本台帳): search and one resident's record."""
