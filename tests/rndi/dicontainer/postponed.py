"""A class whose annotations stay text: ``Injectable[...]`` must still be recognised."""

from __future__ import annotations

from rndi.dicontainer import Injectable


class PostponedMiddleware:
    def __init__(self, on_match: Injectable[str] = "skip", retries: int = 3) -> None:
        self.values = (on_match, retries)
