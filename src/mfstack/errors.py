"""Errors a user can act on. Each carries a one-paragraph message; `cli/` renders it once."""

from __future__ import annotations


class MfstackError(Exception):
    """A user mistake, an AWS refusal or a local-stack problem, explained in one paragraph.

    `hint` (optional) tells the user what to do next; `exit_code` is what the CLI exits with.
    """

    exit_code: int = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class SettingError(MfstackError):
    """A deploy-time setting is unknown or has a value outside what it accepts."""

    exit_code = 2


class AwsError(MfstackError):
    """AWS (or the emulator standing in for it) refused or could not be reached."""


class GuardError(MfstackError):
    """A plan would lose data (replace or delete a stateful resource) and was refused."""

    exit_code = 3


class LocalStackError(MfstackError):
    """The embedded local stack cannot start, stop or be reached."""


class ServiceError(MfstackError):
    """The metadata service cannot start with the given options."""
