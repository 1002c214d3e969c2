"""Parsed command-line options that cross from the CLI into the uploader.

The CLI owns parsing (click, environment variables, the password prompt); the uploader only sees
these small records, so it can be driven from tests and other programs without click.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ConnectionOptions:
    """Where and as whom to connect. ``verify`` False disables TLS certificate checks.

    ``repr`` never shows the password, so logging or printing these options is safe.
    """

    host: str
    username: str
    password: str = field(repr=False)
    verify: bool = True


@dataclass
class UploadOptions:
    """How to upload: ``project_name`` (None: the dataset's name), parallel ``workers``,
    whether to let the server ``auto_train`` after upload, and training ``iterations`` (None: the
    server's default)."""

    project_name: str | None = None
    workers: int = 4
    auto_train: bool = False
    iterations: int | None = None
