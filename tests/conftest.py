"""Shared fixtures. Everything runs offline: servers bind 127.0.0.1 only."""

from __future__ import annotations

import pytest

from monitor.lexicon import Matcher


@pytest.fixture(scope="session")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    """The bundled lexicons, with the automaton cache in a temporary folder."""
    return Matcher.from_dirs(cache_dir=tmp_path_factory.mktemp("automaton-cache"))


def valid_id(prefix17: str) -> str:
    """A fictional 18-digit ID number with a correct GB 11643 check digit."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(prefix17, weights))
    return prefix17 + "10X98765432"[total % 11]
