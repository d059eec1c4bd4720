"""Errors of the business objects."""

from typing import Optional


class BusinessObjectError(Exception):
    """Base of the business object errors; ``message`` is the text it was raised with."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MissingParameterError(BusinessObjectError):
    """A parameter that must exist is not on the object; ``parameter`` is its id."""

    def __init__(self, message: str, parameter: Optional[str] = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class MissingItemError(BusinessObjectError):
    """An item that must exist is not on the asset; ``item`` is its id."""

    def __init__(self, message: str, item: Optional[str] = None) -> None:
        super().__init__(message)
        self.item = item


class MissingItemParameterError(MissingItemError, MissingParameterError):
    """An item has no such parameter: a missing item error (as the published packages
    raise) that is also a missing parameter error (as the name says)."""

    def __init__(self, message: str, item: str, parameter: str) -> None:
        MissingItemError.__init__(self, message, item)
        self.parameter = parameter
