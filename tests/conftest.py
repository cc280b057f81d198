"""Shared fixtures. Everything runs offline: servers bind 127.0.0.1 only."""

from __future__ import annotations

import os

import pytest

from monitor.lexicon import Matcher
from monitor.store import Store
from pg import postgres_database


@pytest.fixture(scope="session")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    """The bundled lexicons, with the automaton cache in a temporary folder."""
    return Matcher.from_dirs(cache_dir=tmp_path_factory.mktemp("automaton-cache"))


def valid_id(prefix17: str) -> str:
    """A fictional 18-digit ID number with a correct GB 11643 check digit."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(prefix17, weights))
    return prefix17 + "10X98765432"[total % 11]


_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy"}


@pytest.fixture(scope="session")
def crawl_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of the crawl subprocesses: no proxies (only 127.0.0.1 is ever contacted),
    the lexicon automaton cache in a temporary folder, settings from the repository's scrapy.cfg."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARS}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    env["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """The same store on a SQLite file and on a fresh PostgreSQL database on 127.0.0.1."""
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'govmon.db'}")
        yield s
        s.close()
        return
    with postgres_database() as url:
        s = Store(url)
        yield s
        s.close()
