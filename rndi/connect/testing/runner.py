"""Run an installed extension under the real ``connect-extension-runner``, locally.

Pairs with :class:`FakeEaaS` (the websocket server) and :class:`ConnectAPI` served over
HTTPS (the runner only speaks HTTPS to the API). The runner gets its own process group,
a hard deadline, and is ended, with its workers and nothing else, on ``stop()``.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from rndi.connect.testing.connect_api import ConnectAPI
from rndi.connect.testing.eaas import FakeEaaS

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
                    "all_proxy")


def cextrun_path() -> str:
    """The ``cextrun`` script next to this Python, else the one on the ``PATH``."""
    sibling = Path(sys.executable).with_name("cextrun")
    found = str(sibling) if sibling.exists() else shutil.which("cextrun")
    if not found:
        raise FileNotFoundError("cextrun not found: pip install connect-extension-runner")
    return found


class ExtensionRunner:
    """``cextrun --unsecure --no-validate --no-rich-logging`` against local fakes.

    Args:
        eaas: the started websocket server.
        connect: the started Connect API stand-in (HTTPS).
        ca_bundle: the PEM file that signs the API's certificate.
        python_path: directories to put first on the runner's ``PYTHONPATH`` (where the
            extension distribution is installed, when it is not in this environment).
        deadline: seconds after which the runner is ended, whatever it is doing.
        environment: extra variables for the runner (``BACKGROUND_TASK_MAX_EXECUTION_TIME``…).
    """

    def __init__(self, eaas: FakeEaaS, connect: ConnectAPI, ca_bundle: str,
                 python_path: Iterable[str] = (), deadline: float = 120.0,
                 environment: Optional[Dict[str, str]] = None) -> None:
        self.eaas = eaas
        self.connect = connect
        self.ca_bundle = ca_bundle
        self.python_path = list(python_path)
        self.deadline = deadline
        self.extra_environment = dict(environment or {})
        self.process: Optional[subprocess.Popen] = None
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by close()
        self._timer: Optional[threading.Timer] = None
        self.timed_out = False

    def environment(self) -> Dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in _PROXY_VARIABLES}
        env.update({
            "API_KEY": "ApiKey SU-000-000-000:local",
            "ENVIRONMENT_ID": "ENV-000-000-000-00",
            "INSTANCE_ID": "INS-local",
            "SERVER_ADDRESS": self.eaas.address,
            "API_ADDRESS": f"127.0.0.1:{self.connect.port}",
            "SSL_CERT_FILE": self.ca_bundle,
            "REQUESTS_CA_BUNDLE": self.ca_bundle,
            "PYTHONUNBUFFERED": "1",
        })
        if self.python_path:
            env["PYTHONPATH"] = os.pathsep.join(
                [*self.python_path, *filter(None, [os.environ.get("PYTHONPATH")])])
        env.update(self.extra_environment)
        return env

    def start(self) -> "ExtensionRunner":
        self.process = subprocess.Popen(  # noqa: S603 - the runner we installed
            [cextrun_path(), "--unsecure", "--no-validate", "--no-rich-logging"],
            env=self.environment(), stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        self._timer = threading.Timer(self.deadline, self._expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def _expire(self) -> None:
        self.timed_out = True
        self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)  # the runner's own group only

    def stop(self, grace: float = 20.0) -> int:
        """Ask the workers to shut down, then end the group if it lingers.

        Returns:
            The runner's exit code.
        """
        if self.process is None:
            return 0
        self.eaas.shutdown()
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait(5)
        # workers that outlived their master would still be in the group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self.live_processes() and time.monotonic() < deadline:
            time.sleep(0.05)  # SIGKILL is delivered asynchronously
        if self._timer is not None:
            self._timer.cancel()
        return int(self.process.returncode)

    def live_processes(self) -> List[int]:
        """Pids of the runner's process group still alive (zombies excluded; Linux)."""
        if self.process is None:
            return []
        alive = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # the command name may hold spaces and parentheses: split after the last ')'
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            state, group = fields[0], int(fields[2])
            if group == self.process.pid and state != "Z":
                alive.append(int(entry.name))
        return alive

    def close(self) -> None:
        """Stop the runner if needed and release its log."""
        self.stop()
        self._log.close()

    @property
    def output(self) -> str:
        """Everything the runner printed so far."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def __enter__(self) -> "ExtensionRunner":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
