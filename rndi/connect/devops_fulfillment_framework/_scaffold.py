"""``rndi-saga new NAME``: write a new extension project from ``project_template/``.

The template's files end in ``.tmpl`` (so no tool mistakes them for this package's own
code) and use ``string.Template`` placeholders: ``$name``, ``$package``, ``$class_name``,
``$title`` and ``$framework_version``. Its ``package/`` folder becomes the project's
Python package, ``gitignore`` its ``.gitignore``.
"""

import keyword
import re
import string
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Dict, List

DISTRIBUTION = "rndi-connect-devops-fulfillment-framework"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*")
# package names an extension must not take: they would hide what it imports
_TAKEN = {"rndi", "connect", "tests", "test", "requests", "pytest"}


class ScaffoldError(ValueError):
    """The project cannot be written; the message says why and what to do."""


def project_names(name: str) -> Dict[str, str]:
    """The names a project called ``name`` uses: its distribution ``name``, its Python
    ``package``, its extension ``class_name`` and its ``title``.

    Raises:
        ScaffoldError: ``name`` is not a letter followed by letters, digits, and single
            ``-`` or ``_`` between them, or its package name is a Python keyword or a
            package an extension imports.
    """
    if not _NAME.fullmatch(name):
        raise ScaffoldError(
            f"{name!r} cannot name a project: use a letter, then letters, digits, and "
            "single '-' or '_' between them (for example acme-extension).")
    words = re.split(r"[-_]", name)
    package = "_".join(words).lower()
    if keyword.iskeyword(package):
        raise ScaffoldError(f"{name!r} would make a package named {package!r}, a Python "
                            "keyword, which cannot be imported; choose another name.")
    if package in _TAKEN:
        raise ScaffoldError(f"{name!r} would make a package named {package!r}, which "
                            "hides a module the extension needs; choose another name.")
    camel = "".join(word[:1].upper() + word[1:] for word in words)
    return {
        "name": name.lower().replace("_", "-"),
        "package": package,
        "class_name": camel if camel.endswith("Extension") else f"{camel}Extension",
        "title": " ".join(words).capitalize(),
    }


def _framework_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a checkout that is not installed
        return "1.0.0"


def _target_path(relative: str, package: str) -> str:
    relative = relative[: -len(".tmpl")]
    if relative.startswith("package/"):
        return package + relative[len("package"):]
    return ".gitignore" if relative == "gitignore" else relative


def render(name: str) -> Dict[str, str]:
    """The project's files, by path relative to its directory, with their content."""
    names = {**project_names(name), "framework_version": _framework_version()}
    root = resources.files(__package__).joinpath("project_template")
    files: Dict[str, str] = {}
    pending = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                pending.append((entry, f"{prefix}{entry.name}/"))
            else:  # every file of the template is a .tmpl
                text = string.Template(entry.read_text(encoding="utf-8")).substitute(names)
                files[_target_path(prefix + entry.name, names["package"])] = text
    return dict(sorted(files.items()))


def write_project(name: str, directory: Path) -> List[Path]:
    """Write the project ``name`` into ``directory`` (made if absent); the paths written.

    Raises:
        ScaffoldError: a bad name (see ``project_names``), or ``directory`` is a file or
            a folder that is not empty: nothing is overwritten.
    """
    files = render(name)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ScaffoldError(f"{str(directory)!r} already exists and is not an empty "
                            "directory; nothing was written. Choose another name or "
                            "--directory.")
    written = []
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
