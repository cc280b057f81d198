"""Named run locks in the store (`run_locks` table), across processes and machines.

A lock is a row: the primary key `name` makes a second INSERT fail on every database, so
taking a free lock is one INSERT. A lock is *stale*, and may be taken over, when its
`expires_at` has passed, or when its holder is a process on this host that no longer
exists. Taking over deletes exactly the stale row and inserts ours in one transaction; if
someone else got there first, the delete matches nothing and we do not get the lock.
Only the holder releases its lock. Times are naive UTC, like everything in the store.

    with run_lock(store, "nightly", ttl_seconds=3600):
        ...                      # LockHeld if another live process holds it
"""

from __future__ import annotations

import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Iterator

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.exc import IntegrityError

from .store import RunLock, Store, utcnow

#: attempts at acquiring before giving up when the lock changes hands under us
_ATTEMPTS = 5

# Locks this process holds (database, name, holder): a row naming this host and pid that is
# not in here was left by an earlier process that had the same pid (pid reuse): it is stale.
_held: set[tuple[str, str, str]] = set()
_held_guard = threading.Lock()


def holder_id() -> str:
    """Who we are, as written in the `holder` column: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class LockInfo:
    name: str
    holder: str
    acquired_at: datetime  # naive UTC
    expires_at: datetime  # naive UTC


class LockHeld(Exception):
    """The lock is held by another live process."""

    def __init__(self, info: LockInfo) -> None:
        self.info = info
        super().__init__(self.describe())

    def describe(self, tz: tzinfo | None = None) -> str:
        """For people: who holds the lock and since when (in `tz`, default UTC)."""
        def when(moment: datetime) -> str:
            aware = moment.replace(tzinfo=timezone.utc)
            if tz is None:
                return aware.strftime("%Y-%m-%d %H:%M:%S UTC")
            return aware.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")

        i = self.info
        return (f"运行锁 {i.name} 已被 {i.holder} 持有（自 {when(i.acquired_at)} 起，"
                f"最迟于 {when(i.expires_at)} 过期）")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    except OSError:
        return True  # cannot tell: assume alive (the expiry still frees the lock)
    return True


def _dead_here(store: Store, info: LockInfo) -> bool:
    """The holder is a process on this host that is gone (or an earlier process with our pid)."""
    host, _, pid = info.holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine: only the expiry tells
    if int(pid) == os.getpid():
        with _held_guard:
            return (store.url, info.name, info.holder) not in _held
    return not _pid_alive(int(pid))


def is_stale(store: Store, info: LockInfo, now: datetime | None = None) -> bool:
    """The lock may be taken over: it has expired, or its holder is a dead process on this host."""
    now = now or utcnow()
    return info.expires_at <= now or _dead_here(store, info)


def current(store: Store, name: str) -> LockInfo | None:
    """The lock row of `name`, or None when nobody holds it."""
    with store.engine.connect() as conn:
        row = conn.execute(select(RunLock.name, RunLock.holder, RunLock.acquired_at, RunLock.expires_at)
                           .where(RunLock.name == name)).first()
    return LockInfo(*row) if row else None


def acquire(store: Store, name: str, ttl_seconds: float, holder: str | None = None) -> bool:
    """Take the lock `name` for `ttl_seconds`; True when we now hold it.

    A stale lock (expired, or its holder a dead process on this host) is taken over. A lock
    already held by this very process (another thread) is not taken twice."""
    holder = holder or holder_id()
    for _ in range(_ATTEMPTS):
        now = utcnow()
        row = {"name": name, "holder": holder, "acquired_at": now,
               "expires_at": now + timedelta(seconds=ttl_seconds)}
        try:
            with store.engine.begin() as conn:
                conn.execute(insert(RunLock).values(**row))
        except IntegrityError:
            pass
        else:
            _remember(store, name, holder)
            return True
        info = current(store, name)
        if info is None:
            continue  # released in between: try again
        if not is_stale(store, info, now):
            return False
        # Delete exactly the row judged stale (or any row expired by now), then insert ours,
        # in one transaction: of two processes taking over at once, one deletes nothing.
        stale_row = or_(RunLock.expires_at <= now,
                        and_(RunLock.holder == info.holder, RunLock.acquired_at == info.acquired_at))
        try:
            with store.engine.begin() as conn:
                deleted = conn.execute(delete(RunLock).where(RunLock.name == name, stale_row)).rowcount
                if not deleted:
                    raise _Changed
                conn.execute(insert(RunLock).values(**row))
        except (_Changed, IntegrityError):
            continue  # someone else took it over, or released and re-took it: look again
        _remember(store, name, holder)
        return True
    return False


class _Changed(Exception):
    """The lock row changed between reading it and taking it over (rolls the transaction back)."""


def release(store: Store, name: str, holder: str | None = None) -> bool:
    """Release the lock if we hold it; True when a row was removed. Never removes another's lock."""
    holder = holder or holder_id()
    with store.engine.begin() as conn:
        removed = conn.execute(delete(RunLock).where(RunLock.name == name, RunLock.holder == holder)).rowcount
    with _held_guard:
        _held.discard((store.url, name, holder))
    return bool(removed)


def _remember(store: Store, name: str, holder: str) -> None:
    with _held_guard:
        _held.add((store.url, name, holder))


@contextmanager
def run_lock(store: Store, name: str, ttl_seconds: float) -> Iterator[LockInfo]:
    """Hold the lock `name` for the block; LockHeld (naming the holder) when another live
    process holds it. Released on the way out, whatever happened in the block."""
    holder = holder_id()
    for _ in range(_ATTEMPTS):
        if acquire(store, name, ttl_seconds, holder):
            break
        info = current(store, name)
        if info is not None:
            raise LockHeld(info)
    else:  # pragma: no cover - the lock kept changing hands
        info = current(store, name)
        raise LockHeld(info or LockInfo(name, "?", utcnow(), utcnow()))
    try:
        yield current(store, name) or LockInfo(name, holder, utcnow(), utcnow())
    finally:
        release(store, name, holder)
