"""Filesystem helpers shared by the file-backed adapters."""

import os
from typing import Any


def make_private_directory(path: str) -> str:
    """Create ``path`` (and parents) readable by the owner only; return its absolute form.

    An existing directory is left as it is: it may be shared on purpose.
    """
    path = os.path.abspath(path)
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)  # makedirs' mode is filtered by the umask
    return path


def directory_setting(directory_path: Any) -> str:
    """The absolute form of a directory argument, surrounding whitespace stripped as the
    published adapters strip it (a value pasted from a file often ends in a newline)."""
    if isinstance(directory_path, str):
        directory_path = directory_path.strip()
    return os.path.abspath(directory_path)
