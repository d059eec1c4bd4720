"""Which kind of transaction belongs in which kind of flow.

Below both the flows (which refuse a misplaced entry when they run) and ``wiring`` (which
reports it without running anything), so that neither has to import the other.
"""

import functools
from typing import Any, Optional, Tuple

from rndi.connect.business_transactions.contracts import (
    BackgroundTransaction,
    InteractiveTransaction,
    ScheduledTransaction,
    ValidationTransaction,
)

# Each transaction contract and the flow that runs it; a subclass before its base, so a
# ValidationTransaction is told apart from a plain InteractiveTransaction.
KINDS: Tuple[Tuple[type, str], ...] = (
    (ValidationTransaction, "ValidationFlow"),
    (InteractiveTransaction, "InteractiveFlow"),
    (ScheduledTransaction, "ScheduledFlow"),
    (BackgroundTransaction, "Saga"),
)


def kind_of(entry: Any) -> Optional[Tuple[type, str]]:
    """``(contract, flow)`` of a transaction class or instance, else ``None``."""
    return _kind_of_class(entry if isinstance(entry, type) else type(entry))


@functools.cache  # per class: every event asks it of every entry it tries
def _kind_of_class(cls: type) -> Optional[Tuple[type, str]]:
    for contract, flow in KINDS:
        if issubclass(cls, contract):
            return contract, flow
    return None


def misplaced(flow: type, entry: Any) -> Optional[str]:
    """Why ``entry`` (a class or an instance) does not belong in ``flow``, naming the flow
    that runs it; ``None`` when it belongs there or is no transaction at all."""
    kind = kind_of(entry)
    if kind is None or kind[0] is flow.contract:  # type: ignore[attr-defined]
        return None
    contract, right_flow = kind
    label = entry.__qualname__ if isinstance(entry, type) else _a(type(entry).__qualname__)
    ours: type = flow.contract  # type: ignore[attr-defined]
    return (f"{label}, which is {_a(contract.__name__)}: {_a(flow.kind)} runs "  # type: ignore[attr-defined]
            f"{ours.__name__}s. List it in {_a(right_flow)} "
            f"(rndi.connect.devops_fulfillment_framework.{right_flow}) and call that flow "
            "from the handler of its event")


def _a(name: str) -> str:
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
