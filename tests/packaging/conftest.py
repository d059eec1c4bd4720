import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def wheel_path(tmp_path_factory):
    """The wheel users install, built from this checkout."""
    masonry = pytest.importorskip("poetry.core.masonry.api")
    target = tmp_path_factory.mktemp("wheel")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        name = masonry.build_wheel(str(target))
    finally:
        os.chdir(cwd)
    return target / name
