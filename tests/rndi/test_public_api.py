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
        "TupleBackgroundTransaction", "select", "prepare", "TransactionSelector",
        "TBackgroundResponse"],
    "rndi.connect.business_transactions.exceptions": [
        "TransactionException", "InvalidTransaction", "TransactionNotSelected"],
    "rndi.connect.business_transaction_middleware.middleware": [
        "Middleware", "make_middleware_callstack"],
    "rndi.connect.business_objects.adapters": [
        "Request", "Asset", "TierConfiguration", "find_by_id", "make_param", "make_tier",
        "merge", "request_model"],
    "rndi.connect.business_objects.helpers": [
        "find_by_id", "merge", "make_tier", "make_param", "request_model"],
    "rndi.connect.business_objects.exceptions": ["MissingParameterError", "MissingItemError"],
    "rndi.connect.business_objects.mixin": [
        "HasConfiguration", "HasConnection", "HasContract", "HasEvents", "HasMarketplace",
        "HasParameters", "HasProduct", "HasReadWriteOperations", "THasConfiguration",
        "THasParameters", "THasReadWriteOperations"],
    "rndi.connect.business_objects.contracts": [
        "RequestSource", "RequestBuilder", "AssetSource", "AssetBuilder",
        "TierConfigurationSource", "TierConfigurationBuilder", "ParametersSource",
        "MarketPlaceBuilder", "TRequestBuilder", "TAssetBuilder", "TTierConfigurationBuilder"],
    "rndi.connect.api_facades.facade": ["ConnectOpenAPIFacade"],
    "rndi.connect.api_facades.contracts": ["OnError", "OnSuccess"],
    "rndi.connect.api_facades.assets.contracts": ["AssetManagementService"],
    "rndi.connect.api_facades.assets.mixins": [
        "WithAssetFacade", "APPROVE", "INQUIRE", "FAIL", "APPROVED", "INQUIRING", "FAILED",
        "TEMPLATE_ID", "ACTIVATION_TILE", "EFFECTIVE_DATE", "REASON"],
    "rndi.connect.api_facades.tier_configurations.contracts": [
        "TierConfigurationManagementService"],
    "rndi.connect.api_facades.tier_configurations.mixins": [
        "WithTierConfigurationFacade", "ID", "TIER", "APPROVE", "TEMPLATE", "FAIL", "INQUIRE"],
    "rndi.cache.contracts": ["Cache"],
    "rndi.cache.provider": ["provide_cache", "provide_none_cache_adapter"],
    "rndi.cache.adapters.null.adapter": ["NullCacheAdapter", "provide_none_cache_adapter"],
    "rndi.cache.adapters.fs.adapter": [
        "FileSystemCacheAdapter", "provide_fs_cache_adapter", "get_file_contents"],
    "rndi.cache.adapters.sqlite.adapter": ["SQLiteCacheAdapter", "provide_sqlite_cache_adapter"],
    "rndi.connect.devops_logger_adapter.adapter": [
        "ExtensionLoggerAdapter", "bind_logger", "mask_dictionary", "request_model"],
    "rndi.connect.devops_logger_adapter.mixins": ["WithBoundedLogger"],
    "rndi.connect.request_offline_criteria.adapters": [
        "OfflineCriteria", "DefaultOnMatchTransaction"],
    "rndi.connect.devops_fulfillment_framework.application": [
        "Saga", "AnyConnectClient", "CacheServiceProvider", "ConfigurationServiceProvider",
        "ConnectServiceProvider",
        # what the published module imported, which an extension may import from it
        "OfflineServiceProvider", "ServiceProvider", "Container", "select", "prepare",
        "make_middleware_callstack", "Middleware", "BackgroundResponse",
        "BackgroundTransaction", "ConnectClient", "AsyncConnectClient"],
    "rndi.connect.devops_fulfillment_framework.providers.connect": [
        "ConnectServiceProvider", "AnyConnectClient", "ServiceProvider", "ConnectClient",
        "AsyncConnectClient"],
    "rndi.connect.devops_fulfillment_framework.providers.cache": [
        "CacheServiceProvider", "provide_sqlite_cache_adapter", "provide_cache", "Cache",
        "ServiceProvider"],
    "rndi.connect.devops_fulfillment_framework.providers.configuration": [
        "ConfigurationServiceProvider", "ServiceProvider"],
    "rndi.connect.devops_fulfillment_framework.providers.offline": [
        "OfflineServiceProvider", "ServiceProvider", "BackgroundResponse",
        "composited_match_offline_asset_and_marketplace_parameter", "match_request_type"],
    "rndi.connect.request_offline_criteria.rules": ["Request", "MissingParameterError"],
}


def test_business_objects_take_their_published_keyword():
    from rndi.connect.business_objects.adapters import Asset, Request, TierConfiguration

    assert Request(request={"id": "PR-1"}).id() == "PR-1"
    assert Asset(asset={"id": "AS-1"}).id() == "AS-1"
    assert TierConfiguration(tier_config={"id": "TC-1"}).id() == "TC-1"


def test_a_provider_declaring_its_bindings_in_configure_as_published():
    from rndi.dicontainer import BaseServiceProvider, Container
    from rndi.dicontainer.exceptions import InvalidBinding

    class Vendor:
        def __init__(self, vendor_url):
            self.url = vendor_url

    class PinjectStyle(BaseServiceProvider):
        def configure(self, bind):
            bind("vendor_url", to_instance="https://vendor.example")
            bind("vendor", to_class=Vendor, in_scope="singleton")

    class Needs:
        def __init__(self, vendor):
            self.vendor = vendor

    assert Container([PinjectStyle()]).get(Needs).vendor.url == "https://vendor.example"

    class Ambiguous(BaseServiceProvider):
        def configure(self, bind):
            bind("x", to_class=Vendor, to_instance=1)

    with pytest.raises(InvalidBinding, match="exactly one of to_class= or to_instance="):
        Container([Ambiguous()])


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
