"""Fixtures for driving the real connect-extension-runner against local fakes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rndi.connect.devops_fulfillment_framework.installation import RUNNER_NEEDS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "purchase_extension"
ASYNC_EXAMPLE = ROOT / "examples" / "async_purchase_extension"
MULTISTEP_EXAMPLE = ROOT / "examples" / "multistep_extension"

pytest.importorskip("connect.eaas.runner", reason=f"the runner is not installed: {RUNNER_NEEDS}")
trustme = pytest.importorskip("trustme")

for example in (EXAMPLE, MULTISTEP_EXAMPLE):
    if str(example) not in sys.path:
        sys.path.insert(0, str(example))


@pytest.fixture(scope="session", autouse=True)
def optimized_runners():
    """The runners these tests start run with ``PYTHONOPTIMIZE=1``: connect-openapi-client
    imports inflect, whose typeguard decorators re-compile it on every import unless
    Python is optimized. That is 2.5 s of each of the three processes of every runner
    start. Neither the runner, its core and client, nor this package use ``assert``."""
    before = os.environ.get("PYTHONOPTIMIZE")
    os.environ["PYTHONOPTIMIZE"] = "1"
    yield
    if before is None:
        del os.environ["PYTHONOPTIMIZE"]
    else:
        os.environ["PYTHONOPTIMIZE"] = before


# what the runner's validation expects of an extension project
PROJECT = """\
[tool.poetry]
name = "purchase-extension"
version = "1.0.0"
description = "The example extension, as a project the runner validates."
authors = ["rndi contributors"]

[tool.poetry.dependencies]
python = ">=3.10,<3.13"
connect-eaas-core = ">=37.4,<38"
{plugins}"""
DECLARED = """
[tool.poetry.plugins."connect.eaas.ext"]
"eventsapp" = "purchase_extension.extension:PurchaseExtension"
"""


def extension_project(directory, plugins=DECLARED):
    """An extension project as the runner's validation expects it, in ``directory``."""
    directory.mkdir()
    (directory / "pyproject.toml").write_text(PROJECT.format(plugins=plugins))
    return str(directory)


def install(project, target):
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--no-index", "--target", str(target), str(project)],
        check=True, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    return target


@pytest.fixture(scope="session")
def installed_extension(tmp_path_factory):
    """The example extension installed as a distribution (entry point + extension.json)."""
    return install(EXAMPLE, tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def async_extension_path(tmp_path_factory):
    """The runner's path for the async example: its distribution (the only ``eventsapp``
    entry point there), and the sync example's sources it builds on."""
    return [str(install(ASYNC_EXAMPLE, tmp_path_factory.mktemp("async-site"))), str(EXAMPLE)]


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """A CA trusted by the runner, and a server context for 127.0.0.1 signed by it."""
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1")
    bundle = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    return context, str(bundle)


@pytest.fixture(scope="session")
def redis_replicas(installed_extension, tls):
    """Replicas ``A`` and ``B`` of the example extension on one redis-server, with the
    chaos settings (``chaos.SETTINGS``): ``test_chaos.py`` and ``test_replicas.py`` share
    them, as starting two runners costs more than most of what either module does. Each
    module takes them through ``chaos.revived()``, which starts again a replica an earlier
    module killed."""
    from rndi.cache.testing import RedisServer
    from tests.e2e import chaos
    from tests.rndi.cache.conftest import redis_server_or_skip

    redis_server_or_skip()
    # the deadline covers both modules on a slow machine; idle replicas cost nothing
    with RedisServer() as redis, chaos.cluster(installed_extension, tls, redis,
                                                deadline=1200) as cluster:
        yield cluster
