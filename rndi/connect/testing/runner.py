"""Run an installed extension under the real ``connect-extension-runner``, locally.

Pairs with :class:`FakeEaaS` (the websocket server) and :class:`ConnectAPI` served over
HTTPS (the runner only speaks HTTPS to the API). The runner gets its own process group,
a hard deadline, and is ended, with its workers and nothing else, on ``stop()``.
:meth:`ExtensionRunner.wait_ready` fails as soon as the runner dies at start-up.
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
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from rndi.connect.devops_fulfillment_framework.installation import RUNNER_NEEDS
from rndi.connect.testing._pypi import PyPIStandIn
from rndi.connect.testing.connect_api import ConnectAPI
from rndi.connect.testing.eaas import FakeEaaS

__all__ = ["ExtensionRunner", "RunnerExited", "cextrun_path", "process_usage"]

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
                    "all_proxy", "NO_PROXY", "no_proxy")
# how many of the runner's last output lines an error quotes
OUTPUT_TAIL_LINES = 20
# how often wait_ready looks at the runner process while its workers connect
_READY_POLL_SECONDS = 0.1


class RunnerExited(RuntimeError):
    """The runner process ended before its workers were ready.

    Attributes:
        exit_code: the runner's exit code (negative: the signal that ended it).
        output_tail: its last lines of output.
    """

    def __init__(self, exit_code: int, output_tail: str, timed_out: bool = False) -> None:
        cause = ("was ended at its deadline" if timed_out
                 else f"exited with code {exit_code}")
        super().__init__(f"The runner {cause} before its workers were ready. Its last "
                         f"lines:\n{output_tail}")
        self.exit_code = exit_code
        self.output_tail = output_tail


def _runner_version() -> str:
    try:
        return version("connect-extension-runner")
    except PackageNotFoundError:  # the runner's own fallback when it is not installed
        return "0.0.0"


def cextrun_path() -> str:
    """The ``cextrun`` script next to this Python, else the one on the ``PATH``."""
    sibling = Path(sys.executable).with_name("cextrun")
    found = str(sibling) if sibling.exists() else shutil.which("cextrun")
    if not found:
        raise FileNotFoundError(
            "cextrun not found: pip install \"rndi-connect-devops-fulfillment-framework[runner]\" "
            f"({RUNNER_NEEDS})")
    return found


def _socket_owners(pids: Iterable[int]) -> Dict[str, int]:
    """Socket inode -> the pid holding it, over the given processes."""
    owners: Dict[str, int] = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.scandir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(fd.path)
                    if target.startswith("socket:["):
                        owners.setdefault(target[8:-1], pid)
    return owners


def _local_ports_of_sockets(server_port: int) -> Dict[int, str]:
    """Local port -> socket inode, for the TCP connections to ``server_port``."""
    ports: Dict[int, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines)  # the header
            for line in lines:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                if int(remote.rsplit(":", 1)[1], 16) == server_port:
                    ports[int(local.rsplit(":", 1)[1], 16)] = inode
    return ports


def _helper_role(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        command = b""
    return "resource_tracker" if b"resource_tracker" in command else f"process-{pid}"


def process_usage(pid: int) -> Dict[str, float]:
    """What a process used so far (Linux): ``cpu_seconds`` (user + system),
    ``rss_bytes`` and ``peak_rss_bytes``.

    Raises:
        ProcessLookupError: no such process.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        raise ProcessLookupError(f"No process {pid}.") from None
    ticks = os.sysconf("SC_CLK_TCK")
    memory = {line.split(":")[0]: int(line.split()[1]) * 1024
              for line in status.splitlines() if line.startswith(("VmRSS:", "VmHWM:"))}
    return {"cpu_seconds": (int(stat[11]) + int(stat[12])) / ticks,
            "rss_bytes": memory.get("VmRSS", 0), "peak_rss_bytes": memory.get("VmHWM", 0)}


class ExtensionRunner:
    """``cextrun --unsecure --no-validate --no-rich-logging`` against local fakes, or,
    with ``validate=True``, ``cextrun --unsecure --no-rich-logging``: the runner first
    checks the extension project as it does in production.

    Args:
        eaas: the started websocket server.
        connect: the started Connect API stand-in (HTTPS).
        ca_bundle: the PEM file that signs the API's certificate.
        python_path: directories to put first on the runner's ``PYTHONPATH`` (where the
            extension distribution is installed, when it is not in this environment).
        deadline: seconds after which the runner is ended, whatever it is doing.
        environment: extra variables for the runner (``BACKGROUND_TASK_MAX_EXECUTION_TIME``…).
        command: the command line to start instead of ``cextrun --unsecure --no-validate
            --no-rich-logging`` (another runner build, or a stand-in in tests).
        validate: run the runner's start-up validation. It reads ``pyproject.toml`` in
            ``project_dir``, imports the extension, asks the Connect API stand-in for the
            account and the event definitions, and asks PyPI whether the runner is the
            latest release: a local stand-in answers that, through ``HTTPS_PROXY``, so
            the runner reaches no other host over HTTPS.
        project_dir: the extension project (the directory of its ``pyproject.toml``, with
            ``[tool.poetry.dependencies]`` and ``[tool.poetry.plugins."connect.eaas.ext"]``
            as the runner's validation expects); the runner's working directory.
        instance_id: the runner's ``INSTANCE_ID``: give each replica its own, to start
            several runners against one ``FakeEaaS`` and deliver to each by that name.

    Attributes:
        process: the runner process, once started.
        timed_out: whether the deadline ended it.
        pypi: with ``validate``, the PyPI stand-in (its ``calls``, and the hosts it
            ``refused``), until ``close()``.

    Raises:
        ValueError: ``validate`` without a ``project_dir``.
    """

    def __init__(self, eaas: FakeEaaS, connect: ConnectAPI, ca_bundle: str,
                 python_path: Iterable[str] = (), deadline: float = 120.0,
                 environment: Optional[Dict[str, str]] = None,
                 command: Optional[List[str]] = None, validate: bool = False,
                 project_dir: Optional[str] = None, instance_id: str = "INS-local") -> None:
        if validate and project_dir is None:
            raise ValueError("validate=True runs the runner's checks on the extension "
                             "project: give project_dir, the directory of its "
                             "pyproject.toml.")
        self.eaas = eaas
        self.connect = connect
        self.ca_bundle = ca_bundle
        self.python_path = list(python_path)
        self.deadline = deadline
        self.extra_environment = dict(environment or {})
        self.command = list(command) if command else None
        self.validate = validate
        self.project_dir = project_dir
        self.instance_id = instance_id
        self.process: Optional[subprocess.Popen] = None
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by close()
        self._timer: Optional[threading.Timer] = None
        self.pypi: Optional[PyPIStandIn] = None
        self._bundle: Optional[Path] = None
        self.timed_out = False

    def environment(self) -> Dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in _PROXY_VARIABLES}
        env.update({
            "API_KEY": "ApiKey SU-000-000-000:local",
            "ENVIRONMENT_ID": "ENV-000-000-000-00",
            "INSTANCE_ID": self.instance_id,
            "SERVER_ADDRESS": self.eaas.address,
            "API_ADDRESS": f"127.0.0.1:{self.connect.port}",
            "SSL_CERT_FILE": self.ca_bundle,
            "REQUESTS_CA_BUNDLE": self.ca_bundle,
            "PYTHONUNBUFFERED": "1",
        })
        if self.python_path:
            env["PYTHONPATH"] = os.pathsep.join(
                [*self.python_path, *filter(None, [os.environ.get("PYTHONPATH")])])
        if self.pypi is not None and self._bundle is not None:
            env.update({"HTTPS_PROXY": self.pypi.proxy_url,
                        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                        "SSL_CERT_FILE": str(self._bundle),
                        "REQUESTS_CA_BUNDLE": str(self._bundle)})
        env.update(self.extra_environment)
        return env

    def start(self) -> "ExtensionRunner":
        """Start the runner; again after ``kill()`` (or ``stop()``), as a replica that
        died comes back: its output goes on in the same log.

        Raises:
            RuntimeError: the runner started before still runs.
        """
        if self.process is not None and self.process.poll() is None:  # poll() reaps it
            raise RuntimeError("The runner is running: kill() or stop() it before starting "
                               "it again.")
        command = self.command or [cextrun_path(), "--unsecure", "--no-rich-logging",
                                   *([] if self.validate else ["--no-validate"])]
        if self.validate:
            self._start_pypi()
        self.process = subprocess.Popen(  # noqa: S603 - the runner we installed
            command, cwd=self.project_dir,
            env=self.environment(), stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        self.end_in(self.deadline)
        return self

    def _start_pypi(self) -> None:
        """The PyPI the validation asks, and a CA bundle trusting it and the API."""
        self.pypi = PyPIStandIn(_runner_version()).start()
        handle, name = tempfile.mkstemp(prefix="rndi-runner-ca-", suffix=".pem")
        with os.fdopen(handle, "wb") as bundle:
            if self.ca_bundle:
                bundle.write(Path(self.ca_bundle).read_bytes().rstrip() + b"\n")
            bundle.write(self.pypi.ca_pem)
        self._bundle = Path(name)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until both runner workers have received their setup response, watching
        the runner process all along.

        Raises:
            RunnerExited: the runner ended first (its validation failed, it crashed, or
                its deadline passed): at once, with its exit code and last lines.
            TimeoutError: the workers were not ready within ``timeout`` seconds while the
                runner kept running (the message quotes its last lines).
            RuntimeError: the runner is not started.
        """
        if self.process is None:
            raise RuntimeError("The runner is not started: call start() or use `with`.")
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code is not None:
                raise RunnerExited(code, self.output_tail(), self.timed_out)
            left = deadline - time.monotonic()
            try:
                self.eaas.wait_ready(timeout=max(min(_READY_POLL_SECONDS, left), 0.0),
                                     instances=[self.instance_id])
                return
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"The runner's workers were not ready within {timeout} s; the "
                        f"runner is still running. Its last lines:\n"
                        f"{self.output_tail()}") from None

    def output_tail(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        """The runner's last ``lines`` lines of output."""
        return "\n".join(self.output.splitlines()[-lines:])

    def end_in(self, seconds: float) -> None:
        """Replace the deadline: end the runner ``seconds`` from now, whatever it is doing.

        A test that must prove the deadline starts counting once the runner is ready,
        so a slow start-up cannot eat into it.
        """
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def kill(self) -> None:
        """End the runner and its workers at once with SIGKILL, as a replica dies (a
        crash, an out-of-memory kill): nothing gets to finish or clean up."""
        self._signal(signal.SIGKILL)

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
        self.wait_ended(60)
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

    def wait_ended(self, timeout: float = 60.0) -> bool:
        """Wait until no process of the runner's group is alive (a SIGKILL is delivered
        asynchronously: the master can be gone while its workers still die).

        Returns:
            Whether the group ended within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while self.live_processes():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def processes(self) -> Dict[str, int]:
        """The runner's live processes by role (Linux): ``master`` (the process started),
        ``background`` and ``interactive`` (the workers, told apart by their websocket
        connection to the EaaS server), ``resource_tracker`` (multiprocessing's helper);
        any other is ``process-<pid>``."""
        if self.process is None:
            return {}
        alive = self.live_processes()
        by_socket = _socket_owners(alive)
        ports = _local_ports_of_sockets(self.eaas.port)
        roles: Dict[str, int] = {}
        for runner_type, (_, port) in self.eaas.peers_of(self.instance_id).items():
            inode = ports.get(port)
            if inode is not None and inode in by_socket:
                roles[runner_type] = by_socket[inode]
        named = set(roles.values())
        for pid in alive:
            if pid == self.process.pid:
                roles["master"] = pid
            elif pid not in named:
                roles[_helper_role(pid)] = pid
        return roles

    def close(self) -> None:
        """Stop the runner if needed and release its log and its PyPI stand-in."""
        self.stop()
        self._log.close()
        if self.pypi is not None:
            self.pypi.stop()
            self.pypi = None
        if self._bundle is not None:
            self._bundle.unlink(missing_ok=True)
            self._bundle = None

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
