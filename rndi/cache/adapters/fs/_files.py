"""Opening the file cache's files without being trapped by what else may be there.

The cache directory may be shared, so its files are not trusted to be what their names
say: an entry name may be a FIFO (opening it for reading would wait for a writer
forever), and the directory's lock may be held by a process that is stopped or does not
belong to any cache.
"""

import contextlib
import errno
import os
import stat
import time
from typing import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no cross-process locking there
    fcntl = None  # type: ignore[assignment]

# not following a symlink, never blocking on a FIFO, not inherited by child processes
_SAFE = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC

_FIRST_PAUSE = 0.001
_LONGEST_PAUSE = 0.05


def read_regular_file(path: str) -> bytes:
    """The content of ``path``.

    Raises:
        FileNotFoundError: there is no such file.
        IsADirectoryError: it is a directory.
        ValueError: it is something else that is not a regular file (a FIFO, a socket, a
            device) or a symlink: nothing a cache wrote.
        OSError: it cannot be read.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | _SAFE)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ValueError(f"{path} is a symlink, not a cache file.") from None
        raise
    try:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if not stat.S_ISREG(status.st_mode):
            raise ValueError(f"{path} is not a regular file.")
        # one read takes a whole entry; a file growing meanwhile takes more
        chunks = []
        while chunk := os.read(descriptor, status.st_size + 1):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def exclusive_lock(directory: str, timeout: float) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``directory`` itself.

    A lock file could be removed under its holder (a cleaner of old files in ``/tmp``, an
    operator), and the next process would lock a new file beside the old one: two
    writers at once. A directory cannot be removed while it holds entries, and a new one
    made in its place is a new, empty cache, so its lock cannot be lost that way.

    Raises:
        TimeoutError: another holder kept it for ``timeout`` seconds.
        FileNotFoundError: the directory does not exist (any more).
        OSError: it cannot be opened.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _acquire(descriptor, directory, timeout)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _acquire(descriptor: int, path: str, timeout: float) -> None:
    # flock has no timeout of its own: try without blocking, pausing a little longer
    # each time, until the deadline
    deadline = time.monotonic() + timeout
    pause = _FIRST_PAUSE
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"{path} stayed locked by another process for {timeout:g} s"
                ) from None
            time.sleep(min(pause, left))
            pause = min(pause * 2, _LONGEST_PAUSE)
