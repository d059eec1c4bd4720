import importlib

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
