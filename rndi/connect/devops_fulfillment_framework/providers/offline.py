"""Provides the offline-mode ``criteria`` and ``on_match`` that ``OfflineCriteria`` takes."""

from typing import Any, Callable, List

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.request_offline_criteria.contracts import Rule
from rndi.connect.request_offline_criteria.rules import (
    composited_match_offline_asset_and_marketplace_parameter,
    match_request_type,
)
from rndi.dicontainer.adapter import BaseServiceProvider


def skip_offline_request(request: dict) -> BackgroundResponse:
    """The default ``on_match``: leave an offline request alone."""
    return BackgroundResponse.skip()


class OfflineServiceProvider(BaseServiceProvider):
    """``criteria``: the asset is listed offline (by parameter or marketplace list) and the
    request is a cancel or suspend; ``on_match``: skip the request.

    Subclass it and override ``provide_criteria``/``provide_on_match`` (their parameters
    are injected by name) to change either, for example to approve offline requests with
    ``DefaultOnMatchTransaction(activation_template, client, logger)``.
    """

    def provide_criteria(self) -> List[Rule]:
        return [composited_match_offline_asset_and_marketplace_parameter, match_request_type]

    def provide_on_match(self) -> Callable[[dict], Any]:
        return skip_offline_request
