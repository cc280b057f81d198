"""The store: scans, pages and findings with a lifecycle, in any SQLAlchemy database.

SQLite (WAL) by default. The schema is created and changed only by the Alembic
migrations in monitor/migrations (``Store.migrate``), never by ``create_all``.

Lifecycle of a finding (fingerprint = rule + place + normalised text, stable across scans):
  seen for the first time            → new
  seen again in a later scan         → open
  absent from a *complete* rescan    → fixed
  seen again after being fixed       → reopened
  marked a false positive            → ignored (stays ignored while its text is unchanged)
A running, partial or failed scan never marks anything fixed.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from importlib import resources
from typing import Any, Iterable, Iterator

import orjson
from sqlalchemy import (
    JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, create_engine,
    bindparam, delete, event, insert, or_, select, update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from .finding import TEXT_CATEGORIES, Finding

OPEN_STATUSES = ("new", "open", "reopened")
#: the scan target (and the findings' `site`) of the new-media account checks
ACCOUNTS_TARGET = "accounts"
SCAN_STATUSES = ("running", "complete", "partial", "failed")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Scan(Base):
    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(64), index=True)  # site id
    kind: Mapped[str] = mapped_column(String(16), default="site")
    status: Mapped[str] = mapped_column(String(16), default="running")
    scan_date: Mapped[date] = mapped_column(Date)  # "today" for this scan (--as-of)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    page_errors: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict | None] = mapped_column(JSON)


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("scan_id", "url", name="uq_pages_scan_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    column: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(64))
    findings: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_site_status", "site", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(40), unique=True)
    site: Mapped[str | None] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)  # masked for personal data
    suggestion: Mapped[str | None] = mapped_column(Text)
    context: Mapped[str | None] = mapped_column(Text)
    context_start: Mapped[int | None] = mapped_column(Integer)
    context_end: Mapped[int | None] = mapped_column(Integer)
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column("end_offset", Integer)
    note: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    parent_url: Mapped[str | None] = mapped_column(Text)
    column: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(64), index=True)
    page_title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="new")
    first_seen: Mapped[date] = mapped_column(Date)
    last_seen: Mapped[date] = mapped_column(Date)
    first_scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id", ondelete="SET NULL"))
    last_scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id", ondelete="SET NULL"))
    fixed_on: Mapped[date | None] = mapped_column(Date)
    fixed_scan_id: Mapped[int | None] = mapped_column(Integer)  # the complete scan that found it gone
    opened_on: Mapped[date | None] = mapped_column(Date)  # first seen, or seen again after a fix
    ignored_on: Mapped[date | None] = mapped_column(Date)
    ignored_reason: Mapped[str | None] = mapped_column(Text)
    ignored_by: Mapped[str | None] = mapped_column(String(100))
    extra: Mapped[dict | None] = mapped_column(JSON)  # structured details (status code, days, kind …)
    account: Mapped[str | None] = mapped_column(String(64))  # new-media account id, for account findings

    def to_finding(self) -> Finding:
        return Finding(
            rule=self.rule, category=self.category, severity=self.severity, text=self.text,
            suggestion=self.suggestion, context=self.context or "", start=self.start, end=self.end,
            context_start=self.context_start, context_end=self.context_end, note=self.note,
            url=self.url, parent_url=self.parent_url, site=self.site, column=self.column,
            department=self.department, page_title=self.page_title, published=self.published,
            status=self.status, first_seen=self.first_seen, last_seen=self.last_seen, id=self.id,
            opened_on=self.opened_on or self.first_seen, fixed_on=self.fixed_on, fixed_scan_id=self.fixed_scan_id,
            ignored_on=self.ignored_on, ignored_reason=self.ignored_reason, ignored_by=self.ignored_by,
            stored_fingerprint=self.fingerprint, extra=dict(self.extra or {}), account=self.account,
        )


class Probe(Base):
    """One availability probe of a site's home page (`govmon probe`)."""

    __tablename__ = "probes"
    __table_args__ = (Index("ix_probes_site_at", "site", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    ok: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)


class AccountCheck(Base):
    """What one scan found of one new-media account."""

    __tablename__ = "account_checks"
    __table_args__ = (UniqueConstraint("scan_id", "account", name="uq_account_checks_scan_account"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    account: Mapped[str] = mapped_column(String(64), index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))  # active | dormant | zombie | unreachable | no_feed
    error: Mapped[str | None] = mapped_column(Text)
    newest: Mapped[datetime | None] = mapped_column(DateTime)  # UTC
    days_silent: Mapped[int | None] = mapped_column(Integer)
    recent_posts: Mapped[int] = mapped_column(Integer, default=0)
    posts: Mapped[int] = mapped_column(Integer, default=0)


class OutboxMessage(Base):
    """One email, recorded before it is sent and marked sent or failed with the SMTP reply.

    `key` (kind, department, scan date) is unique: a department is never sent the same
    scan's list twice. `message` is the whole RFC 5322 message, so a retry sends the same bytes."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("key", name="uq_outbox_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # department | summary
    department: Mapped[str | None] = mapped_column(String(64))
    scan_date: Mapped[date] = mapped_column(Date)
    recipients: Mapped[list] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(Text)
    message: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued | sent | failed | abandoned
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    smtp_reply: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class RunLock(Base):
    """A named lock held by one process (across processes and machines sharing the store)."""

    __tablename__ = "run_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # host:pid
    acquired_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    expires_at: Mapped[datetime] = mapped_column(DateTime)  # UTC; a lock past this is stale


class CachedPage(Base):
    """What a page (or attachment) looked like when a scan last read it: its validators
    (ETag, Last-Modified), a digest of its body, and the facts the site checks need (links,
    list entries, meta tags, dates) — never its text. Incremental scans use it to skip work
    on unchanged pages (docs/performance.md)."""

    __tablename__ = "page_cache"
    __table_args__ = (UniqueConstraint("site", "url_hash", name="uq_page_cache_site_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    url_hash: Mapped[str] = mapped_column(String(40))  # sha1 of the URL (URLs can be long)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(12))  # list | article | attachment
    status: Mapped[int] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(40))  # sha1 of the body as fetched
    checks_key: Mapped[str] = mapped_column(String(40))  # lexicons, whitelist and check code it was checked with
    fetched_on: Mapped[date] = mapped_column(Date)  # scan date of the last real fetch (200 or 304)
    facts: Mapped[dict] = mapped_column(JSON)
    # the scan that read this content: the findings it saw on the page are the page's findings
    # (a later scan that read the page but did not complete has not fixed older ones)
    scan_id: Mapped[int] = mapped_column(Integer, server_default="0")


class Sighting(Base):
    """That a finding was seen in a scan."""

    __tablename__ = "sightings"

    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True, index=True)


_cached = CachedPage.__table__.c
#: facts of cached pages by site and URL hashes (Store.cache_facts_many)
_FACTS_OF = select(_cached.url, _cached.facts).where(
    _cached.site == bindparam("site"), _cached.url_hash.in_(bindparam("hashes", expanding=True)))


@dataclass
class PageRecord:
    """One page for `Store.record_pages`: a page read tonight (its findings; its page-cache
    entry to save, or the URL whose entry to drop), or a page found unchanged (`unchanged`:
    the findings the scan `source_scan` saw on it are carried over; `revalidated`: the URL
    whose cache entry the server confirmed tonight)."""

    url: str
    status: int | None
    title: str | None = None
    published: date | None = None
    column: str | None = None
    department: str | None = None
    error: str | None = None
    findings: list[Finding] = field(default_factory=list)
    # url, kind, status, etag, last_modified, digest, checks_key, fetched_on, facts, scan_id
    cache: dict[str, Any] | None = None
    drop_cache: str | None = None
    unchanged: bool = False
    source_scan: int = 0
    revalidated: str | None = None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL with synchronous=NORMAL: still consistent after a crash of govmon or of the OS
    # (each transaction is all or nothing); a power cut may lose the last few transactions
    # (pages a rescan reads again). Saves an fsync per page.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _to_json(value: Any) -> str:
    """JSON columns: dates and other odd values as their text (as json.dumps(default=str))."""
    return json.dumps(value, default=str)


def _from_json(text: str | bytes) -> Any:
    """JSON columns read back with orjson: an unchanged page's facts are read on every nightly
    scan (20,000 pages: ~90 MB of JSON), three times as fast as the json module. What orjson
    refuses (NaN, which json.dumps writes) goes to json. (orjson reads an integer beyond 64
    bits as a float: govmon stores counts and dates, and numbers such as ID numbers as text.)"""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=_to_json,
                               json_deserializer=_from_json)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=_to_json, json_deserializer=_from_json)


class Store:
    """Scans, pages and findings. One instance per process; sessions are short."""

    def __init__(self, url: str, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.migrate()

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ schema
    def migrate(self) -> None:
        """Bring the schema to the newest recorded migration (Alembic)."""
        from alembic import command
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(resources.files("monitor") / "migrations"))
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    # ------------------------------------------------------------------ scans
    def start_scan(self, target: str, scan_date: date, kind: str = "site") -> int:
        with self.session() as s:
            # A scan left 'running' by a killed process is not running any more.
            s.execute(update(Scan).where(Scan.target == target, Scan.kind == kind, Scan.status == "running")
                      .values(status="failed", finished_at=utcnow(), message="扫描进程中断（未正常结束）"))
            scan = Scan(target=target, kind=kind, status="running", scan_date=scan_date)
            s.add(scan)
            s.flush()
            return scan.id

    def get_scan(self, scan_id: int) -> Scan | None:
        with self.session() as s:
            return s.get(Scan, scan_id)

    def finish_scan(self, scan_id: int, status: str, message: str | None = None,
                    stats: dict | None = None) -> Scan:
        """Close a scan. Only a complete scan marks missing findings fixed."""
        if status not in SCAN_STATUSES or status == "running":
            raise ValueError(f"bad final scan status {status!r}")
        with self.session() as s:
            scan = s.get(Scan, scan_id)
            if scan is None:
                raise KeyError(scan_id)
            scan.status = status
            scan.finished_at = utcnow()
            scan.message = message
            if stats is not None:
                scan.stats = json.loads(json.dumps(stats, default=str))
            if status == "complete":
                seen = select(Sighting.finding_id).where(Sighting.scan_id == scan_id)
                # Fixed means: this scan read the page and the problem was not there, or the
                # page is gone (404/410). A page that failed (timeout, 5xx) or was never
                # reached (its list page failed) says nothing about its problems.
                read = select(Page.url).where(
                    Page.scan_id == scan_id,
                    or_(Page.error.is_(None), Page.status.in_((404, 410))))
                failed = select(Page.url).where(Page.scan_id == scan_id, Page.error.is_not(None),
                                                Page.status.not_in((404, 410)))
                # A finding about a link or an attachment (url = the target, parent_url = the
                # page holding it) is also fixed when the parent page was read and the target
                # did not fail: the link was repaired or removed.
                s.execute(
                    update(FindingRow)
                    .where(FindingRow.site == scan.target, FindingRow.status.in_(OPEN_STATUSES),
                           FindingRow.id.not_in(seen),
                           or_(FindingRow.url.in_(read),
                               (FindingRow.parent_url.in_(read) & FindingRow.url.not_in(failed))))
                    .values(status="fixed", fixed_on=scan.scan_date, fixed_scan_id=scan.id)
                )
            return scan

    def set_scan_stats(self, scan_id: int, stats: dict) -> None:
        with self.session() as s:
            scan = s.get(Scan, scan_id)
            if scan is None:
                raise KeyError(scan_id)
            scan.stats = json.loads(json.dumps(stats, default=str))

    def scans(self, target: str | None = None, limit: int = 50) -> list[Scan]:
        with self.session() as s:
            q = select(Scan).order_by(Scan.id.desc()).limit(limit)
            if target:
                q = q.where(Scan.target == target)
            return list(s.scalars(q))

    def latest_scans(self, targets: Iterable[str] | None = None) -> list[Scan]:
        """The newest finished scan of each target (any status but running)."""
        with self.session() as s:
            q = select(Scan).where(Scan.status != "running").order_by(Scan.id.desc())
            if targets is not None:
                q = q.where(Scan.target.in_(list(targets)))
            latest: dict[str, Scan] = {}
            for scan in s.scalars(q):
                latest.setdefault(scan.target, scan)
            return sorted(latest.values(), key=lambda sc: sc.target)

    # ------------------------------------------------------------------ pages & findings
    def record_page(self, scan_id: int, url: str, status: int | None, title: str | None = None,
                    published: date | None = None, column: str | None = None,
                    department: str | None = None, error: str | None = None,
                    findings: Iterable[Finding] = ()) -> None:
        """Record one page and its findings in one transaction."""
        self.record_pages(scan_id, [PageRecord(url, status, title=title, published=published, column=column,
                                               department=department, error=error, findings=list(findings))])

    def record_pages(self, scan_id: int, records: Iterable["PageRecord"], site: str | None = None) -> int:
        """Record many pages in one transaction (all or nothing): each page's row; for a page
        read tonight its findings and its cache entry (saved or dropped — never without the
        findings it vouches for); for an unchanged page its open page findings carried over
        from the scan that read its content. The scan's page count goes up once. `site`: the
        site whose page cache the entries belong to. Returns how many findings were carried over."""
        records = list(records)
        with self.session() as s:
            scan = s.get(Scan, scan_id)
            if scan is None:
                raise KeyError(scan_id)
            self._insert_pages(s, scan, records)
            for r in records:
                if not r.unchanged and r.findings:
                    self._upsert_findings(s, scan, r.findings)
            carried = self._carry_over(s, scan, [r for r in records if r.unchanged])
            self._write_cache(s, site, records, scan.scan_date)
            return carried

    def _insert_pages(self, s: Session, scan: Scan, records: list["PageRecord"]) -> None:
        """A row per page not recorded in this scan yet (a URL recorded twice keeps its first row)."""
        urls = list(dict.fromkeys(r.url for r in records))
        have: set[str] = set()
        for start in range(0, len(urls), 500):
            chunk = urls[start:start + 500]
            have.update(s.scalars(select(Page.url).where(Page.scan_id == scan.id, Page.url.in_(chunk))))
        rows, errors, now = [], 0, utcnow()
        for r in records:
            if r.url in have:
                continue
            have.add(r.url)
            rows.append({"scan_id": scan.id, "url": r.url, "status": r.status, "title": r.title,
                         "published": r.published, "column": r.column, "department": r.department,
                         "error": r.error, "findings": 0 if r.unchanged else len(r.findings), "fetched_at": now})
            errors += 1 if r.error else 0
        if rows:
            s.execute(insert(Page.__table__), rows)  # Core executemany: no ORM bookkeeping per row
            scan.pages = (scan.pages or 0) + len(rows)
            scan.page_errors = (scan.page_errors or 0) + errors

    def _carry_over(self, s: Session, scan: Scan, records: list["PageRecord"]) -> int:
        """The open page findings that the scan which read each unchanged page's content saw on
        it: seen by this scan too. Returns how many."""
        carried = 0
        by_source: dict[int, list[str]] = {}
        for r in records:
            by_source.setdefault(int(r.source_scan or 0), []).append(r.url)
        for source, source_urls in by_source.items():
            for start in range(0, len(source_urls), 500):
                chunk = source_urls[start:start + 500]
                rows = s.scalars(select(FindingRow).join(Sighting, Sighting.finding_id == FindingRow.id).where(
                    Sighting.scan_id == source, FindingRow.site == scan.target, FindingRow.url.in_(chunk),
                    FindingRow.status.in_(OPEN_STATUSES), FindingRow.category.in_(TEXT_CATEGORIES)))
                for row in rows:
                    if row.last_scan_id != scan.id and row.status == "new":
                        row.status = "open"
                    row.last_seen, row.last_scan_id = scan.scan_date, scan.id
                    if s.get(Sighting, (row.id, scan.id)) is None:
                        s.add(Sighting(finding_id=row.id, scan_id=scan.id))
                    carried += 1
        return carried

    def _write_cache(self, s: Session, site: str | None, records: list["PageRecord"], today: date | None) -> None:
        """Cache entries saved or dropped for pages read tonight, and marked fetched tonight
        for unchanged pages the server confirmed (in record order: the last word on a URL wins)."""
        if site is None:
            return
        save: dict[str, dict[str, Any]] = {}
        drop: set[str] = set()
        revalidated: set[str] = set()
        for r in records:
            if r.cache is not None:
                key = self.url_hash(r.cache["url"])
                save[key] = r.cache
                drop.discard(key)
            elif r.drop_cache:
                key = self.url_hash(r.drop_cache)
                drop.add(key)
                save.pop(key, None)
            if r.revalidated:
                revalidated.add(self.url_hash(r.revalidated))
        if drop:
            hashes = sorted(drop)
            for start in range(0, len(hashes), 500):
                s.execute(delete(CachedPage).where(CachedPage.site == site,
                                                   CachedPage.url_hash.in_(hashes[start:start + 500])))
        if save:
            hashes = list(save)
            ids: dict[str, int] = {}
            for start in range(0, len(hashes), 500):
                ids.update(s.execute(select(CachedPage.url_hash, CachedPage.id).where(
                    CachedPage.site == site, CachedPage.url_hash.in_(hashes[start:start + 500]))).all())
            new, changed = [], []
            for key, entry in save.items():
                values = {"kind": entry["kind"], "status": entry["status"], "etag": entry.get("etag"),
                          "last_modified": entry.get("last_modified"), "digest": entry["digest"],
                          "checks_key": entry["checks_key"], "fetched_on": entry["fetched_on"],
                          "facts": entry["facts"],  # JSON-ready (incremental.facts_of; the engine's _to_json)
                          "scan_id": entry.get("scan_id") or 0}
                if key in ids:
                    changed.append({"id": ids[key], **values})
                else:
                    new.append({"site": site, "url": entry["url"], "url_hash": key, **values})
            if new:
                s.execute(insert(CachedPage.__table__), new)
            if changed:
                s.execute(update(CachedPage), changed)
        revalidated -= set(save) | drop
        if revalidated:
            hashes = sorted(revalidated)
            for start in range(0, len(hashes), 500):
                s.execute(update(CachedPage).where(CachedPage.site == site,
                                                   CachedPage.url_hash.in_(hashes[start:start + 500]))
                          .values(fetched_on=today))

    def record_findings(self, scan_id: int, findings: Iterable[Finding]) -> None:
        """Record findings that belong to the scan rather than to one page (site chrome)."""
        with self.session() as s:
            scan = s.get(Scan, scan_id)
            if scan is None:
                raise KeyError(scan_id)
            self._upsert_findings(s, scan, list(findings))

    def _upsert_findings(self, s: Session, scan: Scan, findings: list[Finding]) -> None:
        for f in findings:
            fp = f.fingerprint
            row = s.scalar(select(FindingRow).where(FindingRow.fingerprint == fp))
            if row is None:
                row = FindingRow(fingerprint=fp, status="new", first_seen=scan.scan_date, opened_on=scan.scan_date,
                                 first_scan_id=scan.id)
                s.add(row)
            elif row.last_scan_id != scan.id:
                if row.status == "fixed":
                    row.status, row.fixed_on, row.fixed_scan_id = "reopened", None, None
                    row.opened_on = scan.scan_date
                elif row.status == "new":
                    row.status = "open"
            for name in ("rule", "category", "severity", "text", "suggestion", "context", "context_start",
                         "context_end", "start", "end", "note", "url", "parent_url", "column", "department",
                         "page_title", "published", "account"):
                setattr(row, name, getattr(f, name))
            row.extra = json.loads(json.dumps(f.extra, default=str)) if f.extra else None
            row.site = f.site or scan.target
            row.last_seen = scan.scan_date
            row.last_scan_id = scan.id
            s.flush()
            if s.get(Sighting, (row.id, scan.id)) is None:
                s.add(Sighting(finding_id=row.id, scan_id=scan.id))

    def findings(self, scan_ids: Iterable[int] | None = None, statuses: Iterable[str] | None = OPEN_STATUSES,
                 site: str | None = None, department: str | None = None,
                 category: str | None = None, sites: Iterable[str] | None = None) -> list[Finding]:
        """Findings (by default those still to fix), optionally only those seen in the given
        scans, filtered. An open finding stays open until a complete scan fixes it, so the
        open findings of a site are its to-do list even after a failed scan."""
        with self.session() as s:
            q = select(FindingRow)
            if sites is not None:
                q = q.where(FindingRow.site.in_(list(sites)))
            if scan_ids is not None:
                q = q.where(FindingRow.id.in_(select(Sighting.finding_id)
                                              .where(Sighting.scan_id.in_(list(scan_ids)))))
            if statuses is not None:
                q = q.where(FindingRow.status.in_(list(statuses)))
            if site:
                q = q.where(FindingRow.site == site)
            if department:
                q = q.where(FindingRow.department == department)
            if category:
                q = q.where(FindingRow.category == category)
            return [row.to_finding() for row in s.scalars(q.order_by(FindingRow.id))]

    def trend(self, targets: Iterable[str], limit: int = 12) -> list[tuple[date, int]]:
        """Problems to fix as each of the last `limit` scan dates stood, oldest first: for
        every target, what its latest complete scan up to that date saw (its latest scan of
        any kind when none was complete), false positives left out. A site scanned on
        another day, or whose scan failed, still counts with its last known state."""
        from sqlalchemy import func

        targets = list(targets)
        with self.session() as s:
            scans = s.execute(select(Scan.id, Scan.target, Scan.scan_date, Scan.status)
                              .where(Scan.target.in_(targets), Scan.status != "running")
                              .order_by(Scan.scan_date, Scan.id)).all()
            days = sorted({row.scan_date for row in scans})[-limit:]
            points = []
            for day in days:
                chosen: dict[str, tuple[bool, int]] = {}
                for row in scans:
                    if row.scan_date > day:
                        break
                    complete = row.status == "complete"
                    if complete or not chosen.get(row.target, (False, 0))[0]:
                        chosen[row.target] = (complete, row.id)
                ids = [scan_id for _, scan_id in chosen.values()]
                count = s.scalar(select(func.count(func.distinct(Sighting.finding_id)))
                                 .join(FindingRow, FindingRow.id == Sighting.finding_id)
                                 .where(Sighting.scan_id.in_(ids), FindingRow.status != "ignored")) if ids else 0
                points.append((day, count or 0))
            return points

    def ignore(self, finding_id: int, reason: str, by: str | None = None, on: date | None = None) -> Finding:
        with self.session() as s:
            row = s.get(FindingRow, finding_id)
            if row is None:
                raise KeyError(finding_id)
            again = row.status == "ignored"  # a new reason for an ignored finding keeps who, unless told
            row.ignored_by = by or (row.ignored_by if again else None)
            row.status, row.ignored_reason, row.ignored_on = "ignored", reason, on or date.today()
            return row.to_finding()

    def unignore(self, finding_id: int) -> Finding:
        """Take back an ignore: the finding is to fix again (the next complete scan of its
        page decides whether it is still there)."""
        with self.session() as s:
            row = s.get(FindingRow, finding_id)
            if row is None:
                raise KeyError(finding_id)
            if row.status == "ignored":
                row.status = "open"
                row.ignored_reason = row.ignored_by = row.ignored_on = None
            return row.to_finding()

    # ------------------------------------------------------------------ availability
    def record_probe(self, site: str, ok: bool, status: int | None = None, error: str | None = None,
                     elapsed_ms: int | None = None, at: datetime | None = None) -> None:
        with self.session() as s:
            s.add(Probe(site=site, at=at or utcnow(), ok=ok, status=status, error=error, elapsed_ms=elapsed_ms))

    def availability(self, site: str, since: datetime) -> tuple[int, int]:
        """(probes, failed probes) of a site since `since` (UTC)."""
        with self.session() as s:
            rows = s.execute(select(Probe.ok).where(Probe.site == site, Probe.at >= since)).all()
            return len(rows), sum(1 for (ok,) in rows if not ok)

    # ------------------------------------------------------------------ accounts
    def record_account(self, scan_id: int, account: str, ok: bool, status: str, error: str | None = None,
                       newest: datetime | None = None, days_silent: int | None = None,
                       recent_posts: int = 0, posts: int = 0) -> int:
        """Record one account's check; returns how many scans in a row (this one included)
        could not read the account's feed (0 when this one could)."""
        if newest is not None and newest.tzinfo is not None:
            newest = newest.astimezone(timezone.utc).replace(tzinfo=None)
        with self.session() as s:
            s.add(AccountCheck(scan_id=scan_id, account=account, ok=ok, status=status, error=error, newest=newest,
                               days_silent=days_silent, recent_posts=recent_posts, posts=posts))
            s.flush()
            if ok or status != "unreachable":
                return 0
            # this failure, and the failures right before it in complete scans (an
            # interrupted run, or one where the office's own network was down, is no evidence)
            failures = 1
            earlier = s.execute(
                select(AccountCheck.status).join(Scan, Scan.id == AccountCheck.scan_id)
                .where(AccountCheck.account == account, AccountCheck.scan_id != scan_id,
                       Scan.status == "complete", AccountCheck.status != "no_feed")
                .order_by(AccountCheck.scan_id.desc()))
            for (was,) in earlier:
                if was != "unreachable":
                    break
                failures += 1
            return failures

    def close_removed_accounts(self, scan_id: int, registered: list[str]) -> int:
        """Mark fixed the open findings of accounts no longer in the registry."""
        with self.session() as s:
            scan = s.get(Scan, scan_id)
            result = s.execute(
                update(FindingRow)
                .where(FindingRow.account.is_not(None), FindingRow.account.not_in(registered),
                       FindingRow.status.in_(OPEN_STATUSES))
                .values(status="fixed", fixed_on=scan.scan_date if scan else None, fixed_scan_id=scan_id))
            return result.rowcount or 0

    def latest_account_checks(self) -> dict[str, AccountCheck]:
        """The newest check of each account (from the newest scan that checked it)."""
        with self.session() as s:
            latest: dict[str, AccountCheck] = {}
            for row in s.scalars(select(AccountCheck).order_by(AccountCheck.scan_id.desc())):
                latest.setdefault(row.account, row)
            return latest

    # ------------------------------------------------------------------ incremental scans
    @staticmethod
    def url_hash(url: str) -> str:
        import hashlib

        return hashlib.sha1(url.encode("utf-8")).hexdigest()

    def cache_index(self, site: str) -> dict[str, tuple[Any, ...]]:
        """url → (kind, status, etag, last_modified, digest, checks_key, fetched_on, scan_id) of
        every cached page of a site (the facts stay in the database until asked for)."""
        with self.session() as s:
            rows = s.execute(select(CachedPage.url, CachedPage.kind, CachedPage.status, CachedPage.etag,
                                    CachedPage.last_modified, CachedPage.digest, CachedPage.checks_key,
                                    CachedPage.fetched_on, CachedPage.scan_id).where(CachedPage.site == site))
            return {url: tuple(rest) for url, *rest in rows}

    def cache_facts(self, site: str, url: str) -> dict | None:
        with self.session() as s:
            return s.scalar(select(CachedPage.facts).where(CachedPage.site == site,
                                                           CachedPage.url_hash == self.url_hash(url)))

    def cache_facts_many(self, site: str, urls: Iterable[str]) -> dict[str, dict]:
        """url → facts of the cached pages among `urls` (one query per 500). An incremental
        scan asks for thousands: a prepared statement, no ORM session."""
        hashes = [self.url_hash(url) for url in dict.fromkeys(urls)]
        found: dict[str, dict] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(hashes), 500):
                found.update(connection.execute(_FACTS_OF, {"site": site, "hashes": hashes[start:start + 500]}).all())
        return found

    def save_cache(self, site: str, url: str, kind: str, status: int, etag: str | None, last_modified: str | None,
                   digest: str, checks_key: str, fetched_on: date, facts: dict, scan_id: int = 0) -> None:
        entry = dict(url=url, kind=kind, status=status, etag=etag, last_modified=last_modified, digest=digest,
                     checks_key=checks_key, fetched_on=fetched_on, facts=facts, scan_id=scan_id)
        with self.session() as s:
            self._write_cache(s, site, [PageRecord(url, status, cache=entry)], None)

    def drop_cache(self, site: str, url: str) -> None:
        with self.session() as s:
            s.execute(delete(CachedPage).where(CachedPage.site == site, CachedPage.url_hash == self.url_hash(url)))

    def open_text_finding_urls(self, site: str) -> set[str]:
        """Pages (and attachments) of a site with page findings still to fix: incremental
        scans always read these again, so a fix is seen the next night."""
        with self.session() as s:
            return set(s.scalars(select(FindingRow.url).where(
                FindingRow.site == site, FindingRow.status.in_(OPEN_STATUSES),
                FindingRow.category.in_(TEXT_CATEGORIES), FindingRow.url.is_not(None)).distinct()))

    def pages(self, scan_id: int) -> list[Page]:
        with self.session() as s:
            return list(s.scalars(select(Page).where(Page.scan_id == scan_id).order_by(Page.id)))
