"""``rndi-saga``: check or explain the wiring of a saga or flow from the command line, or
write a new extension project.

    rndi-saga check package.module:PurchaseSaga [--config FILE.json] [--set KEY=VALUE]...
                                                [--request FILE.json]...
    rndi-saga check package.module               every saga and flow the module defines
    rndi-saga explain package.module:PurchaseSaga [same options]
    rndi-saga doctor                             the installation: upstream versions, clashes
    rndi-saga new NAME [--directory DIR]         write a new extension project

``check`` prints one line per problem, starting with its kind: ``missing`` (nothing bound
to a parameter without default), ``cycle``, ``duplicate`` (two providers bind one name),
``invalid`` (a flow that cannot be built, ``transactions()`` or ``middlewares()`` raising
or answering something other than a list, an entry that is not a transaction or
middleware, a setting ``make()`` refuses), ``async`` (an ``async def`` method calling a
sync facade operation, or dropping what an ``a…`` one answers) or ``unsafe`` (a lease or
a journal on the null cache, a journal without the lease).

Exit codes: 0, the wiring is complete (``check``) or was printed (``explain``), or the
installation is sound (``doctor``); 1, ``check`` found problems (one line each; a flow
that cannot be built is one) or ``doctor`` found a published package installed over this
one; 2, the saga could not be checked (one line on stderr says why: options that cannot
be used, a module that cannot be imported, saga code that raised, an abstract base named,
output closed early).
In a module's report every line starts with its flow's name, and a base flow (one that
sets ``__abstract__ = True`` or declares abstract methods of its own) is skipped with a
note that leaves the exit code as it is.
Nothing printed shows a configuration value: errors name keys and types.
"""

import argparse
import importlib
import inspect
import json
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from rndi.connect.devops_logger_adapter._secrets import text_masker

CLEAN = 0
PROBLEMS_FOUND = 1
USAGE_ERROR = 2
MAX_FILE_BYTES = 8 * 1024 * 1024  # a config or request file is kilobytes; /dev/zero is not
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# values of ordinary keys this long or longer are masked in output too; shorter ones
# ("900", "sqlite", "none") are settings, and masking them would garble every message
_SHORTEST_MASKED = 8
# the problem kinds whose messages hold names only, never a value or an error's text
_NAMES_ONLY = frozenset({"missing", "cycle", "duplicate"})
_KINDS_HELP = (
    "Each problem is one line, starting with its kind. missing: nothing is bound to a "
    "parameter without default. cycle: bindings that need one another. duplicate: two "
    "providers bind one name. invalid: a flow that cannot be built, transactions() or "
    "middlewares() raising or answering something other than a list, an entry that is "
    "not a transaction or middleware, a setting make() refuses. async: an async def "
    "method calling a sync facade operation, or dropping what an a... one answers. "
    "unsafe: a lease or a journal on the null cache, a journal without the lease. "
    "Exit codes: 0 complete, 1 problems found, 2 could not check.")


class UsageError(Exception):
    """What the user asked for cannot be done; the message says why."""


Redact = Callable[[str], str]


def _redactor(config: Dict[str, Any]) -> Redact:
    """Masks a line of output by the library's one rule, widened to every configuration
    value of ``_SHORTEST_MASKED`` characters or more (output may quote any of them)."""
    return text_masker(config, shortest_other=_SHORTEST_MASKED)


def _where(error: BaseException) -> str:
    if isinstance(error, SyntaxError) and error.filename:  # its frames are the importer's
        return f" (at {os.path.basename(error.filename)}:{error.lineno})"
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


def _import(module_name: str, redact: Redact) -> Any:
    try:
        return importlib.import_module(module_name)
    except ImportError as e:  # names a module or a file, nothing of the user's data
        raise UsageError(f"Cannot import {module_name!r}: {type(e).__name__}: "
                         f"{redact(str(e))}") from e
    except SystemExit as e:  # a script run on import: a silent exit 0 would read as a pass
        raise UsageError(f"Importing {module_name!r} {_exited(e)}; a module that defines "
                         "a saga must not exit when imported (put that code under "
                         "`if __name__ == '__main__':`).") from e
    except BaseException as e:  # any error of the user's module is theirs to see (an
        # interrupt too: raised while importing, it stopped the import all the same)
        raise UsageError(f"Cannot import {module_name!r}: {_failure(e, redact)}") from e


_KINDS = "a Saga, ValidationFlow, InteractiveFlow or ScheduledFlow subclass"


def _load_flows(spec: str, redact: Redact) -> List[type]:
    """The flow ``module:Class`` names, or every flow class defined in ``module``."""
    module_name, colon, name = spec.partition(":")
    if not module_name or (colon and not name):
        raise UsageError(f"{spec!r} is not module:Class or module (for example "
                         "purchase_extension.saga:PurchaseSaga, or purchase_extension.saga "
                         "for every flow it defines).")
    module = _import(module_name, redact)
    # imported once the user's module is: its import errors are reported as its own
    from rndi.connect.devops_fulfillment_framework._base import Flow

    if not colon:
        found = [value for value in list(vars(module).values())
                 if _defined_flow(value, Flow, module.__name__)]
        if not found:
            raise UsageError(f"{module_name!r} defines no saga or flow ({_KINDS}).")
        return found
    value: Any = module
    for part in name.split("."):
        try:
            value = getattr(value, part, None)
        except BaseException as e:  # a module or class __getattr__ of the user's
            raise UsageError(f"Reading {name!r} from {module_name!r} raised "
                             f"{_failure(e, redact)}") from e
        if value is None:
            raise UsageError(f"{module_name!r} has no {name!r}.")
    if not issubclass(type(value), type):  # not isinstance: a lazy proxy raises on it
        raise UsageError(f"{spec} must name {_KINDS}, but it is {_a(type(value).__name__)}.")
    if not issubclass(value, Flow) or value.__module__.startswith(
            "rndi.connect.devops_fulfillment_framework."):
        raise UsageError(f"{spec} must name {_KINDS}, but class {value.__qualname__} is "
                         "not one.")
    return [value]


def _defined_flow(value: Any, flow: type, module: str) -> bool:
    """Whether ``value`` is a flow class defined in ``module``. Read without touching the
    value's own attributes: a module-level lazy object (a settings proxy) may raise on
    any of them, and it is no flow anyway."""
    return (issubclass(type(value), type) and issubclass(value, flow)
            and vars(value).get("__module__") == module)


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
        prog="rndi-saga",
        description="Check or explain the wiring of a saga or flow without running it.",
        epilog="check reports problems of six kinds (missing, cycle, duplicate, invalid, "
               "async or unsafe; see rndi-saga check --help). Exit codes: 0 complete, 1 "
               "problems found, 2 could not check.")
    commands = parser.add_subparsers(dest="command", required=True)
    for command, summary in (("check", "report every wiring problem (exit 1 if any)"),
                             ("explain", "print where each parameter's value comes from")):
        sub = commands.add_parser(command, help=summary,
                                  epilog=_KINDS_HELP if command == "check" else None)
        sub.add_argument("saga", help="the saga or flow class, as package.module:ClassName, "
                                      "or package.module for every one it defines")
        sub.add_argument("--config", action="append", default=[], metavar="FILE.json",
                         help="the extension configuration, a JSON object (repeatable)")
        sub.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="one configuration value (repeatable; wins over --config)")
        sub.add_argument("--request", action="append", default=[], metavar="FILE.json",
                         help="a sample request (repeatable; default: a purchase)")
    commands.add_parser("doctor", help="print the installation: connect-eaas-core, the runner, "
                                       "pydantic, the Connect client, the cache drivers and "
                                       "any published package installed over this one "
                                       "(exit 1 if so)")
    new = commands.add_parser(
        "new", help="write a new extension project: a purchase saga with the lease and "
                    "the journal, a draft validation, and their tests")
    new.add_argument("name", help="the project's name, for example acme-extension")
    new.add_argument("--directory", metavar="DIR",
                     help="where to write it (default: ./NAME); must not hold anything")
    return parser


def _doctor() -> int:
    from rndi.connect.devops_fulfillment_framework.installation import doctor_report

    lines, sound = doctor_report()
    print("\n".join(lines))
    return CLEAN if sound else PROBLEMS_FOUND


def _run(command: str, saga: Any, config: Dict[str, Any], requests: Optional[List[dict]],
         redact: Redact, prefix: str = "") -> int:
    if command == "explain":
        for request in (list(requests) if requests else [None]):
            print(redact(saga.explain(config, request)))
        return CLEAN
    problems = saga.check(config, requests)
    for problem in problems:
        # these are made of names only (of parameters, bindings, classes, config keys),
        # and a name like 'api_key' followed by ': nothing is bound' is no secret to mask
        text = str(problem)
        print(prefix + (text if problem.kind in _NAMES_ONLY else redact(text)))
    if problems:
        return PROBLEMS_FOUND
    count = len(requests) if requests else 1
    print(f"{saga.__name__}: the wiring is complete ({count} sample "
          f"request{'s' if count != 1 else ''} checked).")
    return CLEAN


def _run_one(command: str, saga: Any, config: Dict[str, Any],
             requests: Optional[List[dict]], redact: Redact, named: bool) -> int:
    """``_run`` for one flow (``named`` on the command line, else one of a module's);
    what its own code raises is one line on stderr, exit 2."""
    from rndi.connect.devops_fulfillment_framework.wiring import is_abstract_base

    name = saga.__name__
    if inspect.isabstract(saga) and is_abstract_base(saga):
        missing = ", ".join(f"{method}()" for method in sorted(saga.__abstractmethods__))
        if named:
            print(f"rndi-saga: Cannot {command} {name}: it is an abstract base (it does not "
                  f"define {missing}); name a subclass that does.", file=sys.stderr)
            return USAGE_ERROR
        print(f"{name}: skipped, an abstract base (it does not define {missing}).")
        return CLEAN
    if not named and vars(saga).get("__abstract__") is True:
        print(f"{name}: skipped, a base (__abstract__ = True).")
        return CLEAN
    what = f"Cannot {command} {name}"
    try:
        return _run(command, saga, config, requests, redact, "" if named else f"{name}: ")
    except RecursionError as e:
        message = (f"{what}: its wiring (or its own code) nests deeper than Python's "
                   f"recursion limit of {sys.getrecursionlimit()}{_where(e)}; a chain of "
                   "bindings that long cannot be checked.")
    except SystemExit as e:
        message = f"{what}: its code {_exited(e)}."
    except BrokenPipeError:
        raise
    except BaseException as e:  # the saga's own code raised: not a wiring problem
        message = f"{what}: {_failure(e, redact)}"
    print(f"rndi-saga: {message}", file=sys.stderr)
    return USAGE_ERROR


def _output_closed() -> int:
    """Whoever read our output stopped (``rndi-saga explain … | head -1``): say so on
    stderr, and send what is still buffered nowhere, so that Python's own flush at exit
    does not fail with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor behind stdout: nothing to flush
        pass
    print("rndi-saga: the output was closed before all of it was written.", file=sys.stderr)
    return USAGE_ERROR


def _new(name: str, directory: Optional[str]) -> int:
    from rndi.connect.devops_fulfillment_framework._scaffold import ScaffoldError, write_project

    target = Path(directory) if directory else Path(name)
    try:
        written = write_project(name, target)
    except (ScaffoldError, OSError) as e:
        print(f"rndi-saga: {e}", file=sys.stderr)
        return USAGE_ERROR
    print(f"Wrote {len(written)} files into {target}/:")
    for path in written:
        print(f"  {path.relative_to(target)}")
    print(f"Next: cd {target} && poetry install && poetry run pytest")
    return CLEAN


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``rndi-saga`` with ``argv`` (default: the command line); the exit code."""
    if sys.stdout is None:  # started with its standard output closed (`>&-`)
        print("rndi-saga: there is no standard output to write to.", file=sys.stderr)
        return USAGE_ERROR
    try:
        arguments = _parser().parse_args(argv)
        if arguments.command == "doctor":
            code = _doctor()
        elif arguments.command == "new":
            code = _new(arguments.name, arguments.directory)
        else:
            code = _inspect(arguments)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except BrokenPipeError:
        return _output_closed()
    except KeyboardInterrupt:  # Ctrl-C: one line, as for a signal, not a traceback
        print("rndi-saga: interrupted.", file=sys.stderr)
        return 130
    return code


def _inspect(arguments: argparse.Namespace) -> int:
    """``check`` or ``explain``, as the command line asks."""
    # like python -m: the saga's package is found from the current directory
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    redact: Redact = text_masker()
    try:
        config = _config(arguments.config, arguments.set)
        requests = _requests(arguments.request)
        redact = _redactor(config)
        flows = _load_flows(arguments.saga, redact)
    except UsageError as e:
        print(f"rndi-saga: {e}", file=sys.stderr)
        return USAGE_ERROR
    # one flow named: its lines as they are; a module's flows: each line names its flow
    named = ":" in arguments.saga
    codes = []
    for number, flow in enumerate(flows):
        if number and arguments.command == "explain":
            print()
        codes.append(_run_one(arguments.command, flow, config, requests, redact, named))
    return max(codes)
