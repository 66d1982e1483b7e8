"""Disaster victim-support service (被災者支援システム): web app, CLI, auth, tenancy, audit."""

__version__ = "0.1.0"
