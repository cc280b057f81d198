"""Site-level checks end to end: the real `site` spider against local servers — link checks
(404, 500, timeouts, redirect chains and loops, servers that reject HEAD or robots),
attachments of each type (with a welfare list leaking ID numbers), column discovery, the
home page and identity — and `govmon scan` twice for links broken on consecutive scans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import valid_id
from servers import Reply, closed_port, html_doc, page, raw, redirect, serve, slow
from test_crawl import govmon, open_store, run_crawl
from test_readers import make_docx, make_pdf, make_xls, make_xlsx

pytestmark = pytest.mark.slow

AS_OF = "2026-11-20"
IDS = [valid_id("52012219560314011"), valid_id("52012219630507031"), valid_id("52012219710817042")]
FOOTER = ('<div class="footer"><p>主办单位：测试县人民政府办公室　联系电话：0851-12345678</p>'
          '<p>网站标识码：5299990002　黔ICP备10201081号-1　黔公网安备 52999902006107号</p>'
          '<p><a href="/zc.html">我为政府网站找错</a>'
          '<a href="http://bszs.conac.cn/sitename?id=1" title="党政机关网站标识">党政机关</a></p></div>')


def html(title: str, body: str, meta: dict[str, str] | None = None, footer: str = FOOTER) -> Reply:
    head = "".join(f'<meta name="{k}" content="{v}">' for k, v in (meta or {}).items())
    doc = html_doc(title, body + footer, head_extra=head)
    return Reply(200, doc.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


def dated_list(items: list[tuple[str, str, str]]) -> str:
    return "<ul>" + "".join(f'<li><a href="{href}">{text}</a><span>{day}</span></li>'
                            for href, text, day in items) + "</ul>"


def head_rejected(req: Any) -> Reply:
    """A server that answers HEAD with 405 (as many county CMSs do)."""
    return Reply(405, b"") if req.method == "HEAD" else page("正常页面", "正文")


def binary_doc() -> bytes:
    """An old binary Word (.doc) container: recognised, not read."""
    from test_readers import make_cfb

    return make_cfb({"WordDocument": b"\x00" * 512})


@pytest.fixture(scope="module")
def site_crawl(tmp_path_factory: pytest.TempPathFactory, crawl_env: dict[str, str]):
    tmp = tmp_path_factory.mktemp("site-checks")
    loops = {"/loop-a": redirect("/loop-b"), "/loop-b": redirect("/loop-a")}
    with serve({"/ok": page("外站页面", "正常"), "/gone": page("不存在", status=404),
                "/err500": Reply(500, b"error"), "/bot403": Reply(403, b"forbidden"),
                "/head405": head_rejected, "/slow": slow(3.0),
                "/chain-1": redirect("/chain-2", 301), "/chain-2": redirect("/ok"), **loops}) as other, \
            serve({}) as site:
        refused = f"http://127.0.0.1:{closed_port()}/x"
        externals = [f"{other.base}{p}" for p in ("/ok", "/gone", "/err500", "/bot403", "/head405", "/slow",
                                                  "/chain-1", "/loop-a")] + [refused]
        home_list = dated_list([("/news/a.html", "县长调研春耕生产", "2026-11-18"),
                                ("/news/b.html", "县委召开常委会", "2026-11-10")])
        links = "".join(f'<a href="{u}">外链{i}</a> ' for i, u in enumerate(externals))
        site.routes.update({
            "/": html("测试县人民政府", home_list + '<img src="/img/missing.png" alt="横幅">'
                      '<a href="/news/index.html">新闻动态</a> <a href="/zcwj/index.html">政策文件</a> '
                      '<a href="/zcjd/index.html">政策解读</a> ' + links,
                      {"SiteName": "测试县人民政府", "SiteDomain": "www.test.gov.cn", "SiteIDCode": "5299990002"}),
            "/news/index.html": html("新闻动态", dated_list([("/news/a.html", "县长调研春耕生产", "2026-11-18"),
                                                          ("/news/b.html", "县委召开常委会", "2026-11-10"),
                                                          ("/news/c.html", "全县安全生产会议", "2026-10-30")])),
            "/zcwj/index.html": html("政策文件", dated_list([("/zcwj/a.html", "关于印发某某办法的通知", "2026-03-01"),
                                                         ("/zcwj/b.html", "关于某某工作的意见", "2026-02-01"),
                                                         ("/zcwj/c.html", "关于某某事项的通知", "2026-01-05")])),
            "/zcjd/index.html": html("政策解读", "<p>暂无信息</p>", {"ColumnName": "政策解读"}),
            "/news/a.html": html("县长调研春耕生产", "<p>发布时间：2026-11-18</p><p>正文。</p>"
                                 '<p>附件：<a href="/files/dibao.xlsx">低保名单.xlsx</a> '
                                 '<a href="/files/notice.docx">通知.docx</a> <a href="/files/report.pdf">报告.pdf</a> '
                                 '<a href="/files/bad.xlsx">损坏.xlsx</a> <a href="/files/old.doc">旧文档.doc</a> '
                                 '<a href="/files/missing.pdf">缺失.pdf</a> <a href="/files/list.csv">名单.csv</a> '
                                 '<a href="/files/old.xls">救助名单.xls</a></p>',
                                 {"ArticleTitle": "县长调研春耕生产", "PubDate": "2026-11-18 09:00"}),
            "/news/b.html": html("县委召开常委会", "<p>发布时间：2026-11-10</p><p>正文。</p>"),
            "/news/c.html": html("全县安全生产会议", "<p>发布时间：2026-10-30</p><p>正文。</p>"),
            "/zcwj/a.html": html("关于印发某某办法的通知", "<p>发布时间：2026-03-01</p>"),
            "/zcwj/b.html": html("关于某某工作的意见", "<p>发布时间：2026-02-01</p>"),
            "/zcwj/c.html": html("关于某某事项的通知", "<p>发布时间：2026-01-05</p>"),
            "/zc.html": html("我为政府网站找错", "<p>欢迎纠错。</p>"),
            "/files/dibao.xlsx": raw(make_xlsx({"低保名单": [["序号", "姓名", "身份证号", "金额"],
                                                             [1, "张三", IDS[0], 520], [2, "李四", IDS[1], 480]]}),
                                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            "/files/notice.docx": raw(make_docx(paragraphs=["全县干部职工要再接再励，圆满完成全年任务。"]),
                                       "application/octet-stream"),
            "/files/report.pdf": raw(make_pdf([["请将材料报送县国土资源局。"]]), "application/pdf"),
            "/files/bad.xlsx": raw(b"PK\x03\x04 this is not really a spreadsheet", "application/octet-stream"),
            "/files/old.doc": raw(binary_doc(), "application/msword"),
            "/files/old.xls": raw(make_xls([("Sheet1", [["姓名", "身份证号"], ["赵六", IDS[2]]])]),
                                  "application/vnd.ms-excel"),
            "/files/list.csv": raw("姓名,手机\n王五,13912345678\n".encode("gbk"), "text/csv"),
        })
        config = tmp / "monitor.yaml"
        config.write_text(yaml.safe_dump({
            "database": "sqlite:///govmon.db", "log_dir": "logs",
            "departments": [{"id": "office", "name": "县政府办公室"}, {"id": "news", "name": "新闻科"}],
            "links": {"timeout": 1, "retries": 1, "allow_hosts": ["127.0.0.1"]},
            "sites": [{"id": "t", "name": "测试县人民政府", "url": f"{site.base}/", "department": "office",
                       "paths": {"/news/": "news"}}],
        }, allow_unicode=True), encoding="utf-8")
        crawl = run_crawl(tmp, crawl_env, config=config, site="t", args=(f"as_of={AS_OF}",), timeout=120).check()
        result = {"crawl": crawl, "site": site.base, "other": other.base, "refused": refused,
                  "heads": list(other.heads), "gets": list(other.hits), "tmp": tmp}
    with open_store(tmp) as store:
        result["findings"] = store.findings(statuses=None)
        result["scan"] = store.scans()[0]
        result["pages"] = {p.url: p for p in store.pages(result["scan"].id)}
    return result


def by_rule(result: dict[str, Any], rule: str) -> list[Any]:
    return [f for f in result["findings"] if f.rule == rule]


def broken(result: dict[str, Any]) -> dict[str, Any]:
    return {f.url: f for f in by_rule(result, "broken-link")}


# ------------------------------------------------------------------------------ links

def test_broken_targets_are_found_with_status_or_error(site_crawl):
    found = broken(site_crawl)
    other = site_crawl["other"]
    assert found[f"{other}/gone"].extra["status"] == 404
    assert "HTTP 404" in found[f"{other}/gone"].note
    assert found[f"{other}/err500"].extra["status"] == 500
    assert "超时" in found[f"{other}/slow"].note
    assert "重定向" in found[f"{other}/loop-a"].note
    assert "拒绝" in found[site_crawl["refused"]].note


def test_working_links_are_not_called_broken(site_crawl):
    found = broken(site_crawl)
    other = site_crawl["other"]
    # a HEAD-rejecting server gets a GET before anything is said; 403 is "not for robots";
    # a redirect chain that ends on a page works
    for path in ("/ok", "/head405", "/bot403", "/chain-1"):
        assert f"{other}{path}" not in found, path
    assert "/head405" in site_crawl["gets"]  # the GET fallback was made
    summary = site_crawl["scan"].stats["audit"]["links"]
    assert summary["unverified"] == 1 and summary["broken"] == len(found)


def test_each_target_is_checked_once_with_retries_only_for_timeouts_and_5xx(site_crawl):
    heads = site_crawl["heads"]
    assert heads.count("/gone") == 1 and heads.count("/bot403") == 1
    assert heads.count("/ok") == 2  # linked directly, and the end of the redirect chain
    assert heads.count("/err500") == 2  # one retry (links.retries: 1) before the GET fallback
    assert site_crawl["gets"].count("/gone") == 1  # GET before calling it broken


def test_links_to_a_host_that_refuses_are_all_broken_without_trying_each(tmp_path, crawl_env):
    """Old articles link to a closed site, one link each. Once two of those links were refused
    every try, the others fail at once with the same error: the findings read as if each had
    been tried. A host that answers is never given up on, however many of its links fail."""
    dead = f"http://127.0.0.1:{closed_port()}"
    with serve({"/ok": page("外站页面", "正常"), **{f"/gone{i}": page("不存在", status=404) for i in range(10)}}) as other, \
            serve({}) as site:
        # a chain of articles (上一篇/下一篇), each read a little slowly: each article's links
        # are checked before the next article is read
        for i in range(10):
            body = (f'<p>正文。<a href="{dead}/old/{i}.html">原文链接</a> <a href="{other.base}/gone{i}">相关</a> '
                    f'<a href="{other.base}/ok">外站</a> <a href="/a{i + 1}.html">下一篇</a></p>')
            site.routes[f"/a{i}.html"] = slow(0.3, html(f"文章{i}", body))
        site.routes["/"] = html("测试县人民政府", '<p><a href="/a0.html">文章</a></p>')
        config = tmp_path / "monitor.yaml"
        config.write_text(yaml.safe_dump({
            "database": "sqlite:///govmon.db", "log_dir": "logs",
            "departments": [{"id": "office", "name": "县政府办公室"}],
            "links": {"timeout": 2, "retries": 1, "allow_hosts": ["127.0.0.1"]},
            "sites": [{"id": "t", "name": "测试县人民政府", "url": f"{site.base}/", "department": "office",
                       "max_depth": 20}],
        }, allow_unicode=True), encoding="utf-8")
        crawl = run_crawl(tmp_path, crawl_env, config=config, site="t", args=(f"as_of={AS_OF}",), timeout=120).check()
        asked = list(other.heads) + list(other.hits)
    with open_store(tmp_path) as store:
        found = {f.url: f for f in store.findings(statuses=None) if f.rule == "broken-link"}
        stats = store.scans()[0].stats
    dead_links = [f"{dead}/old/{i}.html" for i in range(10)]
    for url in dead_links:
        assert url in found and found[url].note == found[dead_links[0]].note and "拒绝" in found[url].note, url
    # the first two links tried twice each (1 + links.retries), then the rest not at all —
    # but for one or two whose tries were already on their way (the download slot is shared
    # with the other host's checks and the articles themselves, so timing decides)
    assert 6 <= stats["link_checks_host_down"] <= 8
    # a broken link is a finding, not an error of the crawl: no ERROR lines in its log for them
    assert "ERROR: Gave up retrying" not in crawl.log and "INFO: Gave up retrying <HEAD" in crawl.log
    given_up = [line for line in crawl.log.splitlines() if "该主机的其余链接不再逐一尝试" in line]
    assert given_up == [given_up[0]] and f"链接检查：{dead} 的 2 个链接均无法连接" in given_up[0]
    # the host that answers: each of its links asked, and judged on its own answer
    assert all(f"{other.base}/gone{i}" in found and f"/gone{i}" in asked for i in range(10))
    assert f"{other.base}/ok" not in found


def test_home_page_links_are_told_apart_and_carry_text_type_and_parent(site_crawl):
    found = broken(site_crawl)
    site = site_crawl["site"]
    banner = found[f"{site}/img/missing.png"]
    assert banner.extra["on_home"] and banner.extra["resource_type"] == "image"
    assert banner.text == "横幅" and banner.parent_url == f"{site}/"
    assert "首页" in banner.note
    missing = found[f"{site}/files/missing.pdf"]
    assert not missing.extra["on_home"] and missing.extra["resource_type"] == "attachment"
    assert missing.parent_url == f"{site}/news/a.html" and missing.department == "news"


def test_external_links_are_never_crawled(site_crawl):
    assert set(site_crawl["gets"]) <= {"/gone", "/err500", "/head405", "/slow", "/loop-a", "/loop-b", "/bot403"}


# ------------------------------------------------------------------------------ attachments

def test_a_welfare_spreadsheet_leaking_id_numbers_is_found_and_masked(site_crawl):
    site = site_crawl["site"]
    ids = [f for f in site_crawl["findings"] if f.rule == "id-number" and f.url == f"{site}/files/dibao.xlsx"]
    assert len(ids) == 2
    assert all(f.parent_url == f"{site}/news/a.html" and f.department == "news" for f in ids)
    assert all(f.severity == "veto" for f in ids)
    dump = repr(site_crawl["findings"]) + (site_crawl["tmp"] / "govmon.db").read_bytes().decode("latin-1")
    assert not any(number in dump for number in IDS)


def test_every_readable_attachment_type_is_checked(site_crawl):
    site = site_crawl["site"]
    texts = {(f.url.rsplit("/", 1)[-1], f.text) for f in site_crawl["findings"]}
    assert ("notice.docx", "再接再励") in texts
    assert ("report.pdf", "国土资源局") in texts  # an outdated name on a page of 2026
    assert any(name == "list.csv" for name, _ in texts)  # the mobile number
    assert any(name == "old.xls" for name, _ in texts)  # the ID number in the old Excel format
    pages = site_crawl["pages"]
    assert pages[f"{site}/files/bad.xlsx"].error.startswith("附件无法读取")


def test_unreadable_types_are_counted_not_read(site_crawl):
    attachments = site_crawl["scan"].stats["audit"]["attachments"]
    assert attachments["read"] == 5 and attachments["failed"] == 1  # bad.xlsx
    assert attachments["not_read"] == {"doc": 1}  # an old binary Word file: no reader here
    assert site_crawl["scan"].status == "complete"


# ------------------------------------------------------------------------------ columns, home, identity

def test_columns_are_discovered_with_kinds_dates_and_staleness(site_crawl):
    columns = {c["name"]: c for c in site_crawl["scan"].stats["audit"]["columns"]}
    assert columns["新闻动态"]["kind"] == "news" and columns["新闻动态"]["newest"] == "2026-11-18"
    assert not columns["新闻动态"]["stale"]
    assert columns["政策文件"]["kind"] == "policy" and columns["政策文件"]["stale"]
    assert columns["政策文件"]["days_since"] == 264
    assert columns["政策解读"]["blank"]
    stale = by_rule(site_crawl, "stale-column")
    assert [f.column for f in stale] == ["政策文件"]
    assert "超期 84 天" in stale[0].note
    assert [f.column for f in by_rule(site_crawl, "blank-column")] == ["政策解读"]


def test_home_page_with_few_recent_items_costs_points_but_is_updated(site_crawl):
    assert by_rule(site_crawl, "site-not-updated") == []
    (few,) = by_rule(site_crawl, "home-few-updates")
    assert "2 条" in few.text


def test_complete_footer_gives_no_identity_finding_but_missing_meta_does(site_crawl):
    rules = {f.rule for f in site_crawl["findings"] if f.category == "identity"}
    assert rules == {"identity-meta"}
    (meta,) = by_rule(site_crawl, "identity-meta")
    assert "ColumnName" in meta.note


def test_a_site_that_is_down_gets_no_site_level_findings(tmp_path: Path, crawl_env: dict[str, str]):
    base = f"http://127.0.0.1:{closed_port()}"
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump({
        "database": "sqlite:///govmon.db", "departments": [{"id": "office", "name": "县政府办公室"}],
        "links": {"allow_hosts": ["127.0.0.1"], "timeout": 2, "retries": 0},
        "sites": [{"id": "t", "name": "测试", "url": f"{base}/", "department": "office",
                   "columns": [{"name": "通知公告", "url": f"{base}/tzgg/", "kind": "notice"}]}],
    }, allow_unicode=True), encoding="utf-8")
    proc = govmon("scan", "--config", str(config), "--as-of", "2026-11-20", "--no-report", cwd=tmp_path, env=crawl_env)
    assert proc.returncode == 1  # the scan failed
    with open_store(tmp_path) as store:
        assert store.scans("t")[0].status == "failed"
        assert store.findings(statuses=None) == []  # no "blank column" for a column nobody could open


def test_days_broken_grow_over_consecutive_scans(tmp_path: Path, crawl_env: dict[str, str]):
    with serve({"/": page("首页", "欢迎访问", ["/gone.html", "/a.html"]), "/a.html": page("A", "正文")}) as site:
        config = tmp_path / "monitor.yaml"
        config.write_text(yaml.safe_dump({
            "database": "sqlite:///govmon.db", "departments": [{"id": "office", "name": "县政府办公室"}],
            "links": {"allow_hosts": ["127.0.0.1"], "timeout": 2},
            "sites": [{"id": "t", "name": "测试", "url": f"{site.base}/", "department": "office"}],
        }, allow_unicode=True), encoding="utf-8")
        for day in ("2026-11-18", "2026-11-20"):
            proc = govmon("scan", "--config", str(config), "--as-of", day, cwd=tmp_path, env=crawl_env)
            assert proc.returncode == 0, proc.stderr
        with open_store(tmp_path) as store:
            (link,) = store.findings(category="broken_link")
        assert (link.first_seen.isoformat(), link.last_seen.isoformat()) == ("2026-11-18", "2026-11-20")
        report = (tmp_path / "reports" / "2026-11-20" / "office.html").read_text(encoding="utf-8")
        assert "已持续 2 天" in report
        # the link is removed: the next complete scan marks it fixed
        site.routes["/"] = page("首页", "欢迎访问", ["/a.html"])
        proc = govmon("scan", "--config", str(config), "--as-of", "2026-11-21", cwd=tmp_path, env=crawl_env)
        assert proc.returncode == 0, proc.stderr
        with open_store(tmp_path) as store:
            (link,) = store.findings(category="broken_link", statuses=None)
        assert link.status == "fixed"


def test_an_attachment_over_the_size_cap_is_not_read_and_not_called_broken(tmp_path: Path,
                                                                          crawl_env: dict[str, str]):
    big = make_xlsx({"名单": [["序号", "姓名", "说明"]] + [[i, "张三", "x" * 200] for i in range(20000)]})
    with serve({"/": page("首页", "欢迎访问", [("/big.xlsx", "大表格.xlsx")]),
                "/big.xlsx": raw(big, "application/octet-stream")}) as site:
        config = tmp_path / "monitor.yaml"
        config.write_text(yaml.safe_dump({
            "database": "sqlite:///govmon.db", "departments": [{"id": "office", "name": "县政府办公室"}],
            "attachments": {"max_mb": 0.05}, "links": {"allow_hosts": ["127.0.0.1"]},
            "sites": [{"id": "t", "name": "测试", "url": f"{site.base}/", "department": "office"}],
        }, allow_unicode=True), encoding="utf-8")
        assert len(big) > 0.05 * 1024 * 1024
        run_crawl(tmp_path, crawl_env, config=config, site="t", args=(f"as_of={AS_OF}",)).check()
    with open_store(tmp_path) as store:
        scan = store.scans()[0]
        assert store.findings(category="broken_link") == []
        pages = {p.url: p for p in store.pages(scan.id)}
    assert "超过大小上限" in pages[f"{site.base}/big.xlsx"].error
    assert list(scan.stats["audit"]["attachments"]["not_read"]) == ["xlsx（超过 0.05 MB）"]


# ------------------------------------------------------------------------------ real-portal quirks

HANWEB_LIST = ('<div id="4589"><script type="text/xml"><datastore><recordset>'
               '<record><![CDATA[<li><a href="/art/2026/11/18/art_1_1.html">县长调研秋收</a><span>2026-11-18</span></li>]]></record>'
               '<record><![CDATA[<li><a href="/art/2026/11/12/art_1_2.html">县委常委会</a><span>2026-11-12</span></li>]]></record>'
               '</recordset></datastore></script></div>' + "<script>var x = 1;</script>" * 20)


@pytest.fixture(scope="module")
def quirks_crawl(tmp_path_factory: pytest.TempPathFactory, crawl_env: dict[str, str]):
    tmp = tmp_path_factory.mktemp("quirks")
    person = IDS[0]
    with serve({"/anti-412": Reply(412, b"<html>challenge</html>"), "/anti-521": Reply(521, b"")}) as other, \
            serve({}) as site:
        daily = [(f"/xw/a{i}.html", f"第{i}条县内新闻动态", f"2026-11-{20 - i:02d}") for i in range(10)]
        site.routes.update({
            "/": redirect("/portal/index.html", 301),
            "/portal/index.html": html("测试县人民政府", dated_list(daily[:3]) +
                                       '<a href="/xw/index.html">更多>></a> <a href="/ywdt">要闻</a> '
                                       '<a href="/hw/index.html">部门信息</a> <a href="/xm.html">项目介绍</a> '
                                       f'<a href="/gs/p.html?sfz={person}">公示</a> '
                                       f'<a href="{other.base}/anti-412">省政府</a> <a href="{other.base}/anti-521">市政府</a>'),
            "/xw/index.html": html("新闻动态", dated_list(daily[:4]) + '<a href="/xw/list_2.html">下一页</a>',
                                   {"ColumnName": "新闻动态"}),
            "/xw/list_2.html": html("新闻动态", dated_list(daily[4:7]) + '<a href="/xw/more?start=20">下一页</a>',
                                    {"ColumnName": "新闻动态"}),
            "/xw/more": html("新闻动态", dated_list(daily[7:]), {"ColumnName": "新闻动态"}),  # ?start=20
            "/zc.html": html("我为政府网站找错", "<p>欢迎纠错。</p>"),
            **{href: html(text, f"<p>发布时间：{day}</p><p>正文。</p>") for href, text, day in daily},
            "/xw/a0.html": html("第0条县内新闻动态", "<p>正文很长。" + "内容" * 40 + "</p><h3>相关阅读</h3>" +
                                dated_list([(f"/old/{i}.html", f"往年新闻{i}", f"2025-0{i + 1}-01") for i in range(6)])),
            "/ywdt": redirect("/ywdt/", 301),
            "/ywdt/": html("要闻动态", dated_list(daily[:3]), {"ColumnName": "要闻动态"}),
            "/hw/index.html": html("部门信息", HANWEB_LIST, {"ColumnName": "部门信息"}),
            "/xm.html": html("项目介绍", "<p>该项目正在建设中，预计明年投入使用。</p>"),
            "/gs/p.html": html(f"张三 {person} 公示", '<p>公示内容。</p><a href="/gs/gone.html">附件</a>',
                               {"ColumnName": f"公示{person}"}),
        })
        config = tmp / "monitor.yaml"
        config.write_text(yaml.safe_dump({
            "database": "sqlite:///govmon.db", "departments": [{"id": "office", "name": "县政府办公室"}],
            "links": {"timeout": 2, "retries": 0, "allow_hosts": ["127.0.0.1"]},
            "sites": [{"id": "q", "name": "测试县人民政府", "url": f"{site.base}/", "department": "office",
                       "columns": [{"name": "要闻动态", "url": f"{site.base}/ywdt", "kind": "news"}]}],
        }, allow_unicode=True), encoding="utf-8")
        crawl = run_crawl(tmp, crawl_env, config=config, site="q", args=(f"as_of={AS_OF}",)).check()
    with open_store(tmp) as store:
        scan = store.scans()[0]
        findings = store.findings(statuses=None)
    return {"crawl": crawl, "scan": scan, "findings": findings, "tmp": tmp, "site": site.base}


def test_a_redirected_home_page_is_still_checked(quirks_crawl):
    audit = quirks_crawl["scan"].stats["audit"]
    assert audit["home"]["recent_items"] == 3
    rules = {f.rule for f in quirks_crawl["findings"]}
    assert "site-not-updated" not in rules and "identity-site-code" not in rules  # the footer was read
    assert quirks_crawl["scan"].status == "complete"


def test_paged_redirected_and_script_built_lists_are_one_fresh_column_each(quirks_crawl):
    columns = {c["name"]: c for c in quirks_crawl["scan"].stats["audit"]["columns"]}
    assert columns["新闻动态"]["pages"] == 3 and not columns["新闻动态"]["stale"]
    assert not columns["要闻动态"]["blank"] and not columns["要闻动态"]["stale"]  # /ywdt → /ywdt/
    assert columns["部门信息"]["newest"] == "2026-11-18" and not columns["部门信息"]["blank"]
    assert "更多>>" not in columns
    assert {f.rule for f in quirks_crawl["findings"]} & {"stale-column", "blank-column", "columns-not-updated"} \
        == set(), [f.text for f in quirks_crawl["findings"]]


def test_articles_with_related_links_and_news_about_construction_are_not_columns(quirks_crawl):
    names = {c["name"] for c in quirks_crawl["scan"].stats["audit"]["columns"]}
    assert "第0条县内新闻动态" not in names and "项目介绍" not in names


def test_anti_bot_answers_are_not_broken_links(quirks_crawl):
    broken_urls = {f.url for f in quirks_crawl["findings"] if f.rule == "broken-link"}
    assert not any("anti-" in u for u in broken_urls)
    assert quirks_crawl["scan"].stats["audit"]["links"]["unverified"] == 2


def test_numbers_in_urls_titles_and_column_names_never_reach_site_findings(quirks_crawl):
    person = IDS[0]
    rules = {f.rule for f in quirks_crawl["findings"]}
    assert {"broken-link", "identity-meta"} <= rules
    dump = repr(quirks_crawl["findings"]) + repr(quirks_crawl["scan"].stats) + "".join(
        json.dumps(f, ensure_ascii=False) for f in quirks_crawl["crawl"].findings)
    dump += (quirks_crawl["tmp"] / "govmon.db").read_bytes().decode("utf-8", errors="replace")
    assert person not in dump and person[:14] not in dump
    (link,) = [f for f in quirks_crawl["findings"] if f.rule == "broken-link" and f.url.endswith("/gs/gone.html")]
    assert "*" in link.parent_url and link.stored_fingerprint
