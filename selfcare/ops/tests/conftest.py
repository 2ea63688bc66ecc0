from __future__ import annotations

import pytest
from prometheus_client import REGISTRY


def sample(name: str, **labels: str) -> float:
    """The current value of one sample of this process's metrics (0 when it has not been seen yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """What a sample moved by since the fixture was made."""

    def __init__(self) -> None:
        self.start: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}

    def watch(self, name: str, **labels: str) -> Delta:
        self.start[(name, tuple(sorted(labels.items())))] = sample(name, **labels)
        return self

    def __call__(self, name: str, **labels: str) -> float:
        return sample(name, **labels) - self.start[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def delta() -> Delta:
    return Delta()
