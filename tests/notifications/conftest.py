"""Servers for delivery tests: a second receiver on another port (another origin), a trickler."""

from __future__ import annotations

import pytest

from tests.support import Receiver
from tests.support.trickle import Trickler


@pytest.fixture
def elsewhere():
    """A receiver on another port: to the webhook's receiver, another origin."""
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def trickler():
    server = Trickler(interval=0.25)
    yield server
    server.close()
