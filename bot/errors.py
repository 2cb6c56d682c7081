"""Domain errors. Handlers turn them into HTTP or Slack answers at the edge."""

from __future__ import annotations


class DomainError(Exception):
    """A request the core refuses; `code` is stable and machine-readable."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Unauthorized(DomainError):
    status = 401


class Invalid(DomainError):
    status = 400


class TooLarge(DomainError):
    status = 413


class Conflict(DomainError):
    status = 409


class Gone(DomainError):
    status = 410
