"""HTTP errors raised by routes and stores; the app renders each as a JSON `{"message": ...}`."""

from __future__ import annotations


class HttpError(Exception):
    """A request the service answers with a 4xx (or 503) and a one-line JSON message."""

    status: int = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(HttpError):
    """Malformed JSON, a wrong type, or a name Metaflow would never send."""

    status = 400


class NotFound(HttpError):
    """The flow, run, step, task or artifact named in the path does not exist."""

    status = 404


class Conflict(HttpError):
    """The object already exists (a racing create, or a duplicate user-given id)."""

    status = 409


class TooLarge(HttpError):
    """The request body is larger than the documented limit."""

    status = 413


class Unprocessable(HttpError):
    """Well-formed but refused, e.g. removing a system tag from a run."""

    status = 422


class Unavailable(HttpError):
    """The database schema is behind the service; `PATCH /upgrade` or `--migrate` fixes it."""

    status = 503
