"""Parsed command-line options that cross from the CLI into the uploader.

The CLI owns parsing (click, environment variables, the password prompt); the uploader only sees
these small records, so it can be driven from tests and other programs without click.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sc_importers.rest.geti_v3_mapping import Geti3Choices
    from sc_importers.rest.retry import RetryPolicy


@dataclass
class ConnectionOptions:
    """Where and as whom to connect. ``verify`` False disables TLS certificate checks.

    SC 1.0 servers take ``username``/``password``, Geti 2.x servers a personal access token
    (``api_key``) and, for an organization with several workspaces, ``workspace`` (a name). ``api``
    names the dialect (``sc1``/``geti``; None detects it). ``repr`` never shows the password or the
    token, so logging or printing these options is safe.
    """

    host: str
    username: str = ""
    password: str = field(default="", repr=False)
    #: True, False, or the path of a CA bundle to trust (``--ca-bundle``, a profile's ``verify``).
    verify: bool | str = True
    api_key: str = field(default="", repr=False)
    workspace: str | None = None
    api: str | None = None
    #: ``sc-import`` into Geti 3: the answers to what it cannot hold (``--chain-task`` ...), or None.
    geti3: Geti3Choices | None = None
    #: Retry policy of every request (``--retries``, ``--retry-max-seconds``; see sc_importers.rest.retry).
    retries: int = 8
    retry_max_seconds: float = 120.0

    @property
    def dialect_options(self) -> dict:
        """The keyword arguments of :func:`sc_importers.rest.connect` beyond host, user and password."""
        return {"api_key": self.api_key or None, "workspace": self.workspace, "api": self.api, "geti3": self.geti3}

    def retry_policy(self) -> RetryPolicy:
        """The :class:`~sc_importers.rest.retry.RetryPolicy` these options ask for."""
        from sc_importers.rest.retry import RetryPolicy

        return RetryPolicy(retries=self.retries, max_seconds=self.retry_max_seconds)


@dataclass
class UploadOptions:
    """How to upload: ``project_name`` (None: the dataset's name), parallel ``workers`` (None: the
    uploader's measured default, ``sc_importers.uploader.DEFAULT_WORKERS``),
    whether to let the server ``auto_train`` after upload (None: not asked; a restored backup keeps
    its own value, anything else trains only when asked), and training ``iterations`` (None: the
    backup's value for a restore, else the server's default). ``resume`` continues an interrupted
    import into the existing project of that name instead of creating it."""

    project_name: str | None = None
    workers: int | None = None
    auto_train: bool | None = None
    iterations: int | None = None
    resume: bool = False


# -- the connection options shared by sc-import and sc-export -----------------------------------
_CONNECTION_OPTIONS: list[tuple[list[str], dict]] = [
    (["--host"], {"envvar": "SC_HOST", "help": "Server URL, e.g. https://sc.example.com (env SC_HOST)."}),
    (["--username"], {"envvar": "SC_USERNAME", "help": "SC 1.0 user name (env SC_USERNAME)."}),
    (["--password"], {"envvar": "SC_PASSWORD", "show_envvar": False,
                      "help": "SC 1.0 password (env SC_PASSWORD; prompted for on a terminal when missing)."}),
    (["--api-key"], {"envvar": "SC_API_KEY", "show_envvar": False,
                     "help": "Geti 2.x personal access token (env SC_API_KEY); never printed."}),
    (["--workspace"], {"envvar": "SC_WORKSPACE",
                       "help": "Geti workspace name, when the organization has several (env SC_WORKSPACE)."}),
    (["--api"], {"type": click.Choice(["auto", "sc1", "geti", "geti3"]), "default": "auto", "show_default": True,
                 "envvar": "SC_API",
                 "help": "Server API: SC 1.0 (sc1), Geti 2.x (geti), Geti 3.x (geti3, no login), or detect it "
                         "(auto; env SC_API)."}),
    (["--no-verify-ssl"], {"is_flag": True, "envvar": "SC_NO_VERIFY_SSL",
                           "help": "Do not verify the server's TLS certificate (warns; env SC_NO_VERIFY_SSL=1)."}),
    (["--ca-bundle"], {"envvar": "SC_CA_BUNDLE", "metavar": "FILE",
                       "type": click.Path(exists=True, dir_okay=False),
                       "help": "Trust the server's certificate through this CA bundle (env SC_CA_BUNDLE)."}),
    (["--profile"], {"envvar": "SC_PROFILE", "metavar": "NAME",
                     "help": "Take host, user, password command, API and TLS settings from this profile of "
                             "~/.config/sc-importers/config.toml (env SC_PROFILE; see sc_importers/cli/profiles.py)."}),
    (["--retries"], {"envvar": "SC_RETRIES", "type": click.IntRange(0, 100), "default": 8, "show_default": True,
                     "help": "Repetitions of a request after a transient failure (connection lost, timeout, "
                             "5xx, 429) (env SC_RETRIES)."}),
    (["--retry-max-seconds"], {"envvar": "SC_RETRY_MAX_SECONDS", "type": click.FloatRange(0), "default": 120.0,
                               "show_default": True,
                               "help": "Longest time one request is retried, waits included; a server gone "
                                       "for longer stops the run (env SC_RETRY_MAX_SECONDS)."}),
]

#: The keys of the parsed connection options (what :func:`resolve_connection` reads).
CONNECTION_KEYS = ("host", "username", "password", "api_key", "workspace", "api", "no_verify_ssl", "retries",
                   "retry_max_seconds", "ca_bundle", "profile")
#: ``sc-import``'s answers for a Geti 3 target (see :class:`~sc_importers.rest.geti_v3_mapping.Geti3Choices`).
GETI3_KEYS = ("chain_task", "rotated_as", "anomaly_as")


def connection_click_options() -> list[click.Option]:
    """Fresh click options for the connection (host, username, password, TLS verification)."""
    return [click.Option(decls, **attrs) for decls, attrs in _CONNECTION_OPTIONS]


def connection_params(command: Callable) -> Callable:
    """Decorator adding the connection options to a click command function."""
    for decls, attrs in reversed(_CONNECTION_OPTIONS):
        command = click.option(*decls, **attrs)(command)
    return command


def resolve_connection(params: dict) -> ConnectionOptions:
    """Connection options from parsed click params. A Geti server (``--api geti``, or a token given
    while the API is detected) needs no user name or password; otherwise a missing password is
    prompted for on a terminal (hidden input), and without host, user name or password this refuses
    to go on. Values not given on the command line or in the environment come from the profile
    (:mod:`sc_importers.cli.profiles`)."""
    params = _with_profile(params)
    if not params.get("host"):
        raise click.UsageError("--host / SC_HOST is required to reach a server")
    api = params.get("api") or "auto"
    api_key = str(params.get("api_key") or "")
    username, password = str(params.get("username") or ""), str(params.get("password") or "")
    if api == "geti" and not api_key:
        raise click.UsageError("--api geti needs a personal access token: --api-key / SC_API_KEY")
    if api == "sc1" or (api == "auto" and not api_key and (username or password)):
        if not username:
            raise click.UsageError("--username / SC_USERNAME is required to log in to an SC 1.0 server "
                                   "(a Geti 2.x server takes --api-key / SC_API_KEY instead)")
        if not password:
            if not sys.stdin.isatty():
                raise click.UsageError("--password / SC_PASSWORD is required (no terminal to prompt on)")
            password = click.prompt("Password", hide_input=True)
    choices = {key: params.get(key) for key in GETI3_KEYS if params.get(key)}
    if choices:
        from sc_importers.rest.geti_v3_mapping import Geti3Choices
    retries, seconds = params.get("retries"), params.get("retry_max_seconds")
    verify = False if params.get("no_verify_ssl") else params.get("ca_bundle") or params.get("verify", True)
    return ConnectionOptions(str(params["host"]), username, password, verify=verify,
                             api_key=api_key, workspace=params.get("workspace") or None,
                             api=None if api == "auto" else api, geti3=Geti3Choices(**choices) if choices else None,
                             retries=8 if retries is None else int(retries),
                             retry_max_seconds=120.0 if seconds is None else float(seconds))


#: Where ``sc --profile NAME`` leaves the name for the subcommands (``click.Context.meta``).
PROFILE_META_KEY = "sc_importers.profile"


def _given(name: str) -> bool:
    """Whether the option ``name`` came from the command line or the environment (not a default)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return True
    source = ctx.get_parameter_source(name)
    return source in (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)


def _with_profile(params: dict) -> dict:
    """``params`` completed from the chosen profile; its secret commands run only when the secret is
    missing, and their output stays in the returned dict (never printed)."""
    from sc_importers.cli.profiles import ProfileError, load_profile

    ctx = click.get_current_context(silent=True)
    name = params.get("profile") or (ctx.meta.get(PROFILE_META_KEY) if ctx is not None else None)
    try:
        profile = load_profile(name)
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from None
    if profile is None:
        return params
    merged = dict(params)
    for key in ("host", "username", "workspace", "api"):
        if getattr(profile, key) is not None and not (merged.get(key) and _given(key)):
            merged[key] = getattr(profile, key)
    if not merged.get("ca_bundle") and not merged.get("no_verify_ssl"):
        merged["verify"] = profile.verify
    try:
        if not merged.get("api_key") and profile.api_key_command:
            merged["api_key"] = profile.api_key()
        elif not merged.get("password") and profile.password_command and merged.get("api") != "geti":
            merged["password"] = profile.password()
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from None
    return merged
