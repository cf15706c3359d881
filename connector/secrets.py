"""Secrets: the system keyring (service "relance"), or an environment variable on headless hosts.

Secrets never live in config files. Every secret value that passes through here is remembered so
that `redact()` (and the logging filter installed by `install_log_redaction`) can mask it wherever
it would otherwise leak: log lines, exception texts, files we write.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from types import ModuleType

from connector.errors import ConfigError

SERVICE = "relance"
MASK = "***"
_known: set[str] = set()
_known_lock = threading.Lock()
# Credentials that look like credentials even when we did not hand them out ourselves.
_PATTERNS = [
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic)\s+)[^\s\"',]+"),
    re.compile(r"(?i)((?:api[_-]?key|access_token|refresh_token|client_secret|password)"
               r"[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"),
]


def remember(value: str) -> None:
    """Register a secret value so that redact() masks it from now on."""
    if value and len(value) >= 4:
        with _known_lock:
            _known.add(value)


def redact(text: str) -> str:
    """Mask every known secret and anything shaped like a credential."""
    if not text:
        return text
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the redacting filter to every handler of the root logger (idempotent)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, _RedactingFilter) for f in handler.filters):
            handler.addFilter(_RedactingFilter())


def account(tenant: str, name: str) -> str:
    """Keyring user name of one secret of one tenant, e.g. 'acme/source'."""
    return f"{tenant}/{name}"


def _keyring() -> tuple[ModuleType, tuple[type[Exception], ...]]:
    """keyring and the errors that mean "no usable keyring", imported when a secret is first
    read or written: most commands never touch one (and keyring picks its backend on import)."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    return keyring, (NoKeyringError, KeyringError, RuntimeError)


class SecretStore:
    """Reads and writes the secrets of one tenant."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    def get(self, name: str, env: str | None = None, *, required: bool = True) -> str | None:
        """The secret `name`: from the environment variable `env` when given, else the keyring."""
        value: str | None = None
        if env:
            value = os.environ.get(env) or None
            if value is None and required:
                raise ConfigError(
                    f"the environment variable {env} named by secret_env is not set", key=name
                )
        if value is None:
            keyring, unusable = _keyring()
            try:
                value = keyring.get_password(SERVICE, account(self.tenant, name))
            except unusable as exc:
                if required:
                    raise ConfigError(
                        f"no usable system keyring ({type(exc).__name__}); on a headless host set "
                        f"secret_env = \"VAR\" in the config and export VAR", key=name) from None
                return None
        if value is None:
            if required:
                raise ConfigError(
                    f"secret {name!r} is missing: run `relance secret set {name}` "
                    f"or set secret_env in the config", key=name)
            return None
        remember(value)
        return value

    def set(self, name: str, value: str) -> None:
        remember(value)
        keyring, unusable = _keyring()
        try:
            keyring.set_password(SERVICE, account(self.tenant, name), value)
        except unusable as exc:
            raise ConfigError(
                f"cannot store the secret in the system keyring ({type(exc).__name__}); "
                "use secret_env on headless hosts", key=name) from None

    def delete(self, name: str) -> None:
        keyring, unusable = _keyring()
        try:
            keyring.delete_password(SERVICE, account(self.tenant, name))
        except unusable:
            pass


STATE_ACCOUNT = "_state"
STATE_PASSWORD_ENV = "RELANCE_STATE_PASSWORD"


def state_password() -> str | None:
    """The PostgreSQL password of the state database, kept out of the state URL: from
    $RELANCE_STATE_PASSWORD, else the keyring (`relance secret set state`)."""
    return SecretStore(STATE_ACCOUNT).get("password", env=STATE_PASSWORD_ENV, required=False)


def set_state_password(value: str) -> None:
    SecretStore(STATE_ACCOUNT).set("password", value)
