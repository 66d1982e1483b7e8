"""Disaster victim-support service (被災者支援システム): web app (pages and JSON API per area), CLI, login and
grants, database engine and migrations. The top layer: it may import every other package."""

__version__ = "0.1.0"
