"""``rndi-saga``: check or explain a saga's wiring from the command line.

    rndi-saga check package.module:PurchaseSaga [--config FILE.json] [--set KEY=VALUE]...
                                                [--request FILE.json]...
    rndi-saga explain package.module:PurchaseSaga [same options]

``check`` prints one line per problem and exits 1, or a one-line summary and exits 0.
A saga that cannot be found, or options that cannot be used, exit 2.
"""

import argparse
import importlib
import json
import os
import sys
from typing import Any, Dict, List, Optional, Sequence

USAGE_ERROR = 2


class UsageError(Exception):
    """What the user asked for cannot be done; the message says why."""


def _load_saga(spec: str) -> type:
    from rndi.connect.devops_fulfillment_framework.application import Saga

    module_name, colon, name = spec.partition(":")
    if not colon or not module_name or not name:
        raise UsageError(f"{spec!r} is not module:Class (for example "
                         "purchase_extension.saga:PurchaseSaga).")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # any error of importing the user's module is theirs to see
        raise UsageError(f"Cannot import {module_name!r}: {type(e).__name__}: {e}") from e
    found: Any = module
    for part in name.split("."):
        found = getattr(found, part, None)
        if found is None:
            raise UsageError(f"{module_name!r} has no {name!r}.")
    if not isinstance(found, type) or not issubclass(found, Saga) or found is Saga:
        raise UsageError(f"{spec} is not a Saga subclass (got {found!r}).")
    return found


def _json_object(path: str, what: str, holds: str) -> Dict[str, Any]:
    """The JSON object in the ``what`` file ``path`` (which ``holds`` that object)."""
    try:
        with open(path, encoding="utf-8") as f:
            loaded = json.load(f)
    except (OSError, ValueError) as e:
        raise UsageError(f"Cannot read the {what} {path!r}: {e}") from e
    if not isinstance(loaded, dict):
        raise UsageError(f"The {what} {path!r} must hold {holds}, got a "
                         f"{type(loaded).__name__}.")
    return loaded


def _config(files: Sequence[str], settings: Sequence[str]) -> Dict[str, Any]:
    config: Dict[str, Any] = {}
    for path in files:
        config.update(_json_object(path, "config file", "a JSON object"))
    for setting in settings:
        key, equals, value = setting.partition("=")
        if not equals or not key:
            raise UsageError(f"--set takes KEY=VALUE, got {setting!r}.")
        config[key] = value
    return config


def _requests(files: Sequence[str]) -> Optional[List[dict]]:
    requests = [_json_object(path, "request file", "one request (a JSON object)")
                for path in files]
    return requests or None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rndi-saga", description="Check or explain a saga's wiring without running it.")
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


def main(argv: Optional[Sequence[str]] = None) -> int:
    arguments = _parser().parse_args(argv)
    # like python -m: the saga's package is found from the current directory
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        saga = _load_saga(arguments.saga)
        config = _config(arguments.config, arguments.set)
        requests = _requests(arguments.request)
    except UsageError as e:
        print(f"rndi-saga: {e}", file=sys.stderr)
        return USAGE_ERROR
    if arguments.command == "explain":
        samples: List[Optional[dict]] = list(requests) if requests else [None]
        for request in samples:
            print(saga.explain(config, request))  # type: ignore[attr-defined]
        return 0
    problems = saga.check(config, requests)  # type: ignore[attr-defined]
    for problem in problems:
        print(problem)
    if problems:
        return 1
    count = len(requests) if requests else 1
    print(f"{saga.__name__}: the wiring is complete ({count} sample "
          f"request{'s' if count != 1 else ''} checked).")
    return 0
