"""A throwaway ``redis-server`` on 127.0.0.1 for tests and benchmarks.

Starts the real server binary on a free port with persistence off, and stops exactly
the process it started::

    with RedisServer() as server:
        cache = RedisCacheAdapter("127.0.0.1", port=server.port)
"""

import shutil
import socket
import subprocess
import time
from typing import Any, List, Optional


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A ``redis-server`` process of our own.

    Args:
        port: the port (a free one by default); kept across ``stop()``/``start()``.
        binary: the server executable, found on the ``PATH`` by default.

    Raises:
        FileNotFoundError: no ``redis-server`` binary.
    """

    def __init__(self, port: Optional[int] = None, binary: Optional[str] = None) -> None:
        found = binary or shutil.which("redis-server")
        if not found:
            raise FileNotFoundError(
                "redis-server is not installed (Debian/Ubuntu: apt-get install redis-server).")
        self.binary = found
        self.port = port or free_port()
        self.process: Optional[subprocess.Popen] = None

    def command(self) -> List[str]:
        return [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "yes"]

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, timeout: float = 60.0) -> "RedisServer":
        self.process = subprocess.Popen(  # noqa: S603 - our own binary and arguments
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}.")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
