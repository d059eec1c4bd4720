"""Any JSON value goes into each persistent adapter and comes back unchanged."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=25,
)

# Every adapter stores the text of one shared codec: SQLite gets the full run, the file
# and Redis adapters (a file document around that text, bytes on the wire) a third of it
EXAMPLES = {"sqlite": 150, "fs": 50, "redis": 50}

_keys = itertools.count()


def test_json_values_round_trip_unchanged(cache, request):
    @settings(max_examples=EXAMPLES[request.node.callspec.params["cache"]], deadline=None)
    @given(value=json_values)
    def round_trip(value):
        key = f"key-{next(_keys)}"
        cache.put(key, value)
        assert cache.get(key) == value

    round_trip()
