"""Named connection profiles in a TOML config file, so a server is named once instead of on every command.

    # ~/.config/sc-importers/config.toml  (or $XDG_CONFIG_HOME/..., or the file $SC_CONFIG names)
    default_profile = "lab"

    [profiles.lab]
    host = "https://sc.example.com"
    username = "me@example.com"
    password_command = "pass show sc"        # its first output line is the password
    api = "sc1"                              # auto | sc1 | geti
    verify = "/etc/ssl/lab-ca.pem"           # true (default), false, or a CA bundle file

    [profiles.geti]
    host = "https://geti.example.com"
    api_key_command = "pass show geti-token"
    workspace = "Default"

A profile never holds a secret: a ``password`` or ``api_key`` key is refused, the secret comes from a
command run only when a connection needs it (a password manager, a keyring, ``cat`` of a 0600
file). Precedence: a command-line option, then its ``SC_...`` environment variable, then the profile,
then the built-in default. The profile is ``--profile NAME`` (``sc --profile NAME ...`` or on the
command), else ``$SC_PROFILE``, else the file's ``default_profile``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, as a package
    import tomli as tomllib

#: The keys a profile may hold (anything else is a typo and refused, naming the file and profile).
PROFILE_KEYS = ("host", "username", "password_command", "api_key_command", "api", "workspace", "verify")
#: Keys that would put a secret at rest; refused with a pointer to the ``*_command`` key.
SECRET_KEYS = {"password": "password_command", "api_key": "api_key_command"}
#: How long a password command may take (a password manager may ask for its own passphrase).
COMMAND_TIMEOUT = 120.0


class ProfileError(Exception):
    """The config file or a profile cannot be used; the message names the file and the profile."""


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/sc-importers/config.toml`` (default ``~/.config``): a file that need not exist."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "sc-importers" / "config.toml"


def config_path() -> Path:
    """``$SC_CONFIG``, else :func:`default_config_path`."""
    if os.environ.get("SC_CONFIG"):
        return Path(os.environ["SC_CONFIG"]).expanduser()
    return default_config_path()


@dataclass
class Profile:
    """One ``[profiles.NAME]`` table. ``verify`` is True, False or the path of a CA bundle."""

    name: str
    source: Path
    host: str | None = None
    username: str | None = None
    password_command: str | None = field(default=None, repr=False)
    api_key_command: str | None = field(default=None, repr=False)
    api: str | None = None
    workspace: str | None = None
    verify: bool | str = True

    def password(self) -> str | None:
        """The output of ``password_command`` (first line), or None without one."""
        return _run_secret_command(self, "password_command", self.password_command)

    def api_key(self) -> str | None:
        """The output of ``api_key_command`` (first line), or None without one."""
        return _run_secret_command(self, "api_key_command", self.api_key_command)


def _run_secret_command(profile: Profile, key: str, command: str | None) -> str | None:
    """Run a profile's secret command through the shell; its output is never put in a message."""
    if not command:
        return None
    where = f"{profile.source}: profile {profile.name!r}: {key}"
    try:
        done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProfileError(f"{where} could not be run: {exc}") from None
    if done.returncode != 0:
        raise ProfileError(f"{where} failed with exit code {done.returncode}"
                           + (f": {done.stderr.strip().splitlines()[-1]}" if done.stderr.strip() else ""))
    lines = done.stdout.splitlines()
    secret = lines[0].strip() if lines else ""
    if not secret:
        raise ProfileError(f"{where} printed nothing")
    return secret


def read_config(path: Path | None = None) -> dict:
    """The parsed config file ({} when the default one does not exist). A file that ``$SC_CONFIG`` names
    must exist: a typo in the variable would otherwise drop the profile without a word."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if os.environ.get("SC_CONFIG") and path == config_path() and path != default_config_path():
            raise ProfileError(f"{path}: no such config file (named by SC_CONFIG); fix the path, or unset "
                               "SC_CONFIG to use the default one") from None
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the config file: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from None


def load_profile(name: str | None = None, path: Path | None = None) -> Profile | None:
    """The profile ``name`` (else ``$SC_PROFILE``, else the file's ``default_profile``); None when no
    profile is named anywhere. A named profile that does not exist is an error listing the others."""
    path = path or config_path()
    config = read_config(path)
    name = name or os.environ.get("SC_PROFILE") or config.get("default_profile")
    if not name:
        return None
    profiles = config.get("profiles", {})
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "(none)"
        raise ProfileError(f"{path}: no profile named {name!r}; profiles there: {known}")
    table = profiles[name]
    if not isinstance(table, dict):
        raise ProfileError(f"{path}: profile {name!r} is not a table ([profiles.{name}])")
    for secret, instead in SECRET_KEYS.items():
        if secret in table:
            raise ProfileError(f"{path}: profile {name!r}: a plain {secret} is not kept in a file; "
                               f"use {instead} (e.g. {instead} = \"pass show sc\") or the environment")
    unknown = sorted(set(table) - set(PROFILE_KEYS))
    if unknown:
        raise ProfileError(f"{path}: profile {name!r}: unknown key(s) {', '.join(unknown)}; "
                           f"known: {', '.join(PROFILE_KEYS)}")
    verify = table.get("verify", True)
    if not isinstance(verify, (bool, str)):
        raise ProfileError(f"{path}: profile {name!r}: verify must be true, false or a CA bundle path")
    if isinstance(verify, str):
        verify = str(Path(verify).expanduser())
    return Profile(name, path, **{k: table[k] for k in PROFILE_KEYS if k in table and k != "verify"},
                   verify=verify)


def profile_names(path: Path | None = None) -> list[str]:
    """The profiles of the config file (for ``sc profiles`` and shell completion)."""
    return sorted(read_config(path).get("profiles", {}))
