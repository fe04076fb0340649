"""The one error hierarchy. Only the CLI turns these into exit codes and messages.

- `ConfigError`: the daemon cannot run as configured; it stops and says which key is wrong.
- `TransientError`: a backend did not answer (network, quota, a file still being written); the
  work is left as it is and the next cycle tries again.
- `BadDocument`: this one input cannot be used (corrupt, encrypted, too large, wrong type); it is
  quarantined, its sender is told, and the cycle goes on with the other inputs.
"""

from __future__ import annotations


class DrivebotError(Exception):
    """Base of every error drivebot raises on purpose."""


class ConfigError(DrivebotError):
    pass


class TransientError(DrivebotError):
    pass


class DailyLimit(TransientError):
    """A daily quota is spent (Gmail's sending limit): the work waits for the next day."""


class BadDocument(DrivebotError):
    """`reason` is a message key (see emails), `detail` a technical note for the quarantine file."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class BadRequest(DrivebotError):
    """A service refused the request itself (HTTP 400): asking the same way again is refused
    the same way."""


class NotFound(DrivebotError):
    """A draft, stage or file named on the command line does not exist."""
