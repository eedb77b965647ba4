"""The one application error type. Services raise it; views and the API turn it into a response."""

from __future__ import annotations


class ApplicationError(Exception):
    """A request the product refuses for a reason the user can act on.

    `field` names the input at fault when there is one, so forms and the API can point at it.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
