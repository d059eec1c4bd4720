"""Local stand-ins for the services an extension talks to, for tests and demos."""

from rndi.connect.testing.connect_api import ConnectAPI
from rndi.connect.testing.http import FakeHTTPService, HTTPError, RecordedCall

__all__ = ["ConnectAPI", "FakeHTTPService", "HTTPError", "RecordedCall"]
