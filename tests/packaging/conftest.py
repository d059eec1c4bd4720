import os
import subprocess
import sysconfig
import venv
from importlib.metadata import entry_points
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


def _console_script(environment, name):
    """The test environment's ``name`` command, made again for ``environment``'s Python,
    as pip makes it from the entry point when it installs the distribution there."""
    (point,) = entry_points(group="console_scripts", name=name)
    module, _, attribute = point.value.partition(":")
    script = environment / "bin" / name
    # the guard matters: the runner's workers are spawned, and import the main module
    script.write_text(f"#!{environment / 'bin' / 'python'}\nimport sys\n"
                      f"from {module} import {attribute}\n"
                      f"if __name__ == '__main__':\n    sys.exit({attribute}())\n")
    script.chmod(0o755)


@pytest.fixture(scope="session")
def fresh_environment(wheel_path, tmp_path_factory):
    """A venv with the wheel installed; its dependencies come from the test environment
    (a .pth file), so no network is needed. The runner's ``cextrun`` command is made for
    it too, when the test environment has the runner. pip, too, is the test
    environment's, through the .pth file (it installs into the venv it runs in):
    installing a pip of its own into the venv took seconds."""
    root = tmp_path_factory.mktemp("throwaway")
    environment = root / "venv"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    with open(f"{purelib}/test-dependencies.pth", "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel_path)], check=True, timeout=300)
    if entry_points(group="console_scripts", name="cextrun"):
        _console_script(environment, "cextrun")
    return environment
