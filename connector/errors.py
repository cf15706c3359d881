"""One exception tree, named by what the caller should do next.

- ConfigError: stop and tell the user which key of which file is wrong (exit 2).
- AuthError: stop; the credentials were refused or lack a right. Retrying will not help.
- TransientError: try again later (the transport layer retries; the outbox reschedules).
  RateLimited carries how long the server asked us to wait.
- PermanentError: the request itself is wrong; retrying the same request will fail again.
- DeliveryUncertain: a send may have happened; never retry it blindly, ask a person.
- BadRecordError: one record from a source cannot be mapped; skip it, log it, go on.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error relance raises on purpose."""


class ConfigError(ConnectorError):
    """The configuration (file, key or secret) is missing or invalid."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 line: int | None = None) -> None:
        self.file = file
        self.key = key
        self.line = line
        where = ""
        if file:
            where = f"{file}"
            if line:
                where += f", line {line}"
            where += ": "
        if key:
            # A key comes from the file: show its control characters escaped, never raw (an
            # ESC in a key would otherwise drive the user's terminal).
            where += "[" + "".join(ch if ch.isprintable() else ascii(ch)[1:-1]
                                   for ch in key) + "] "
        super().__init__(f"{where}{message}")


class AuthError(ConnectorError):
    """Credentials refused, expired, or missing a right (scope, ACL)."""


class TransientError(ConnectorError):
    """A failure that may pass: network error, timeout, 5xx, lock contention."""


class RateLimited(TransientError):
    """The server asked us to slow down; `retry_after` is in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeliveryUncertain(ConnectorError):
    """A side effect may have happened and nobody can tell (an SMTP answer lost after the final
    dot): the reminder waits for a person, it is never retried on a guess."""


class PermanentError(ConnectorError):
    """The request is wrong and will stay wrong (4xx other than auth/rate limit)."""


class BadRecordError(ConnectorError):
    """A source record that cannot be mapped to our models."""

    def __init__(self, message: str, source_id: str | None = None) -> None:
        super().__init__(message)
        self.source_id = source_id
