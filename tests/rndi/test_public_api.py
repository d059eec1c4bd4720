import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MODULES = {
    "rndi.dicontainer": ["BaseServiceProvider", "Container", "DIContainer", "ServiceProvider",
                         "DependencyBuildingFailure", "InvalidClassType"],
    "rndi.dicontainer.contracts": ["ServiceProvider", "DIContainer"],
    "rndi.dicontainer.adapter": ["BaseServiceProvider", "Container"],
    "rndi.dicontainer.exceptions": ["DependencyBuildingFailure", "InvalidClassType"],
    "rndi.connect.business_transactions.contracts": [
        "BackgroundTransaction", "InteractiveTransaction", "ValidationTransaction",
        "ScheduledTransaction", "TBackgroundResponse", "FnBackgroundPredicate",
        "FnBackgroundExecution", "FnBackgroundCompensation", "FnBackgroundTransaction",
        "AnyBackgroundTransaction", "TInteractiveResponse", "FnInteractiveExecution",
        "FnInteractiveTransaction", "AnyInteractiveTransaction", "FnValidationExecution",
        "FnValidationTransaction", "AnyValidationTransaction", "FnScheduledExecution",
        "FnScheduledTransaction", "AnyScheduledTransaction"],
    "rndi.connect.business_transactions.adapters": [
        "TupleBackgroundTransaction", "select", "prepare", "TransactionSelector"],
    "rndi.connect.business_transactions.exceptions": [
        "TransactionException", "InvalidTransaction", "TransactionNotSelected"],
    "rndi.connect.business_transaction_middleware.middleware": [
        "Middleware", "make_middleware_callstack"],
}


@pytest.mark.parametrize(("module", "names"), MODULES.items())
def test_public_names_import(module, names):
    imported = importlib.import_module(module)
    missing = [name for name in names if not hasattr(imported, name)]
    assert missing == []


@pytest.mark.parametrize("package", ["rndi", "rndi.connect"])
def test_namespace_packages_have_no_init(package):
    assert getattr(importlib.import_module(package), "__file__", None) is None


ONLY_WHAT_IS_CONFIGURED = textwrap.dedent("""
    import json, logging, sys, tempfile
    sys.path.insert(0, sys.argv[1])
    from purchase_extension.saga import PurchaseSaga
    from rndi.connect.business_objects import Request
    with tempfile.TemporaryDirectory() as directory:
        config = {"CACHE_DRIVER": "sqlite", "CACHE_DIR": directory,
                  "ACTIVATION_TEMPLATE": "TL-1", "VENDOR_API_URL": "http://127.0.0.1:9"}
        saga = PurchaseSaga.make(config, None, logging.getLogger("x"))
        cache = saga.container.bound("cache")  # the SQLite cache, built
        # orjson is left out on purpose: the codec uses it whenever it is installed
        print(json.dumps(sorted(m for m in ("redis", "websockets") if m in sys.modules)))
        print(type(cache).__name__)
""")


def test_a_saga_with_the_sqlite_cache_imports_no_optional_dependency():
    example = Path(__file__).resolve().parents[2] / "examples" / "purchase_extension"
    out = subprocess.run([sys.executable, "-c", ONLY_WHAT_IS_CONFIGURED, str(example)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["[]", "SQLiteCacheAdapter"]
