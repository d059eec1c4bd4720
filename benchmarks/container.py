"""Build a container from two providers and get() a class with four injected parameters.

Baseline: constructing the same object by hand. Run: ``python benchmarks/container.py``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import microseconds, report

from rndi.dicontainer import BaseServiceProvider, Container


class Client:
    pass


class Transaction:
    def __init__(self, client, logger, config, cache):
        self.client, self.logger, self.config, self.cache = client, logger, config, cache


class ConnectProvider(BaseServiceProvider):
    def __init__(self, client, logger):
        super().__init__()
        self.client, self.logger = client, logger

    def register(self):
        self.bind_instance("client", self.client)
        self.bind_instance("logger", self.logger)


class CacheProvider(BaseServiceProvider):
    def provide_cache(self, config):
        return {"ttl": config["ttl"]}


CONFIG = {"ttl": 900}
CLIENT = Client()
LOGGER = object()


def with_container():
    container = Container([
        ConnectProvider(CLIENT, LOGGER),
        CacheProvider({"config": {"to_instance": CONFIG}}),
    ])
    return container.get(Transaction)


def by_hand():
    return Transaction(CLIENT, LOGGER, CONFIG, {"ttl": CONFIG["ttl"]})


def main():
    built = with_container()
    assert built.cache == {"ttl": 900}
    assert built.client is CLIENT
    container_us = microseconds(with_container)
    hand_us = microseconds(by_hand)
    report("container: 2 providers + get(4 params)", container_us, hand_us, "by hand")


if __name__ == "__main__":
    main()
