"""Incremental nightly scans against a real site on 127.0.0.1: unchanged articles are not
read again off their rota day, list pages and pages with open problems are revalidated every
night, and the findings of the second scan are the same as the first's."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from monitor.incremental import is_due
from monitor.store import Store
from servers import Reply, dated_entries_page, page, serve, validated
from test_crawl import govmon

pytestmark = pytest.mark.slow

TYPO = "再接再励"
D1, D2 = date(2026, 11, 20), date(2026, 11, 21)
ARTICLES = ["/tzgg/a1.html", "/tzgg/a2.html", "/tzgg/a3.html", "/tzgg/a4.html"]
XLSX = "/tzgg/files/list.xlsx"


def xlsx_with(text: str) -> Reply:
    wb = openpyxl.Workbook()
    wb.active.append(["说明"])
    wb.active.append([text])
    buf = io.BytesIO()
    wb.save(buf)
    return Reply(200, buf.getvalue(),
                 {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})


def site(**changes: Reply) -> dict[str, Any]:
    """A small portal: a notices column listing four articles; a1 has a typo, a2 links to a
    spreadsheet with one."""
    pages = {
        "/": page("测试县人民政府", "欢迎访问。", links=[("/tzgg/index.html", "通知公告")]),
        "/tzgg/index.html": dated_entries_page("通知公告", [(p, f"关于第{i}项工作的通知", f"2026-11-{18 - i:02d}")
                                                       for i, p in enumerate(ARTICLES, start=1)]),
        "/tzgg/a1.html": page("第一项通知", f"全县干部{TYPO}，做好冬季工作。"),
        "/tzgg/a2.html": page("第二项通知", "名单见附件。", links=[(XLSX, "附件：名单.xlsx")]),
        "/tzgg/a3.html": page("第三项通知", "请各单位按时报送材料。"),
        "/tzgg/a4.html": page("第四项通知", "做好防汛准备工作。"),
        XLSX: xlsx_with(f"望大家{TYPO}"),
    }
    pages.update(changes)
    return {path: validated(reply) if isinstance(reply, Reply) else reply for path, reply in pages.items()}


def write_config(tmp: Path, base: str, **extra: Any) -> Path:
    path = tmp / "monitor.yaml"
    path.write_text(yaml.safe_dump({
        "departments": [{"id": "office", "name": "县政府办公室"}],
        "sites": [{"id": "portal", "name": "测试县人民政府", "url": f"{base}/", "department": "office"}],
        "links": {"allow_hosts": ["127.0.0.1"], "timeout": 5, "retries": 0},
        **extra,
    }, allow_unicode=True), encoding="utf-8")
    return path


def scan(config: Path, day: date, env: dict[str, str], *more: str) -> Any:
    proc = govmon("scan", "--config", str(config), "--as-of", day.isoformat(), "--no-report", *more,
                  cwd=config.parent, env=env)
    assert proc.returncode == 0, proc.stderr
    store = Store(f"sqlite:///{config.parent / 'govmon.db'}")
    try:
        latest = store.scans("portal", limit=1)[0]
        seen = {(f.text, f.url.rsplit("/", 1)[-1]) for f in store.findings(scan_ids=[latest.id], statuses=None)}
        everything = {(f.text, f.url.rsplit("/", 1)[-1]): f.status for f in store.findings(statuses=None)}
        return latest, seen, everything
    finally:
        store.close()


def typos(seen: set[tuple[str, str]]) -> set[str]:
    return {where for text, where in seen if text == TYPO}


def gets(server: Any) -> dict[str, int]:
    return {path: server.count(path) for path in ["/", "/tzgg/index.html", *ARTICLES, XLSX]}


def test_an_unchanged_site_is_rescanned_without_rereading_articles_and_finds_the_same(tmp_path, crawl_env):
    with serve(site()) as server:
        config = write_config(tmp_path, server.base)
        first, seen1, _ = scan(config, D1, crawl_env)
        before = gets(server)
        second, seen2, everything = scan(config, D2, crawl_env)
        after = gets(server)
    assert first.status == second.status == "complete"
    assert seen1 == seen2  # identical findings, site-level ones included
    assert typos(seen2) == {"a1.html", "list.xlsx"}
    assert set(everything.values()) == {"open"}  # seen again, none fixed
    read = {path for path in after if after[path] > before[path]}
    due = {p for p in ["/tzgg/a3.html", "/tzgg/a4.html"] if is_due(server.base + p, D1, D2, 7)}
    # the home and list pages every night; a1 and the spreadsheet have open problems; a2, a3
    # and a4 are clean and unchanged: read again only on their rota day
    assert read == {"/", "/tzgg/index.html", "/tzgg/a1.html", XLSX} | due | (
        {"/tzgg/a2.html"} if is_due(server.base + "/tzgg/a2.html", D1, D2, 7) else set())
    assert second.pages == first.pages  # every page is accounted for in the scan
    stats = second.stats
    assert stats["incremental"] is True and stats["unchanged_skipped"] >= 1
    assert stats["unchanged_revalidated"] >= 2 and stats["findings_carried_over"] == 2


def test_a_fixed_page_is_seen_fixed_the_next_night(tmp_path, crawl_env):
    with serve(site()) as server:
        config = write_config(tmp_path, server.base)
        scan(config, D1, crawl_env)
        server.routes.update(site(**{"/tzgg/a1.html": page("第一项通知", "全县干部再接再厉，做好冬季工作。")}))
        _, seen, everything = scan(config, D2, crawl_env)
    assert typos(seen) == {"list.xlsx"}
    assert everything[(TYPO, "a1.html")] == "fixed" and everything[(TYPO, "list.xlsx")] == "open"


def test_a_new_article_in_a_list_is_read_and_checked(tmp_path, crawl_env):
    with serve(site()) as server:
        config = write_config(tmp_path, server.base)
        scan(config, D1, crawl_env)
        entries = [(p, f"关于第{i}项工作的通知", f"2026-11-{18 - i:02d}") for i, p in enumerate(ARTICLES, start=1)]
        server.routes.update(site(**{
            "/tzgg/index.html": dated_entries_page("通知公告", [("/tzgg/a5.html", "新通知", "2026-11-21"), *entries]),
            "/tzgg/a5.html": page("新通知", f"希望大家{TYPO}。"),
        }))
        _, seen, _ = scan(config, D2, crawl_env)
    assert typos(seen) == {"a5.html", "a1.html", "list.xlsx"}


def test_a_changed_clean_article_is_checked_on_its_rota_day_or_by_a_full_scan(tmp_path, crawl_env):
    changed = page("第三项通知", f"请各单位{TYPO}，按时报送材料。")
    with serve(site()) as server:
        config = write_config(tmp_path, server.base)
        scan(config, D1, crawl_env)
        server.routes.update(site(**{"/tzgg/a3.html": changed}))
        url = server.base + "/tzgg/a3.html"
        day = next(D1 + timedelta(days=n) for n in range(1, 8) if not is_due(url, D1, D1 + timedelta(days=n), 7))
        _, seen, _ = scan(config, day, crawl_env)
        assert (TYPO, "a3.html") not in seen  # the price of the rota: not read tonight
        _, seen, _ = scan(config, day, crawl_env, "--full")
        assert (TYPO, "a3.html") in seen
        # without --full, at the latest after revisit_days
        server.routes.update(site(**{"/tzgg/a3.html": page("第三项通知", "请各单位按时报送材料。")}))
        _, seen, everything = scan(config, day + timedelta(days=1), crawl_env)
        assert (TYPO, "a3.html") not in seen  # a3 had an open problem: read, and found fixed


def test_changed_checks_reread_everything(tmp_path, crawl_env):
    with serve(site()) as server:
        config = write_config(tmp_path, server.base)
        scan(config, D1, crawl_env)
        before = gets(server)
        config = write_config(tmp_path, server.base, whitelist=["按时报送材料"])  # a new whitelist entry
        scan(config, D2, crawl_env)
        after = gets(server)
    assert all(after[p] > before[p] for p in ARTICLES)


def test_a_server_without_validators_is_compared_by_content(tmp_path, crawl_env):
    with serve(site()) as server:
        plain = {path: route(type("R", (), {"headers": {}})()) for path, route in site().items()}
        for reply in plain.values():
            reply.headers.pop("ETag", None)
            reply.headers.pop("Last-Modified", None)
        server.routes.update(plain)
        config = write_config(tmp_path, server.base)
        _, seen1, _ = scan(config, D1, crawl_env)
        second, seen2, _ = scan(config, D2, crawl_env)
    assert seen1 == seen2
    assert second.stats["unchanged_revalidated"] >= 2  # same body: not checked again


def test_incremental_scans_can_be_turned_off(tmp_path, crawl_env):
    with serve(site()) as server:
        config = write_config(tmp_path, server.base, incremental={"enabled": False})
        scan(config, D1, crawl_env)
        before = gets(server)
        second, _, _ = scan(config, D2, crawl_env)
        after = gets(server)
    assert all(after[p] == before[p] + 1 for p in ARTICLES)
    assert second.stats["incremental"] is False and second.stats["unchanged_skipped"] == 0


def test_a_page_rebuilt_from_its_facts_is_the_page_the_site_checks_saw():
    """facts_of → JSON (as stored) → item_from_facts keeps what the site checks and the crawl
    use; facts written by earlier versions (links and entries as objects) still read back."""
    import json

    from monitor.incremental import facts_of, item_from_facts
    from monitor.items import LinkItem, ListEntry, PageItem

    links = [LinkItem("http://x.gov.cn/a.html", "通知", "page"), LinkItem("http://y.cn/", "", "external"),
             LinkItem("http://x.gov.cn/logo.png", "标识", "image")]
    attachments = [LinkItem("http://x.gov.cn/f.xlsx", "附件：名单", "attachment", "xlsx")]
    entries = [ListEntry("http://x.gov.cn/a.html", "通知", date(2026, 11, 2)), ListEntry("http://x.gov.cn/b.html")]
    item = PageItem(url="http://x.gov.cn/list.html", status=200, title="通知公告", meta={"ColumnName": "通知公告"},
                    published=date(2026, 11, 3), published_source="meta", main_text="正文" * 30, links=links,
                    attachments=attachments, list_entries=entries, blank_notice=True, encoding="gbk",
                    content_type="text/html")
    facts = json.loads(json.dumps(facts_of(item)))
    back = item_from_facts(facts, item.url, 200, 2, "http://x.gov.cn/")
    assert (back.links, back.attachments, back.list_entries) == (links, attachments, entries)
    assert (back.title, back.meta, back.published, back.main_chars, back.blank_notice, back.encoding) == \
        ("通知公告", {"ColumnName": "通知公告"}, date(2026, 11, 3), 60, True, "gbk")
    assert back.cached and back.depth == 2 and back.main_text == ""

    older = dict(facts, links=[{"url": l.url, "text": l.text, "kind": l.kind, "extension": l.extension} for l in links],
                 attachments=[{"url": a.url, "text": a.text, "kind": a.kind, "extension": a.extension}
                              for a in attachments],
                 entries=[{"url": e.url, "text": e.text, "date": e.date.isoformat() if e.date else None}
                          for e in entries])
    again = item_from_facts(older, item.url, 200, 2, None)
    assert (again.links, again.attachments, again.list_entries) == (links, attachments, entries)
