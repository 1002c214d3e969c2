"""Command-line entry points: sc-import, sc-export."""
