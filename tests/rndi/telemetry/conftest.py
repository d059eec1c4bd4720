"""Spans collected in memory, from an observer each test builds for itself."""

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.telemetry import _otel
from rndi.telemetry._otel import OpenTelemetryObserver


@pytest.fixture(autouse=True)
def faults_unreported():
    """Each test sees the first report of a tracing fault (they are logged once per
    process)."""
    _otel._reported.clear()
    yield
    _otel._reported.clear()


@pytest.fixture
def cache(tmp_path):
    """A real SQLite cache (the lease and the journal keep their records in it)."""
    return SQLiteCacheAdapter(str(tmp_path))


@pytest.fixture
def exporter():
    return InMemorySpanExporter()


@pytest.fixture
def observer(exporter):
    """An observer whose spans land in ``exporter`` as each one ends."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OpenTelemetryObserver(provider.get_tracer("tests"), config={})


def tree(spans):
    """The spans as an indented outline of names, children in the order they started."""
    by_parent = {}
    ids = {span.context.span_id for span in spans}
    for span in sorted(spans, key=lambda s: s.start_time):
        parent = span.parent.span_id if span.parent is not None else None
        by_parent.setdefault(parent if parent in ids else None, []).append(span)

    def lines(parent, depth):
        for span in by_parent.get(parent, []):
            yield "  " * depth + span.name
            yield from lines(span.context.span_id, depth + 1)

    return "\n".join(lines(None, 0))


def named(spans, name):
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, [span.name for span in spans]
    return found[0]
