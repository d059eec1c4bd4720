"""Offline mode as a saga middleware, and the transaction that approves offline requests."""

import functools
from typing import Any, Callable, List, Mapping, Optional

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.api_facades.clients import is_async_client
from rndi.connect.business_objects.adapters import Request
from rndi.connect.business_transactions.contracts import (
    BackgroundTransaction,
    FnBackgroundExecution,
)
from rndi.connect.business_transactions.steps import call_off_loop
from rndi.connect.devops_logger_adapter._secrets import event_masker
from rndi.connect.request_offline_criteria.contracts import OfflineChecker, Rule
from rndi.dicontainer.adapter import Injectable


class OfflineCriteria(OfflineChecker):
    """Offline when there is at least one rule and every rule matches.

    As a middleware (list it in a saga's ``middlewares``; the container injects
    ``criteria`` and ``on_match``) an offline request goes to ``on_match(request)`` (or
    is skipped when there is none) and never reaches the transactions.
    """

    def __init__(self, criteria: List[Rule],
                 on_match: Injectable[Optional[Callable[[dict], Any]]] = None):
        criteria = list(criteria or [])
        for index, rule in enumerate(criteria):
            if not callable(rule):
                raise TypeError(f"criteria[{index}] must be a rule fn(request) -> bool, "
                                f"got a {type(rule).__name__}.")
        if on_match is not None and not callable(on_match):
            raise TypeError("on_match must be callable as fn(request), "
                            f"got a {type(on_match).__name__}.")
        self.criteria = criteria
        self.on_match = on_match

    def is_offline_enabled(self, request: dict) -> bool:
        return bool(self.criteria) and all(rule(request) for rule in self.criteria)

    def __call__(self, request: dict,
                 nxt: Optional[FnBackgroundExecution] = None) -> BackgroundResponse:
        if self.is_offline_enabled(request):
            if self.on_match is None:
                return BackgroundResponse.skip()
            return self.on_match(request)
        if nxt is None:
            raise ValueError(
                f"Request {request.get('id')!r} is not offline and OfflineCriteria has no "
                "next step to hand it to: use it as a middleware in front of a transaction "
                "(make_middleware_callstack([OfflineCriteria(...)], transaction))."
            )
        return nxt(request)

    async def acall(self, request: dict, nxt: Any = None) -> Any:
        """The middleware under ``aresolve()``: the same decision (the rules are read on
        the loop: they only look at the request); a sync ``on_match`` runs in a worker
        thread, and what it answers is awaited when it is awaitable."""
        if self.is_offline_enabled(request):
            if self.on_match is None:
                return BackgroundResponse.skip()
            return await call_off_loop(functools.partial(self.on_match, request))
        if nxt is None:
            return self(request, nxt)  # the same error as the sync middleware's
        return await nxt(request)


class DefaultOnMatchTransaction(BackgroundTransaction, WithAssetFacade):
    """Approves an offline request with the activation template, touching no vendor.

    Usable as ``on_match`` (it is callable with the request; an error of the approval
    raises out of it, to the saga) or as a transaction (its ``compensate`` logs the error
    and reschedules), with ``resolve()`` on a ``ConnectClient`` and with ``aresolve()`` on
    an ``AsyncConnectClient``.
    """

    def __init__(self, activation_tpl: str, client: Any, logger: Any,
                 config: Injectable[Optional[Mapping[str, Any]]] = None) -> None:
        if not activation_tpl:
            raise ValueError("DefaultOnMatchTransaction needs the activation template id "
                             "(activation_tpl) to approve offline requests with.")
        self.activation_tpl = activation_tpl
        self.client = client
        self.logger = logger
        # injected when the container binds it (a saga's does): its secrets are masked
        # in the error line, with the request's
        self.config = config

    def name(self) -> str:
        return "Approve offline request"

    def should_execute(self, request: dict) -> bool:
        return True

    def execute(self, request: dict) -> Any:
        """Approve the request; on an ``AsyncConnectClient`` (an ``async def`` handler's),
        answer the awaitable approval, which ``aresolve()`` awaits."""
        offline = Request(request)
        self.logger.info(f"The subscription {offline.asset().id()} is in offline mode.")
        if is_async_client(self.client):
            return self._approve_async(offline)
        self.approve_asset_request(offline, self.activation_tpl)
        return BackgroundResponse.done()

    async def _approve_async(self, offline: Request) -> BackgroundResponse:
        await self.aapprove_asset_request(offline, self.activation_tpl)
        return BackgroundResponse.done()

    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        # the error may quote a URL with its password, an api_key=…, a secret of the
        # configuration or of the request's parameters: masked by the rule
        self.logger.error("Offline approval of %s failed: %s", request.get("id"),
                          event_masker(self.config, request)(str(e)))
        return BackgroundResponse.reschedule()

    def __call__(self, request: dict) -> Any:
        return self.execute(request)
