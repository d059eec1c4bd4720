"""Errors of the business objects."""

from typing import Any


class BusinessObjectError(Exception):
    """Base of the business object errors."""


class MissingParameterError(BusinessObjectError):
    """A parameter that must exist is not on the object."""

    def __init__(self, message: str, parameter: Any) -> None:
        super().__init__(message)
        self.parameter = parameter


class MissingItemError(BusinessObjectError):
    """An item that must exist is not on the object."""

    def __init__(self, message: str, item: Any) -> None:
        super().__init__(message)
        self.item = item
