"""``rndi-saga``: check or explain a saga's wiring from the command line.

    rndi-saga check package.module:PurchaseSaga [--config FILE.json] [--set KEY=VALUE]...
                                                [--request FILE.json]...
    rndi-saga explain package.module:PurchaseSaga [same options]

Exit codes: 0, the wiring is complete (``check``) or was printed (``explain``); 1, ``check``
found problems (one line each); 2, the saga could not be checked (the message says why:
options that cannot be used, a module that cannot be imported, saga code that raised).
Nothing printed shows a configuration value: errors name keys and types.
"""

import argparse
import importlib
import json
import os
import re
import sys
import traceback
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from rndi.connect.devops_logger_adapter._secrets import (
    MASK,
    is_secret_name,
    mask_url_credentials,
)

CLEAN = 0
PROBLEMS_FOUND = 1
USAGE_ERROR = 2
MAX_FILE_BYTES = 8 * 1024 * 1024  # a config or request file is kilobytes; /dev/zero is not
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# values of ordinary keys this long or longer are masked in output too; shorter ones
# ("900", "sqlite", "none") are settings, and masking them would garble every message
_SHORTEST_MASKED = 8


class UsageError(Exception):
    """What the user asked for cannot be done; the message says why."""


Redact = Callable[[str], str]


def _redactor(config: Dict[str, Any]) -> Redact:
    """Masks, in a line of output, the configuration's values and any URL's password."""
    values: set = set()
    pending: List[Tuple[Any, Any]] = [(None, config)]
    while pending:  # a loop, not recursion: the config may nest deep
        key, value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.items())
        elif isinstance(value, list):  # an item is as secret as its key
            pending.extend((key, item) for item in value)
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = str(value).strip()
            if len(text) >= _SHORTEST_MASKED or (text and is_secret_name(key)):
                values.add(text)
    ordered = sorted(values, key=len, reverse=True)  # a longer value before its parts

    def redact(line: str) -> str:
        for value in ordered:
            line = line.replace(value, MASK)
        return mask_url_credentials(line)

    return redact


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return ""
    frame = frames[-1]
    return f" (raised at {os.path.basename(frame.filename)}:{frame.lineno}, in {frame.name})"


def _failure(error: BaseException, redact: Redact) -> str:
    """An error of the user's code: its type, where it was raised, its message redacted
    and cut short."""
    text = redact(str(error))
    text = text if len(text) <= 300 else text[:300] + "…"
    return f"{type(error).__name__}{_where(error)}" + (f": {text}" if text else "")


def _exited(error: SystemExit) -> str:
    code = error.code if isinstance(error.code, int) or error.code is None else "…"
    return f"called sys.exit({'' if code is None else code})"


def _a(type_name: str) -> str:
    return f"{'an' if type_name[:1].lower() in 'aeiou' else 'a'} {type_name}"


def _load_saga(spec: str, redact: Redact) -> type:
    module_name, colon, name = spec.partition(":")
    if not colon or not module_name or not name:
        raise UsageError(f"{spec!r} is not module:Class (for example "
                         "purchase_extension.saga:PurchaseSaga).")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:  # names a module or a file, nothing of the user's data
        raise UsageError(f"Cannot import {module_name!r}: {type(e).__name__}: "
                         f"{redact(str(e))}") from e
    except SystemExit as e:  # a script run on import: a silent exit 0 would read as a pass
        raise UsageError(f"Importing {module_name!r} {_exited(e)}; a module that defines "
                         "a saga must not exit when imported (put that code under "
                         "`if __name__ == '__main__':`).") from e
    except Exception as e:  # any error of the user's module is theirs to see
        raise UsageError(f"Cannot import {module_name!r}: {_failure(e, redact)}") from e
    found: Any = module
    for part in name.split("."):
        try:
            found = getattr(found, part, None)
        except Exception as e:  # a module or class __getattr__ of the user's
            raise UsageError(f"Reading {name!r} from {module_name!r} raised "
                             f"{_failure(e, redact)}") from e
        if found is None:
            raise UsageError(f"{module_name!r} has no {name!r}.")
    from rndi.connect.devops_fulfillment_framework.application import Saga

    if not isinstance(found, type):
        raise UsageError(f"{spec} must name a Saga subclass, but it is "
                         f"{_a(type(found).__name__)}.")
    if not issubclass(found, Saga) or found is Saga:
        raise UsageError(f"{spec} must name a Saga subclass, but class "
                         f"{found.__qualname__} is not one.")
    return found


def _json_object(path: str, what: str, holds: str) -> Dict[str, Any]:
    """The JSON object in the ``what`` file ``path`` (which ``holds`` that object).

    The file is read up to ``MAX_FILE_BYTES``; a UTF-8 byte order mark is accepted; a
    message names the file and the fault, never the content."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise UsageError(f"Cannot read the {what} {path!r}: "
                         f"{e.strerror or type(e).__name__}.") from e
    if len(data) > MAX_FILE_BYTES:
        raise UsageError(f"The {what} {path!r} is larger than "
                         f"{MAX_FILE_BYTES // (1024 * 1024)} MiB; give {holds}.")
    try:
        loaded = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise UsageError(f"The {what} {path!r} is not UTF-8 (at byte {e.start}).") from e
    except json.JSONDecodeError as e:
        raise UsageError(f"The {what} {path!r} is not JSON: {e.msg} at line {e.lineno}, "
                         f"column {e.colno}.") from e
    except (ValueError, RecursionError) as e:  # a number too long, nesting too deep
        raise UsageError(f"The {what} {path!r} cannot be read as JSON: "
                         f"{type(e).__name__} (nesting too deep or a number too long).") from e
    if not isinstance(loaded, dict):
        raise UsageError(f"The {what} {path!r} must hold {holds}, got "
                         f"{_a(type(loaded).__name__)}.")
    return loaded


def _setting(number: int, setting: str) -> Tuple[str, str]:
    key, equals, value = setting.partition("=")
    if equals and key.strip():
        return key, value
    # the argument is never echoed: what follows a mistyped separator is often a secret
    which = f"--set number {number}"
    if equals:
        raise UsageError(f"{which} has nothing before '='; give KEY=VALUE.")
    typed_key, colon, _ = setting.partition(":")
    if colon and _KEY.fullmatch(typed_key):
        raise UsageError(f"{which} has no '='; did you mean --set {typed_key}=… ? "
                         "(--set takes KEY=VALUE; the value is not shown)")
    raise UsageError(f"{which} has no '='; --set takes KEY=VALUE (the argument is not "
                     "shown: it may hold a secret).")


def _config(files: Sequence[str], settings: Sequence[str]) -> Dict[str, Any]:
    config: Dict[str, Any] = {}
    for path in files:
        config.update(_json_object(path, "config file", "a JSON object"))
    for number, setting in enumerate(settings, 1):
        key, value = _setting(number, setting)
        config[key] = value
    return config


def _requests(files: Sequence[str]) -> Optional[List[dict]]:
    requests = [_json_object(path, "request file", "one request (a JSON object)")
                for path in files]
    return requests or None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rndi-saga", description="Check or explain a saga's wiring without running it.",
        epilog="Exit codes: 0 complete, 1 problems found, 2 could not check.")
    commands = parser.add_subparsers(dest="command", required=True)
    for command, summary in (("check", "report every wiring problem (exit 1 if any)"),
                             ("explain", "print where each parameter's value comes from")):
        sub = commands.add_parser(command, help=summary)
        sub.add_argument("saga", help="the saga class, as package.module:ClassName")
        sub.add_argument("--config", action="append", default=[], metavar="FILE.json",
                         help="the extension configuration, a JSON object (repeatable)")
        sub.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="one configuration value (repeatable; wins over --config)")
        sub.add_argument("--request", action="append", default=[], metavar="FILE.json",
                         help="a sample request (repeatable; default: a purchase)")
    return parser


def _run(command: str, saga: Any, config: Dict[str, Any], requests: Optional[List[dict]],
         redact: Redact) -> int:
    if command == "explain":
        for request in (list(requests) if requests else [None]):
            print(redact(saga.explain(config, request)))
        return CLEAN
    problems = saga.check(config, requests)
    for problem in problems:
        print(redact(str(problem)))
    if problems:
        return PROBLEMS_FOUND
    count = len(requests) if requests else 1
    print(f"{saga.__name__}: the wiring is complete ({count} sample "
          f"request{'s' if count != 1 else ''} checked).")
    return CLEAN


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``rndi-saga`` with ``argv`` (default: the command line); the exit code."""
    arguments = _parser().parse_args(argv)
    # like python -m: the saga's package is found from the current directory
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    redact: Redact = mask_url_credentials
    try:
        config = _config(arguments.config, arguments.set)
        requests = _requests(arguments.request)
        redact = _redactor(config)
        saga = _load_saga(arguments.saga, redact)
    except UsageError as e:
        print(f"rndi-saga: {e}", file=sys.stderr)
        return USAGE_ERROR
    what = f"Cannot {arguments.command} {saga.__name__}"
    try:
        return _run(arguments.command, saga, config, requests, redact)
    except RecursionError as e:
        message = (f"{what}: its wiring (or its own code) nests deeper than Python's "
                   f"recursion limit of {sys.getrecursionlimit()}{_where(e)}; a chain of "
                   "bindings that long cannot be checked.")
    except SystemExit as e:
        message = f"{what}: its code {_exited(e)}."
    except Exception as e:  # the saga's own code raised: say so, it is not a wiring problem
        message = f"{what}: {_failure(e, redact)}"
    print(f"rndi-saga: {message}", file=sys.stderr)
    return USAGE_ERROR
