"""Run locks (monitor/locking.py) on a real SQLite file and a real PostgreSQL database:
one holder at a time, stale locks (expired, or a dead process on this host) taken over,
only the holder releases, and real processes contending for the same lock."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from monitor.config import validate
from monitor.locking import LockHeld, acquire, current, holder_id, release, run_lock
from monitor.schedule import nightly_ttl
from monitor.store import RunLock, Store, utcnow


REPO = Path(__file__).resolve().parent.parent
HOST = socket.gethostname()

# A process that tries to take the lock once `go` exists, prints the outcome, and holds the
# lock until its stdin is closed (or it is killed).
CONTENDER = """
import sys, time
from pathlib import Path
from monitor.locking import acquire, holder_id, release
from monitor.store import Store
url, name, go = sys.argv[1:4]
store = Store(url, migrate=False)
while not Path(go).exists():
    time.sleep(0.01)
got = acquire(store, name, 600)
print(("acquired " if got else "refused ") + holder_id(), flush=True)
if got:
    sys.stdin.read()
    release(store, name)
store.close()
"""


def put(store: Store, name: str, holder: str, age: timedelta = timedelta(minutes=5),
        expires_in: timedelta = timedelta(hours=1)) -> None:
    """A lock row written as another process would have written it."""
    now = utcnow()
    with store.engine.begin() as conn:
        conn.execute(insert(RunLock).values(name=name, holder=holder, acquired_at=now - age,
                                            expires_at=now + expires_in))


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def contender(store: Store, name: str, go: Path) -> subprocess.Popen[str]:
    url = store.engine.url.render_as_string(hide_password=False)
    return subprocess.Popen([sys.executable, "-c", CONTENDER, url, name, str(go)], cwd=REPO, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def test_a_free_lock_is_taken_once_and_released_only_by_its_holder(store):
    assert acquire(store, "nightly", 60)
    assert current(store, "nightly").holder == holder_id()
    assert not acquire(store, "nightly", 60)  # not twice, even by this process (another thread)
    assert not acquire(store, "nightly", 60, holder="other-host:42")
    assert not release(store, "nightly", holder="other-host:42")  # not someone else's
    assert current(store, "nightly") is not None
    assert release(store, "nightly")
    assert current(store, "nightly") is None
    assert acquire(store, "nightly", 60, holder="other-host:42")
    assert acquire(store, "another-name", 60)  # names are independent


def test_an_expired_lock_is_taken_over(store):
    put(store, "nightly", "other-host:42", age=timedelta(hours=9), expires_in=-timedelta(seconds=1))
    assert acquire(store, "nightly", 60)
    assert current(store, "nightly").holder == holder_id()


def test_a_lock_of_a_dead_process_on_this_host_is_taken_over(store):
    put(store, "nightly", f"{HOST}:{dead_pid()}")
    assert acquire(store, "nightly", 60)
    assert current(store, "nightly").holder == holder_id()


def test_a_live_process_or_another_machine_keeps_its_lock_until_it_expires(store):
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE) as live:
        put(store, "nightly", f"{HOST}:{live.pid}")
        assert not acquire(store, "nightly", 60)
        live.stdin.close()
    # a process on another machine: its pid means nothing here, only the expiry counts
    put(store, "other", f"elsewhere.example:{dead_pid()}")
    assert not acquire(store, "other", 60)


def test_our_own_pid_left_by_an_earlier_process_is_stale(store):
    # the row names this host and pid, but this process never took it: the pid was reused
    put(store, "nightly", holder_id())
    assert acquire(store, "nightly", 60)
    assert not acquire(store, "nightly", 60)


def test_run_lock_names_the_holder_and_releases_whatever_happens(store):
    put(store, "nightly", "other-host:42", age=timedelta(hours=1))
    with pytest.raises(LockHeld) as held:
        with run_lock(store, "nightly", 60):
            pytest.fail("must not enter")
    message = str(held.value)
    assert "other-host:42" in message and "nightly" in message and "UTC" in message
    assert held.value.info.acquired_at < utcnow() - timedelta(minutes=59)
    release(store, "nightly", holder="other-host:42")
    with pytest.raises(RuntimeError):
        with run_lock(store, "nightly", 60) as info:
            assert info.holder == holder_id()
            raise RuntimeError("boom")
    assert current(store, "nightly") is None


def test_processes_contend_exactly_one_wins_and_a_killed_winner_is_taken_over(store, tmp_path):
    go = tmp_path / "go"
    procs = [contender(store, "nightly", go) for _ in range(3)]
    try:
        go.touch()
        outcomes = [p.stdout.readline().split() for p in procs]
        winners = [(p, who) for p, (what, who) in zip(procs, outcomes) if what == "acquired"]
        assert len(winners) == 1, outcomes
        (winner, who), = winners
        assert current(store, "nightly").holder == who
        assert not acquire(store, "nightly", 60)  # this process too
        winner.send_signal(signal.SIGKILL)  # dies holding the lock
        winner.wait()
        assert current(store, "nightly").holder == who
        late = contender(store, "nightly", go)
        procs.append(late)
        what, new = late.stdout.readline().split()
        assert what == "acquired" and new != who
        late.stdin.close()  # releases
        assert late.wait() == 0
        assert current(store, "nightly") is None
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            for stream in (p.stdin, p.stdout):
                stream.close()


def test_nightly_lock_lasts_every_crawl_timeout_plus_an_hour():
    config = validate({"departments": [{"id": "o", "name": "办公室"}],
                       "schedule": {"crawl_timeout_hours": 2},
                       "sites": [{"id": s, "name": s, "url": f"http://127.0.0.1/{s}", "department": "o"}
                                 for s in ("a", "b", "c")]})
    assert nightly_ttl(config) == (2 * (3 + 1) + 1) * 3600


def test_lock_rows_are_naive_utc(store):
    assert acquire(store, "nightly", 3600)
    with store.engine.connect() as conn:
        acquired, expires = conn.execute(select(RunLock.acquired_at, RunLock.expires_at)).one()
    assert acquired.tzinfo is None and abs(acquired - utcnow()) < timedelta(minutes=5)
    assert expires - acquired == timedelta(hours=1)
    assert os.getpid() == int(current(store, "nightly").holder.rsplit(":", 1)[1])
