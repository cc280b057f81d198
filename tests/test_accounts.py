"""New-media accounts end to end: `govmon scan` reads every registered account's feed from a
local server (RSS, Atom, JSON Feed, Weibo JSON), judges dormant and zombie accounts with
`--as-of`, checks post texts, survives broken, huge and slow feeds, reports an account whose
feed fails on consecutive scans, and flags unregistered accounts the portal links to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import yaml

from servers import Reply, page, raw, serve, slow
from test_crawl import govmon, open_store

pytestmark = pytest.mark.slow

TYPO = "再接再励"


def rss(items: list[tuple[str, str, str]]) -> Reply:
    body = "".join(f"<item><title>{t}</title><link>http://127.0.0.1/p/{i}</link><pubDate>{d}</pubDate>"
                   f"<description><![CDATA[<p>{t}</p>]]></description></item>" for i, (t, d, _) in enumerate(items))
    doc = f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>示例</title>{body}</channel></rss>'
    return raw(doc.encode("utf-8"), "application/rss+xml; charset=utf-8")


ATOM = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>抖音</title>'
        '<entry><id>d1</id><title>乡村振兴直播</title><updated>2026-10-31T02:00:00Z</updated>'
        '<link href="http://127.0.0.1/d/1"/><content type="html">&lt;p&gt;直播带货&lt;/p&gt;</content></entry></feed>')
JSON_FEED = {"version": "https://jsonfeed.org/version/1.1", "title": "头条", "items": [
    {"id": "t1", "url": "http://127.0.0.1/t/1", "content_text": "秋季防火提示", "date_published": "2026-07-01T09:00:00+08:00"}]}
WEIBO = {"ok": 1, "data": {"cards": [
    {"card_type": 9, "mblog": {"id": "900", "isTop": 1, "created_at": "Mon Mar 02 10:00:00 +0800 2026",
                               "text": "欢迎关注示例县发布", "user": {"screen_name": "示例县发布"}}},
    {"card_type": 9, "mblog": {"id": "901", "created_at": "Thu Nov 19 08:30:00 +0800 2026",
                               "text": f"全县干部{TYPO}，推进冬季安全生产<br />详情见链接"}}]}}


def write(tmp: Path, base: str, extra: dict[str, Any] | None = None) -> Path:
    def account(i: str, platform: str, name: str, path: str | None, **more: Any) -> dict[str, Any]:
        entry = {"id": i, "platform": platform, "name": name, "department": "office", **more}
        if path:
            entry["feed"] = f"{base}{path}"
        return entry

    data = {
        "database": "sqlite:///govmon.db", "departments": [{"id": "office", "name": "县政府办公室"}],
        "links": {"timeout": 2, "retries": 0, "allow_hosts": ["127.0.0.1"]},  # the slow feed takes 3 s
        "accounts": [
            account("wx", "wechat", "示例县发布微信", "/wx.xml"),
            account("dy", "douyin", "示例县抖音", "/dy.atom"),
            account("tt", "toutiao", "示例县头条", "/tt.json"),
            account("wb", "weibo", "示例县发布", "/wb.json", profile="https://weibo.com/u/52999900001"),
            account("pin", "weibo", "示例县置顶", "/pin.xml"),
            account("bad", "douyin", "示例县坏源", "/bad.xml"),
            account("slow", "wechat", "示例县慢源", "/slow.xml"),
            account("big", "wechat", "示例县大源", "/big.xml"),
            account("none", "kuaishou", "示例县快手", None),
        ],
        **(extra or {}),
    }
    path = tmp / "monitor.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


ROUTES = {
    "/wx.xml": rss([(f"{TYPO}，全力冲刺全年目标", "Wed, 18 Nov 2026 09:00:00 +0800", ""),
                    ("冬季供暖保障", "Sun, 15 Nov 2026 09:00:00 +0800", "")]),
    "/dy.atom": raw(ATOM.encode("utf-8"), "application/atom+xml"),
    "/tt.json": raw(json.dumps(JSON_FEED, ensure_ascii=False).encode("utf-8"), "application/feed+json"),
    "/wb.json": raw(json.dumps(WEIBO, ensure_ascii=False).encode("utf-8"), "application/json"),
    "/pin.xml": rss([("【置顶】欢迎关注", "Thu, 19 Nov 2026 09:00:00 +0800", "")]),
    "/bad.xml": raw(b"<html><body>502 Bad Gateway</body></html>", "text/html"),
    "/slow.xml": slow(3.0),
    "/big.xml": raw(b"<rss>" + b" " * (21 * 1024 * 1024) + b"</rss>", "application/rss+xml"),
}


@pytest.fixture(scope="module")
def accounts_scan(tmp_path_factory: pytest.TempPathFactory, crawl_env: dict[str, str]):
    tmp = tmp_path_factory.mktemp("accounts")
    with serve(ROUTES) as feeds:
        config = write(tmp, feeds.base)
        proc = govmon("scan", "--config", str(config), "--as-of", "2026-11-20", "--accounts-only",
                      cwd=tmp, env=crawl_env)
    assert proc.returncode == 0, proc.stderr
    with open_store(tmp) as store:
        (scan,) = store.scans()
        findings = store.findings(statuses=None)
        checks = store.latest_account_checks()
    return {"tmp": tmp, "scan": scan, "findings": findings, "checks": checks, "stderr": proc.stderr}


def test_every_feed_format_is_read_and_judged(accounts_scan):
    status = {a: c.status for a, c in accounts_scan["checks"].items()}
    assert status == {"wx": "active", "wb": "active", "dy": "dormant", "tt": "zombie", "pin": "zombie",
                      "bad": "unreachable", "slow": "unreachable", "big": "unreachable", "none": "no_feed"}
    assert accounts_scan["scan"].kind == "accounts" and accounts_scan["scan"].status == "complete"
    assert accounts_scan["checks"]["dy"].days_silent == 20  # 2026-10-31 02:00 UTC is 10:00 in Beijing
    assert accounts_scan["checks"]["wx"].recent_posts == 2


def test_dormant_and_zombie_accounts_are_vetoed_with_the_right_advice(accounts_scan):
    dormant = {f.account: f for f in accounts_scan["findings"] if f.rule == "account-dormant"}
    assert set(dormant) == {"dy", "tt", "pin"}
    assert all(f.severity == "veto" and f.category == "dormant_account" for f in dormant.values())
    assert "20 天未更新" in dormant["dy"].text and "关停" not in dormant["dy"].suggestion
    assert "关停或注销" in dormant["tt"].suggestion
    assert "只有置顶" in dormant["pin"].text  # the pinned post is no update


def test_posts_are_checked_like_pages_and_name_their_account(accounts_scan):
    typos = [f for f in accounts_scan["findings"] if f.text == TYPO]
    assert {f.account for f in typos} == {"wx", "wb"}
    weibo = next(f for f in typos if f.account == "wb")
    assert weibo.url == "https://m.weibo.cn/detail/901" and weibo.column == "微博「示例县发布」"
    assert weibo.published.isoformat() == "2026-11-19"


def test_broken_slow_and_huge_feeds_are_recorded_with_the_reason(accounts_scan):
    checks = accounts_scan["checks"]
    assert "返回的是网页（HTML）" in checks["bad"].error
    assert "超时" in checks["slow"].error
    assert "大小上限" in checks["big"].error
    assert not [f for f in accounts_scan["findings"] if f.rule == "account-unreachable"]  # one failure only


def test_reports_show_the_accounts_table_and_counts(accounts_scan, crawl_env):
    tmp = accounts_scan["tmp"]
    proc = govmon("report", "--config", str(tmp / "monitor.yaml"), cwd=tmp, env=crawl_env)
    assert proc.returncode == 0, proc.stderr
    office = lxml.html.parse(str(tmp / "reports" / "2026-11-20" / "office.html"))
    rows = {r.xpath("td")[1].text_content().strip(): r.get("data-status") for r in office.xpath('//tr[@class="account"]')}
    assert rows["示例县头条"] == "僵尸" and rows["示例县抖音"] == "睡眠" and rows["示例县坏源"] == "无法访问"
    assert rows["示例县快手"] == "未配置订阅源"
    index = lxml.html.parse(str(tmp / "reports" / "2026-11-20" / "index.html"))
    weibo = index.xpath('//table[@id="accounts-by-status"]//tr[@data-platform="微博"]/td')
    assert [td.text_content() for td in weibo][:4] == ["微博", "1", "0", "1"]  # 正常 1, 睡眠 0, 僵尸 1


def test_a_feed_failing_on_three_scans_in_a_row_is_reported_then_fixed(tmp_path: Path, crawl_env):
    routes = {"/wx.xml": Reply(503, b"")}
    with serve(routes) as feeds:
        config = tmp_path / "monitor.yaml"
        config.write_text(yaml.safe_dump({
            "database": "sqlite:///govmon.db", "departments": [{"id": "office", "name": "县政府办公室"}],
            "links": {"timeout": 2, "retries": 0},
            "accounts": [{"id": "wx", "platform": "wechat", "name": "示例县发布", "feed": f"{feeds.base}/wx.xml",
                          "department": "office"}]}, allow_unicode=True), encoding="utf-8")

        def scan(day: str) -> list[Any]:
            proc = govmon("scan", "--config", str(config), "--as-of", day, cwd=tmp_path, env=crawl_env)
            assert proc.returncode == 0, proc.stderr
            with open_store(tmp_path) as store:
                return [f for f in store.findings(statuses=None) if f.rule == "account-unreachable"]

        assert scan("2026-11-18") == [] and scan("2026-11-19") == []
        (gone,) = scan("2026-11-20")
        assert "疑似关停或迁移" in gone.text and "连续 3 次" in gone.note and gone.account == "wx"
        feeds.routes["/wx.xml"] = ROUTES["/wx.xml"]
        (fixed,) = scan("2026-11-21")
        assert fixed.status == "fixed"


def test_the_portal_linking_an_unregistered_account_is_flagged(tmp_path: Path, crawl_env):
    links = [("https://weibo.com/u/52999900001", "示例县发布"), ("https://weibo.com/u/52999900999", "某局微博"),
             ("https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=MzU5OTk5OTk5OQ==", "某乡镇公众号")]
    with serve({"/": page("首页", "官方微信：示例县发布微信　官方抖音：示例县某某号", links)}) as site, \
            serve(ROUTES) as feeds:
        config = write(tmp_path, feeds.base, {"sites": [{"id": "p", "name": "测试县", "url": f"{site.base}/",
                                                         "department": "office"}]})
        proc = govmon("scan", "--config", str(config), "--as-of", "2026-11-20", "--sites-only", cwd=tmp_path,
                      env=crawl_env)
        assert proc.returncode == 0, proc.stderr
    with open_store(tmp_path) as store:
        found = {f.text for f in store.findings(category="unregistered_account")}
        assert [s.target for s in store.scans()] == ["p"]  # --sites-only
    assert found == {"未备案的政务新媒体：微博「某局微博」", "未备案的政务新媒体：微信公众号「某乡镇公众号」",
                     "未备案的政务新媒体：抖音「示例县某某号」"}


def test_a_dormant_account_stays_open_while_its_feed_fails_and_moves_with_a_new_feed_url(tmp_path: Path, crawl_env):
    old = rss([("冬季供暖保障", "Sun, 01 Nov 2026 09:00:00 +0800", "")])
    with serve({"/a.xml": old, "/b.xml": old}) as feeds:
        def scan(day: str, path: str) -> list[Any]:
            config = tmp_path / "monitor.yaml"
            config.write_text(yaml.safe_dump({
                "database": "sqlite:///govmon.db", "departments": [{"id": "office", "name": "县政府办公室"}],
                "links": {"timeout": 2, "retries": 0},
                "accounts": [{"id": "wx", "platform": "wechat", "name": "示例县发布", "department": "office",
                              "feed": f"{feeds.base}{path}"},
                             {"id": "ok", "platform": "weibo", "name": "示例县其他", "department": "office",
                              "feed": f"{feeds.base}/b.xml"}]}, allow_unicode=True), encoding="utf-8")
            proc = govmon("scan", "--config", str(config), "--as-of", day, cwd=tmp_path, env=crawl_env)
            assert proc.returncode == 0, proc.stderr
            with open_store(tmp_path) as store:
                return [f for f in store.findings(statuses=None) if f.rule == "account-dormant" and f.account == "wx"]

        (first,) = scan("2026-11-20", "/a.xml")
        assert first.status == "new"
        feeds.routes["/a.xml"] = page("不存在", status=404)
        (gone,) = scan("2026-11-21", "/a.xml")
        assert gone.status == "new"  # a 404 feed says nothing about the account: still to fix
        (moved,) = scan("2026-11-22", "/b.xml")  # the office points the registry at a new feed URL
        assert moved.status == "open" and moved.url.endswith("/b.xml") and moved.id == first.id
