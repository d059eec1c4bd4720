"""Provides the offline-mode ``criteria`` and ``on_match`` that ``OfflineCriteria`` takes."""

from typing import Any, Callable, List

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.request_offline_criteria.contracts import Rule
from rndi.connect.request_offline_criteria.rules import (
    composited_match_offline_asset_and_marketplace_parameter,
    match_request_type,
)
from rndi.dicontainer.adapter import BaseServiceProvider
from rndi.dicontainer.adapter import (  # noqa: F401 - published name
    BaseServiceProvider as ServiceProvider,
)


def skip_offline_request(request: dict) -> BackgroundResponse:
    """The default ``on_match``: leave an offline request alone."""
    return BackgroundResponse.skip()


class OfflineServiceProvider(BaseServiceProvider):
    """``criteria``: the asset is listed offline (by parameter or marketplace list) and the
    request is a cancel or suspend; ``on_match``: skip the request.

    Subclass it and override ``provide_criteria``/``provide_on_match`` (their parameters
    are injected by name) to change either. To approve offline requests with the
    activation template, bind ``on_match`` to ``DefaultOnMatchTransaction`` in
    ``register()``: its ``activation_tpl`` comes from ``ACTIVATION_TEMPLATE`` (a fallback
    binding, so a provider of your own that binds ``activation_tpl`` still wins).
    """

    fallbacks = frozenset({"activation_tpl"})
    # what the published provider bound in register(): a subclass's register() that binds
    # them replaces these methods, as it replaced those bindings
    replaceable = frozenset({"criteria", "on_match"})

    def provide_activation_tpl(self, activation_template: str) -> str:
        """What ``DefaultOnMatchTransaction(activation_tpl, ...)`` takes: the configured
        ``ACTIVATION_TEMPLATE``."""
        return activation_template

    def provide_criteria(self) -> List[Rule]:
        return [composited_match_offline_asset_and_marketplace_parameter, match_request_type]

    def provide_on_match(self) -> Callable[[dict], Any]:
        return skip_offline_request
