"""Binds the offline-mode ``criteria`` and ``on_match`` that ``OfflineCriteria`` takes."""

from connect.eaas.core.responses import BackgroundResponse

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

    Replace it (``Saga({'offline': ...})``) or subclass it to bind another ``on_match``,
    for example a ``DefaultOnMatchTransaction`` that approves with a template.
    """

    def register(self) -> None:
        self._own("_instances").update({
            "criteria": [
                composited_match_offline_asset_and_marketplace_parameter,
                match_request_type,
            ],
            "on_match": skip_offline_request,
        })
