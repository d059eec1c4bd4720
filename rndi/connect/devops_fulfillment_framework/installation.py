"""What is installed next to this package: the upstream stack, and any published ``rndi-*``
distribution whose files overlap this package's.

The published packages install into the same ``rndi`` folders as this one. pip lets a
second distribution overwrite another's files without a word, so a project that still
lists, say, ``rndi-connect-business-objects`` ends up with a mix of both versions (and
uninstalling it later deletes files this package needs). Importing the framework refuses
such an installation with :class:`PublishedPackageClash`, whose message says what to
remove from ``pyproject.toml``; ``rndi-saga doctor`` prints the whole picture.

Only the standard library is imported here: this module runs before anything that a
clash could have broken. The check lists the folders on ``sys.path`` once; metadata is
read only for an ``rndi-*`` distribution other than this one.
"""

import functools
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

__all__ = [
    "DISTRIBUTION",
    "PACKAGES",
    "Clash",
    "PublishedPackageClash",
    "cache_drivers",
    "find_clashes",
    "refuse_clashes",
    "stack_versions",
]

DISTRIBUTION = "rndi-connect-devops-fulfillment-framework"
# The import packages this distribution ships (a test keeps this list equal to the tree).
PACKAGES = (
    "rndi.cache",
    "rndi.connect.api_facades",
    "rndi.connect.business_objects",
    "rndi.connect.business_transaction_middleware",
    "rndi.connect.business_transactions",
    "rndi.connect.devops_fulfillment_framework",
    "rndi.connect.devops_logger_adapter",
    "rndi.connect.request_offline_criteria",
    "rndi.connect.testing",
    "rndi.dicontainer",
    "rndi.telemetry",
)
# Published distributions whose part is an extra here; the others are in the core.
EXTRA_FOR = {
    "rndi-cache-redis-adapter": "redis",
    "rndi-python-telemetry-observer": "insights",  # it always brought the Azure exporter
}
# The upstream stack, as doctor reports it.
STACK = (
    ("connect-eaas-core", "connect-eaas-core"),
    ("connect-extension-runner", "the runner"),
    ("pydantic", "pydantic"),
    ("connect-openapi-client", "the Connect client"),
)

_METADATA_DIR = re.compile(r"^rndi[-_.][^/]*\.(dist-info|egg-info)$", re.IGNORECASE)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class PublishedPackageClash(ImportError):
    """A published ``rndi-*`` distribution is installed over this package's files.

    Attributes:
        clashes: one :class:`Clash` per such distribution.
    """

    def __init__(self, clashes: Iterable["Clash"]) -> None:
        self.clashes = list(clashes)
        super().__init__("\n".join(clash.message() for clash in self.clashes))


@dataclass(frozen=True)
class Clash:
    """A published distribution whose files lie in this package's import packages.

    Attributes:
        distribution: its name, as installed.
        version: its version.
        packages: the import packages of this one it wrote files into.
        extra: the extra of this package that replaces it, if any.
    """

    distribution: str
    version: str
    packages: Tuple[str, ...]
    extra: Optional[str]

    def message(self) -> str:
        """What happened and how to fix it, in one paragraph."""
        instead = (f"{DISTRIBUTION}[{self.extra}]" if self.extra else DISTRIBUTION)
        return (
            f"{self.distribution} {self.version} is installed next to {DISTRIBUTION} and "
            f"ships its own {', '.join(self.packages)}, which {DISTRIBUTION} provides: "
            "installed into the same folders, each overwrites the other's files, leaving a "
            f"mix of both, and uninstalling {self.distribution} alone deletes files this "
            f"package needs. Fix: remove {self.distribution} from your pyproject.toml (depend on "
            f"{instead} instead), then reinstall: pip uninstall -y {self.distribution} "
            f"&& pip install --force-reinstall --no-deps {DISTRIBUTION}. `rndi-saga "
            "doctor` shows the installation.")


def _package_of(path: str) -> Optional[str]:
    """The import package a distribution's file belongs to, among this package's."""
    parts = Path(path).parts
    if len(parts) < 3 or parts[0] != "rndi":
        return None
    depth = 3 if parts[1] == "connect" else 2
    if len(parts) <= depth:  # a module right in the namespace: no package of ours
        return None
    package = ".".join(parts[:depth])
    return package if package in PACKAGES else None


def _foreign_rndi_distributions(paths: Iterable[str]) -> Iterable[Any]:
    """The ``rndi-*`` distributions other than this one installed on ``paths``, found by
    their metadata folder's name: one directory listing per path."""
    for entry in paths:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, or a path that does not exist
            continue
        for name in sorted(names):
            # <name>-<version>.dist-info; an egg-info folder may leave out the version
            if _METADATA_DIR.match(name) and _normalized(
                    name.rsplit(".", 1)[0].split("-", 1)[0]) != DISTRIBUTION:
                from importlib import metadata

                yield metadata.PathDistribution(Path(entry or ".") / name)


def find_clashes(paths: Optional[Iterable[str]] = None) -> List[Clash]:
    """The published ``rndi-*`` distributions on ``paths`` (default: ``sys.path``) whose
    files lie in this package's import packages; empty for a clean installation."""
    found: Dict[str, Clash] = {}
    for distribution in _foreign_rndi_distributions(sys.path if paths is None else paths):
        name = distribution.metadata["Name"] or ""
        if not name or _normalized(name) == DISTRIBUTION or _normalized(name) in found:
            continue
        packages = sorted({package for package in map(_package_of, map(
            str, distribution.files or ())) if package})
        if packages:
            found[_normalized(name)] = Clash(name, distribution.version or "?",
                                             tuple(packages),
                                             _extra_for(_normalized(name)))
    return list(found.values())


def _extra_for(name: str) -> Optional[str]:
    """The extra that replaces a published distribution, when this package has it."""
    from importlib import metadata

    extra = EXTRA_FOR.get(name)
    try:
        provided = metadata.metadata(DISTRIBUTION).get_all("Provides-Extra") or []
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return extra
    return extra if extra in provided else None


@functools.lru_cache(maxsize=1)
def _clashes_on_sys_path() -> Tuple[Clash, ...]:
    return tuple(find_clashes())


def refuse_clashes() -> bool:
    """Raise :class:`PublishedPackageClash` when a published distribution overlaps this
    package. Looked up once per process (the installation does not change under it).

    Returns:
        ``True``: no clash, the framework can be imported. ``False`` only under
        ``rndi-saga doctor`` on a clashing installation: it reports the clash and
        imports nothing else a clash may have broken.
    """
    clashes = _clashes_on_sys_path()
    if not clashes:
        return True
    if _doctor_running():
        return False
    raise PublishedPackageClash(clashes)


def _doctor_running() -> bool:
    """``rndi-saga doctor``, or ``python -m rndi.connect.devops_fulfillment_framework
    doctor`` (whose package is imported while ``argv[0]`` is still ``-m``)."""
    return (len(sys.argv) > 1 and sys.argv[1] == "doctor"
            and (sys.argv[0] == "-m" or Path(sys.argv[0]).name.startswith("rndi-saga")))


def stack_versions() -> List[Tuple[str, str, Optional[str]]]:
    """``(distribution, what it is, version or None)`` for the upstream stack."""
    from importlib import metadata

    versions: List[Tuple[str, str, Optional[str]]] = []
    for name, role in STACK:
        try:
            versions.append((name, role, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, role, None))
    return versions


def cache_drivers() -> List[str]:
    """The cache drivers this installation can serve (``redis`` needs redis-py)."""
    from importlib.util import find_spec

    drivers = ["none", "file", "sqlite"]
    if find_spec("redis") is not None:
        drivers.append("redis")
    return drivers


# What differs between the two upstream stacks, said once: connect-eaas-core 37 with
# pydantic 1 is the one the runner installs on; 38 with pydantic 2 the one connect-cli 41
# needs. Nothing in this package depends on which one is installed, except whether the
# real runner can be.
RUNNER_NEEDS = ("connect-extension-runner 43 needs connect-eaas-core < 38 (pydantic 1) and "
                "Python < 3.13")


def stack_name(eaas_core_version: Optional[str]) -> str:
    """Which upstream stack a connect-eaas-core version belongs to."""
    major = (eaas_core_version or "").split(".", 1)[0]
    if major == "37":
        return "connect-eaas-core 37 + pydantic 1 (the runner's stack)"
    if major == "38":
        return "connect-eaas-core 38 + pydantic 2 (connect-cli 41's stack; no runner)"
    return f"connect-eaas-core {eaas_core_version or 'missing'} (not a supported stack)"


def doctor_report() -> Tuple[List[str], bool]:
    """The lines ``rndi-saga doctor`` prints, and whether the installation is sound."""
    from importlib import metadata

    try:
        own = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # imported from a checkout
        own = "not installed (imported from its source folder)"
    lines = [f"{DISTRIBUTION} {own}, Python {sys.version.split()[0]}"]
    versions = stack_versions()
    for name, role, version in versions:
        label = name if role == name else f"{role} ({name})"
        if version is None and name == "connect-extension-runner":
            lines.append(f"{label}: not installed ({RUNNER_NEEDS}; the end-to-end tests "
                         "skip without it)")
        else:
            lines.append(f"{label}: {version or 'not installed'}")
    lines.append(f"stack: {stack_name(versions[0][2])}")
    lines.append(f"cache drivers: {', '.join(cache_drivers())}")
    clashes = find_clashes()
    if not clashes:
        lines.append("published rndi-* packages over this one: none")
    for clash in clashes:
        lines.append(f"CLASH: {clash.message()}")
    return lines, not clashes
