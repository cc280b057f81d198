"""Store lifecycle on a real SQLite file: new → open → fixed → reopened, and what must NOT fix."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from monitor.finding import Finding
from monitor.store import Base, Store


D1, D2, D3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)


def typo(url="http://127.0.0.1/a.html", text="再接再励") -> Finding:
    return Finding(rule="typos", category="typo", severity="minor", text=text, suggestion="再接再厉",
                   context=f"希望大家{text}。", start=4, end=8, url=url, site="portal", department="office")


def scan(store, day, findings, status="complete", pages=("http://127.0.0.1/a.html",), page_errors=None):
    scan_id = store.start_scan("portal", day)
    page_errors = page_errors or {}
    for url in pages:
        status_code, error = page_errors.get(url, (200, None))
        store.record_page(scan_id, url, status_code, error=error,
                          findings=[f for f in findings if f.url == url])
    store.finish_scan(scan_id, status)
    return scan_id


def statuses(store):
    return {f.text: f.status for f in store.findings(statuses=None)}


def test_schema_comes_from_migrations_and_matches_the_models(store):
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0006"
        if store.engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.migrate()  # running migrations again changes nothing


def test_first_sighting_is_new_then_open_with_first_seen_kept(store):
    scan(store, D1, [typo()])
    assert statuses(store) == {"再接再励": "new"}
    scan(store, D2, [typo()])
    (f,) = store.findings(statuses=None)
    assert f.status == "open" and f.first_seen == D1 and f.last_seen == D2


def test_fingerprint_is_stable_across_scans(store):
    scan(store, D1, [typo()])
    scan(store, D2, [typo()])
    assert len(store.findings(statuses=None)) == 1


def test_gone_in_a_complete_rescan_means_fixed(store):
    scan(store, D1, [typo()])
    scan(store, D2, [])
    (f,) = store.findings(statuses=None)
    assert f.status == "fixed"


def test_gone_in_a_failed_or_partial_scan_is_not_fixed(store):
    scan(store, D1, [typo()])
    scan(store, D2, [], status="failed")
    scan(store, D3, [], status="partial")
    assert statuses(store) == {"再接再励": "new"}


def test_a_scan_that_crashed_while_running_fixes_nothing(store):
    scan(store, D1, [typo()])
    crashed = store.start_scan("portal", D2)  # process killed: never finished
    store.record_page(crashed, "http://127.0.0.1/a.html", 200)
    next_scan = store.start_scan("portal", D3)
    assert store.get_scan(crashed).status == "failed"
    assert statuses(store) == {"再接再励": "new"}
    store.finish_scan(next_scan, "failed")


def test_a_page_that_timed_out_keeps_its_findings_open(store):
    scan(store, D1, [typo()])
    scan(store, D2, [], page_errors={"http://127.0.0.1/a.html": (None, "连接超时")})
    assert statuses(store) == {"再接再励": "new"}


def test_a_page_that_is_gone_takes_its_findings_with_it(store):
    scan(store, D1, [typo()])
    scan(store, D2, [], page_errors={"http://127.0.0.1/a.html": (404, "HTTP 404")})
    assert statuses(store) == {"再接再励": "fixed"}


def test_fixed_then_back_again_is_reopened(store):
    scan(store, D1, [typo()])
    scan(store, D2, [])
    scan(store, D3, [typo()])
    assert statuses(store) == {"再接再励": "reopened"}


def test_ignored_stays_ignored_while_the_text_is_unchanged(store):
    scan(store, D1, [typo()])
    (f,) = store.findings()
    store.ignore(f.id, "专有名词，无需修改", by="张三")
    scan(store, D2, [typo()])
    assert statuses(store) == {"再接再励": "ignored"}
    assert store.findings() == []


def test_findings_of_other_sites_are_untouched_by_a_complete_scan(store):
    other = typo()
    other.site = "other"
    sid = store.start_scan("other", D1)
    store.record_page(sid, other.url, 200, findings=[other])
    store.finish_scan(sid, "complete")
    scan(store, D2, [])
    assert statuses(store) == {"再接再励": "new"}


def test_latest_scans_are_the_newest_finished_per_site(store):
    first = scan(store, D1, [typo()])
    second = scan(store, D2, [typo()])
    assert [s.id for s in store.latest_scans(["portal"])] == [second]
    assert first != second


def test_personal_numbers_never_reach_the_database_file(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'govmon.db'}")
    from conftest import valid_id

    from monitor.checks.privacy import check_privacy

    raw = valid_id("52012219850312123")
    findings = check_privacy(f"低保对象公示：张三 {raw} 住址：某村")
    for f in findings:
        f.url, f.site = "http://127.0.0.1/a.html", "portal"
    scan(store, D1, findings)
    store.close()
    for path in tmp_path.iterdir():
        assert raw.encode() not in path.read_bytes(), path


def test_a_page_the_complete_scan_never_reached_keeps_its_findings_open(store):
    # its list page failed, so the crawl never got to it: that says nothing about the problem
    scan(store, D1, [typo()])
    scan(store, D2, [], pages=("http://127.0.0.1/other.html",))
    assert statuses(store) == {"再接再励": "new"}


def test_findings_read_back_carry_the_fingerprint_they_are_stored_under(store):
    f = typo()
    f.place, f.key = "site:portal:chrome", "再接再励"
    scan(store, D1, [f])
    (back,) = store.findings()
    assert back.fingerprint == f.fingerprint
    assert back.to_dict()["fingerprint"] == f.fingerprint


def test_a_database_of_the_first_schema_is_upgraded_with_its_findings_kept(tmp_path):
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from importlib import resources
    from sqlalchemy import create_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("monitor") / "migrations"))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0001")
    engine.dispose()
    old = Store(url, migrate=False)
    scan_id = old.start_scan("portal", D1)
    with old.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO findings (fingerprint, site, rule, category, severity, text, url, status, first_seen,"
            " last_seen) VALUES ('f' || 'x', 'portal', 'typos', 'typo', 'minor', '再接再励', 'http://a/1', 'new',"
            " '2026-11-01', '2026-11-01')")
    old.close()
    upgraded = Store(url)
    (finding,) = upgraded.findings(statuses=None)
    assert finding.text == "再接再励" and finding.extra == {}
    upgraded.record_probe("portal", ok=False, error="连接超时")
    assert upgraded.availability("portal", since=datetime(2000, 1, 1)) == (1, 1)
    assert scan_id
    upgraded.close()


def test_a_broken_link_is_fixed_when_its_page_was_read_and_the_link_is_gone(store):
    link = Finding(rule="broken-link", category="broken_link", severity="major", text="旧链接",
                   url="http://127.0.0.1/gone.html", parent_url="http://127.0.0.1/a.html",
                   key="http://127.0.0.1/gone.html", place="http://127.0.0.1/gone.html")
    scan_id = store.start_scan("portal", D1)
    store.record_page(scan_id, "http://127.0.0.1/a.html", 200)
    store.record_findings(scan_id, [link])
    store.finish_scan(scan_id, "complete")
    # the parent page failed this time: nothing is known about the link
    scan_id = store.start_scan("portal", D2)
    store.record_page(scan_id, "http://127.0.0.1/a.html", 0, error="连接超时")
    store.finish_scan(scan_id, "complete")
    assert statuses(store) == {"旧链接": "new"}
    # the parent page was read and the link was not found broken: repaired or removed
    scan_id = store.start_scan("portal", D2 + timedelta(days=1))
    store.record_page(scan_id, "http://127.0.0.1/a.html", 200)
    store.finish_scan(scan_id, "complete")
    assert statuses(store) == {"旧链接": "fixed"}


def test_consecutive_feed_failures_count_only_complete_scans_and_real_failures(store):
    def run(day, status, check_status, final="complete"):
        scan_id = store.start_scan("accounts", day, kind="accounts")
        n = store.record_account(scan_id, "wx", ok=check_status not in ("unreachable", "no_feed"),
                                 status=check_status)
        store.finish_scan(scan_id, final)
        return n

    assert run(D1, None, "no_feed") == 0
    assert run(D2, None, "unreachable", final="partial") == 1  # a partial run: no evidence later
    assert run(D3, None, "unreachable") == 1
    assert run(D3 + timedelta(days=1), None, "unreachable") == 2
    assert run(D3 + timedelta(days=2), None, "active") == 0
    assert run(D3 + timedelta(days=3), None, "unreachable") == 1


def test_findings_of_accounts_taken_out_of_the_registry_are_closed(store):
    dormant = Finding(rule="account-dormant", category="dormant_account", severity="veto", text="停更",
                      url="http://f/wx.xml", place="account:wx", key="account-dormant", account="wx")
    scan_id = store.start_scan("accounts", D1, kind="accounts")
    store.record_findings(scan_id, [dormant])
    store.finish_scan(scan_id, "complete")
    scan_id = store.start_scan("accounts", D2, kind="accounts")
    assert store.close_removed_accounts(scan_id, ["wb"]) == 1
    store.finish_scan(scan_id, "complete")
    assert statuses(store) == {"停更": "fixed"}


def test_pages_are_recorded_in_batches_whole_or_not_at_all(store):
    """Store.record_pages (the crawl's batches): each page with its findings and its cache
    entry, the scan's counts once; unchanged pages carry their findings over; and a batch the
    database refuses leaves nothing of any of its pages — no cache entry without its findings."""
    from monitor.store import PageRecord

    a, b, c, d = (f"http://127.0.0.1/{name}.html" for name in "abcd")

    def entry(url, digest, scan_id, day=D1):
        return {"url": url, "kind": "article", "status": 200, "etag": '"e"', "last_modified": None,
                "digest": digest, "checks_key": "k", "fetched_on": day, "scan_id": scan_id,
                "facts": {"title": url, "published": date(2026, 10, 1)}}

    first = store.start_scan("portal", D1)
    carried = store.record_pages(first, [
        PageRecord(a, 200, findings=[typo(a)], cache=entry(a, "1", first)),
        PageRecord(b, 0, error="连接超时"),
        PageRecord(a, 200, findings=[typo(a)], cache=entry(a, "2", first)),  # twice: one row, the last entry
        PageRecord(c, 200, cache=entry(c, "3", first)),
    ], site="portal")
    assert carried == 0
    scan_row = store.get_scan(first)
    assert (scan_row.pages, scan_row.page_errors) == (3, 1)
    assert store.cache_index("portal")[a][4] == "2"
    assert store.cache_facts_many("portal", [a, c, d]) == {
        a: {"title": a, "published": "2026-10-01"}, c: {"title": c, "published": "2026-10-01"}}
    store.finish_scan(first, "complete")

    # the next night: a unchanged (its finding carried over, its entry confirmed), c's entry dropped
    second = store.start_scan("portal", D2)
    carried = store.record_pages(second, [PageRecord(a, 200, unchanged=True, source_scan=first, revalidated=a),
                                          PageRecord(c, 200, drop_cache=c), PageRecord(b, 200)], site="portal")
    assert carried == 1
    assert {url: row[6] for url, row in store.cache_index("portal").items()} == {a: D2}
    assert [p.findings for p in store.pages(second)] == [0, 0, 0]
    store.finish_scan(second, "complete")
    assert statuses(store) == {"再接再励": "open"}

    # a batch the database refuses (a page without a URL): nothing of it is stored
    third = store.start_scan("portal", D3)
    with pytest.raises(Exception):
        store.record_pages(third, [PageRecord(d, 200, findings=[typo(d, text="按装")], cache=entry(d, "4", third, D3)),
                                   PageRecord(None, 200)], site="portal")  # type: ignore[arg-type]
    assert store.pages(third) == [] and store.get_scan(third).pages == 0
    assert "按装" not in statuses(store) and d not in store.cache_index("portal")


def test_json_columns_read_back_what_was_written_odd_values_included(store):
    """JSON columns are read with orjson; what it refuses (NaN, which json.dumps writes and
    SQLite keeps — PostgreSQL refuses it on the way in) is read by the json module: a scan's
    stats never become unreadable."""
    import math

    scan_id = store.start_scan("portal", date(2026, 11, 20))
    stats = {"pages": 3, "ratio": 0.5, "nested": {"list": [1, "二", None, True]}, "when": date(2026, 11, 20)}
    sqlite = store.engine.dialect.name == "sqlite"
    store.set_scan_stats(scan_id, {**stats, "odd": float("nan")} if sqlite else stats)
    read = store.get_scan(scan_id).stats
    if sqlite:
        assert math.isnan(read.pop("odd"))
    assert read == {"pages": 3, "ratio": 0.5, "nested": {"list": [1, "二", None, True]}, "when": "2026-11-20"}
