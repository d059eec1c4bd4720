"""What a flow's ``transactions()`` and ``middlewares()`` may answer: read alike by every
event (``Flow._parts``) and by ``check`` (``wiring``)."""

from collections.abc import Iterable, Mapping
from typing import Any, List

from rndi.connect.devops_fulfillment_framework._kinds import _a


class NotAList(TypeError):
    """``transactions()`` or ``middlewares()`` answered something that is not a list of
    entries; the message says what it answered and what to answer."""


def listed_answer(answer: Any, role: str = "transactions") -> List[Any]:
    """The entries of an answer of ``transactions()`` or ``middlewares()``; nothing for a
    falsy one, as the flows read it. ``middlewares()`` answers a list or a tuple only:
    None there is most often a missing ``return``, which drops the lease with no error,
    and the order of a set, or of what a generator or a mapping yields, is no stack."""
    if isinstance(answer, (list, tuple)):
        return list(answer)
    if role == "middlewares" and not isinstance(answer, (type, str, bytes, Mapping)):
        if answer is None:
            raise NotAList("answered None, not a list (is a return missing?); answer [] "
                           "for no middleware")
        if isinstance(answer, (set, frozenset)):
            raise NotAList(f"answered {_a(type(answer).__name__)}, not a list: a set has "
                           "no order, and middlewares run outermost first")
        raise NotAList(f"answered {_a(type(answer).__name__)}, not a list; answer a list, "
                       "outermost first")
    if not answer and role == "transactions":
        return []
    if isinstance(answer, type):
        raise NotAList(f"answered the class {answer.__qualname__}, not a list; write "
                       f"return [{answer.__qualname__}]")
    if isinstance(answer, (str, bytes, Mapping)) or not isinstance(answer, Iterable):
        raise NotAList(f"answered {_a(type(answer).__name__)}, not a list of entries")
    return list(answer)
