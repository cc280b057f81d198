"""Reports: structure parsed as HTML, and page content that can never execute."""

from __future__ import annotations

from datetime import date

import lxml.html
import pytest

from monitor.config import validate
from monitor.finding import Finding
from monitor.report import build_report, safe_url
from monitor.store import Store

DAY = date(2026, 11, 20)
HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'


@pytest.fixture
def setup(tmp_path):
    config = validate({
        "departments": [{"id": "office", "name": "县政府办公室"}, {"id": "edu", "name": "县教育局"}],
        "sites": [{"id": "portal", "name": "示例县人民政府", "url": "http://127.0.0.1:8000/", "department": "office",
                   "paths": {"/jyj/": "edu"}}],
    }, tmp_path / "monitor.yaml")
    store = Store(config.database_url)
    yield config, store
    store.close()


def finding(**kw) -> Finding:
    base = dict(rule="typos", category="typo", severity="minor", text="再接再励", suggestion="再接再厉",
                context="希望大家再接再励，取得新成绩", context_start=4, context_end=8, start=10, end=14,
                url="http://127.0.0.1:8000/ywdt/a.html", site="portal", department="office",
                page_title="要闻", published=DAY, column="要闻动态")
    base.update(kw)
    return Finding(**base)


def record(store, findings, status="complete", pages=()):
    scan_id = store.start_scan("portal", DAY)
    for f in findings:
        store.record_page(scan_id, f.url, 200, title=f.page_title, findings=[f])
    for url in pages:  # pages read without problems
        store.record_page(scan_id, url, 200)
    store.finish_scan(scan_id, status)


def parse(path):
    return lxml.html.fromstring(path.read_text(encoding="utf-8"))


def test_index_and_one_list_per_department(setup, tmp_path):
    config, store = setup
    record(store, [finding(), finding(rule="protected-names", category="severe_error", severity="veto", text="人民攻府",
                                      suggestion="人民政府", context="经县人民攻府研究", context_start=2, context_end=6,
                                      url="http://127.0.0.1:8000/jyj/b.html", department="edu")])
    result = build_report(config, store, generated=DAY)
    assert result.index == tmp_path / "reports" / "2026-11-20" / "index.html"
    assert set(result.departments) == {"office", "edu"}
    index = parse(result.index)
    assert index.get_element_by_id("total").text == "2"
    assert index.xpath('//table[@id="by-category"]//tr[@data-category="typo"]/td[2]/text()') == ["1"]
    assert index.xpath('//table[@id="by-severity"]//tr[@data-severity="veto"]/td[2]/text()') == ["1"]
    assert index.xpath('//tr[@data-department="edu"]//a/@href') == ["edu.html", "edu.xlsx"]
    assert index.xpath('//tr[@data-site="portal"]/td[contains(@class,"scan-status")]/text()') == ["完成"]
    edu = parse(result.departments["edu"].html)
    (row,) = edu.xpath('//tr[@class="finding"]')
    assert row.xpath('td[@class="text"]/text()') == ["人民攻府"]
    assert row.xpath('td[@class="context"]/mark/text()') == ["人民攻府"]
    assert row.xpath('td[@class="severity"]/span/text()') == ["单项否决"]
    assert row.xpath('td[contains(@class,"status")]/text()') == ["新发现"]
    assert row.xpath('td[@class="first-seen"]/text()') == ["2026-11-20"]


def test_reports_are_self_contained(setup):
    config, store = setup
    record(store, [finding()])
    result = build_report(config, store, generated=DAY)
    for path in [result.index, *(d.html for d in result.departments.values())]:
        doc = parse(path)
        assert doc.xpath("//script") == [] and doc.xpath("//link[@rel='stylesheet']") == []
        assert all(not src.startswith("http") for src in doc.xpath("//@src"))
        assert "@page" in path.read_text(encoding="utf-8")  # A4 print rules


def test_a_department_with_nothing_to_fix_gets_a_clear_empty_list(setup):
    config, store = setup
    record(store, [finding()])
    edu = parse(build_report(config, store, generated=DAY).departments["edu"].html)
    assert edu.xpath('//tr[@class="finding"]') == []
    assert "未发现需要整改的问题" in edu.text_content()


def test_hostile_page_content_is_shown_as_text_never_markup(setup):
    config, store = setup
    record(store, [finding(text=HOSTILE, page_title=HOSTILE, context=f"前文{HOSTILE}后文", context_start=2,
                           context_end=2 + len(HOSTILE), suggestion='"><svg onload=alert(1)>',
                           url='javascript:alert(document.cookie)')])
    result = build_report(config, store, generated=DAY)
    raw = result.departments["office"].html.read_text(encoding="utf-8")
    doc = lxml.html.fromstring(raw)
    assert doc.xpath("//script") == [] and doc.xpath("//img") == [] and doc.xpath("//svg") == []
    assert doc.xpath("//@onerror") == [] and doc.xpath("//@onload") == []
    assert "javascript:" not in "".join(doc.xpath("//a/@href"))
    (row,) = doc.xpath('//tr[@class="finding"]')
    assert row.xpath('td[@class="text"]')[0].text_content() == HOSTILE
    assert row.xpath('td[@class="context"]/mark')[0].text_content() == HOSTILE


def test_only_http_links_are_clickable():
    assert safe_url("http://127.0.0.1/a") == "http://127.0.0.1/a"
    assert safe_url("HTTPS://x.gov.cn/") == "HTTPS://x.gov.cn/"
    for bad in ("javascript:alert(1)", " javascript:alert(1)", "data:text/html,x", "vbscript:x", None, ""):
        assert safe_url(bad) == "#"


def test_fixed_findings_leave_the_list(setup):
    config, store = setup
    record(store, [finding()])
    record(store, [], pages=[finding().url])
    result = build_report(config, store, generated=DAY)
    assert parse(result.index).get_element_by_id("total").text == "0"


def test_after_a_failed_scan_the_lists_keep_the_open_findings_and_say_why(setup):
    config, store = setup
    record(store, [finding()])
    scan_id = store.start_scan("portal", DAY)
    store.finish_scan(scan_id, "failed", "首页无法访问：连接超时")
    result = build_report(config, store, generated=DAY)
    index, office = parse(result.index), parse(result.departments["office"].html)
    assert index.get_element_by_id("total").text == "1"
    assert len(office.xpath('//tr[@class="finding"]')) == 1
    for doc in (index, office):
        assert "最近一次扫描未完成" in doc.get_element_by_id("incomplete").text_content()
        assert "连接超时" in doc.get_element_by_id("incomplete").text_content()


def test_a_failed_scan_is_shown_with_its_reason(setup):
    config, store = setup
    scan_id = store.start_scan("portal", DAY)
    store.finish_scan(scan_id, "failed", "首页无法访问：连接被拒绝（网站无法访问）")
    index = parse(build_report(config, store, generated=DAY).index)
    (row,) = index.xpath('//tr[@data-site="portal"]')
    assert "失败" in row.text_content() and "连接被拒绝" in row.text_content()
