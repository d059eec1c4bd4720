"""Fixtures for an extension's own tests, loaded by pytest once this package is installed
(entry point group ``pytest11``): no ``conftest.py`` needed.

- ``connect_api``: a factory. ``connect_api(request, ...)`` (or ``connect_api([request,
  ...])``, as ``ConnectAPI`` takes them) starts the Connect API stand-in serving those
  requests (dicts or JSON file paths) and stops it at teardown.
- ``vendor_api``: a started ``FakeHTTPService`` to route your vendor's API on.
- ``saga_check``: ``saga_check(PurchaseSaga, config, requests=None)`` fails the test with
  every wiring problem ``Saga.check`` finds; a ``ValidationFlow``, ``InteractiveFlow`` or
  ``ScheduledFlow`` is checked the same way.

This module is imported into every pytest run of every project that installs us: it
imports only pytest, and the stand-ins when a fixture is used.
"""

from typing import Any, Callable, Iterator, List, Optional

import pytest


@pytest.fixture
def connect_api() -> Iterator[Callable[..., Any]]:
    """Start the Connect API stand-in with the given requests (separate arguments or a
    list); stopped at teardown."""
    from rndi.connect.testing.connect_api import ConnectAPI

    started: List[Any] = []

    def start(*requests: Any, **options: Any) -> Any:
        api = ConnectAPI(*requests, **options).start()
        started.append(api)
        return api

    yield start
    for api in reversed(started):
        api.stop()


@pytest.fixture
def vendor_api() -> Iterator[Any]:
    """A started ``FakeHTTPService``: add routes with ``vendor_api.route(...)``."""
    from rndi.connect.testing.http import FakeHTTPService

    service = FakeHTTPService().start()
    yield service
    service.stop()


@pytest.fixture
def saga_check() -> Callable[..., None]:
    """Fail the test with the wiring problems of a saga or flow (see ``Saga.check``)."""

    def check(saga: Any, config: Any, requests: Optional[List[dict]] = None) -> None:
        problems = saga.check(config, requests)
        if problems:
            listed = "\n".join(f"  {problem}" for problem in problems)
            pytest.fail(f"{saga.__name__} has {len(problems)} wiring "
                        f"problem{'s' if len(problems) != 1 else ''}:\n{listed}",
                        pytrace=False)

    return check
