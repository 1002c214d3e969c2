"""Backups of whole projects: download into a folder, verify a folder against a server."""
