"""Columns, the home page and the checklist's veto conditions, at and around each threshold."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from monitor.checks.freshness import (
    PageFacts, assess_columns, assess_home, column_findings, column_kind, discover_columns, home_findings,
    is_list_page,
)
from monitor.config import DEFAULT_COLUMN_KINDS, Column, Site, Thresholds
from monitor.extract.page import extract_page
from monitor.items import ListEntry

TODAY = date(2026, 11, 20)
BASE = "http://127.0.0.1:8000"
KINDS = {k: list(v) for k, v in DEFAULT_COLUMN_KINDS.items()}


def site(*columns: Column) -> Site:
    return Site(id="t", name="测试县人民政府", url=f"{BASE}/", department="office", columns=list(columns))


def list_page(path: str, days_ago: list[int | None], name: str | None = None, **kw) -> PageFacts:
    entries = [ListEntry(f"{BASE}{path}a{i}.html", f"关于做好第{i}项工作的通知",
                         None if d is None else TODAY - timedelta(days=d)) for i, d in enumerate(days_ago)]
    meta = {"ColumnName": name} if name else {}
    chars = sum(len(e.text) for e in entries) + 40
    return PageFacts(url=f"{BASE}{path}index.html", meta=meta, entries=entries, main_chars=chars, **kw)


def columns_of(pages: list[PageFacts], *configured: Column, thresholds: Thresholds | None = None):
    thresholds = thresholds or Thresholds()
    cols = discover_columns(site(*configured), pages, KINDS, thresholds)
    return assess_columns(cols, pages, TODAY)


# ------------------------------------------------------------------------------ kinds

@pytest.mark.parametrize("name, kind", [
    ("工作动态", "news"), ("要闻动态", "news"), ("部门动态", "news"), ("通知公告", "notice"), ("公示公告", "notice"),
    ("政策文件", "policy"), ("政策解读", "policy"), ("规范性文件", "policy"), ("人事信息", "personnel"),
    ("人事任免", "personnel"), ("规划计划", "plan"), ("工作总结", "plan"), ("财政信息", "other"), ("领导信息", "other"),
])
def test_column_kind_from_its_name(name, kind):
    assert column_kind(name, KINDS) == (kind, "keyword" if kind != "other" else "default")


def test_configured_kind_wins_then_a_column_type_tag_naming_a_kind():
    assert column_kind("工作动态", KINDS, configured="plan") == ("plan", "config")
    assert column_kind("财政信息", KINDS, column_type="notice") == ("notice", "meta")
    assert column_kind("工作动态", KINDS, column_type="列表页") == ("news", "keyword")  # free text is ignored


# ------------------------------------------------------------------------------ list pages

def test_list_pages_are_told_from_articles_and_the_home_page():
    assert is_list_page(list_page("/tzgg/", [1, 2, 3]))
    assert not is_list_page(list_page("/tzgg/", [1, 2]))  # two dated links are not a list yet
    article = list_page("/tzgg/", [1, 2, 3])
    article.meta = {"ArticleTitle": "某某通知"}
    assert not is_list_page(article)
    long_text = list_page("/a/", [1, 2, 3])
    long_text.main_chars = 5000  # an article with a "related news" box
    assert not is_list_page(long_text)
    assert not is_list_page(list_page("/", [1, 2, 3], is_home=True))
    assert is_list_page(PageFacts(url=f"{BASE}/zcjd/index.html", blank_notice=True, main_chars=30))
    assert is_list_page(PageFacts(url=f"{BASE}/ztzl/index.html", meta={"ColumnName": "专题专栏"}, main_chars=10))


@pytest.mark.parametrize("with_meta", [True, False])
def test_list_page_discovery_on_real_html_with_and_without_meta_tags(with_meta):
    meta = '<meta name="ColumnName" content="工作动态">' if with_meta else ""
    rows = "".join(f'<li><a href="/gzdt/{i}.html">第{i}条工作动态标题</a><span>2026年11月{i + 1}日</span></li>'
                   for i in range(5))
    html = (f'<html><head><title>工作动态_测试县人民政府</title>{meta}</head><body><div class="nav">'
            '<a href="/">首页</a></div><div class="list"><ul>' + rows + '</ul><div class="page">'
            '<a href="/gzdt/index_1.html">下一页</a></div></div></body></html>')
    item = extract_page(html, f"{BASE}/gzdt/index.html", today=TODAY)
    facts = PageFacts(url=item.url, title=item.title, meta=item.meta, entries=item.list_entries,
                      blank_notice=item.blank_notice,
                      main_chars=len(item.main_text))
    assert is_list_page(facts)
    (col,) = columns_of([facts])
    assert col.name == "工作动态" and col.kind == "news"  # from the meta tag, else the page title
    assert col.newest == date(2026, 11, 5) and col.days_since == 15 and col.stale


def test_paging_belongs_to_the_first_page():
    first = list_page("/gzdt/", [20, 21, 22], name="工作动态")
    second = list_page("/gzdt/", [3, 30, 31], name="工作动态")
    second.url = f"{BASE}/gzdt/index_1.html"
    second.entries = [ListEntry(f"{BASE}/gzdt/p2-{i}.html", e.text, e.date) for i, e in enumerate(second.entries)]
    (col,) = columns_of([first, second])
    assert col.url == f"{BASE}/gzdt/index.html" and len(col.pages) == 2
    assert col.days_since == 3 and not col.stale


# ------------------------------------------------------------------------------ thresholds

@pytest.mark.parametrize("name, limit", [("工作动态", 14), ("通知公告", 180), ("人事信息", 365)])
def test_stale_exactly_one_day_past_the_limit(name, limit):
    (on_time,) = columns_of([list_page("/c/", [limit, limit + 5, limit + 9], name=name)])
    (late,) = columns_of([list_page("/c/", [limit + 1, limit + 5, limit + 9], name=name)])
    assert not on_time.stale and late.stale
    (finding,) = column_findings([late], Thresholds(), "t", f"{BASE}/", "office")
    assert finding.rule == "stale-column" and finding.severity == "major"
    assert f"最后更新 {(TODAY - timedelta(days=limit + 1)).isoformat()}" in finding.note
    assert "超期 1 天" in finding.note and finding.extra["max_days"] == limit


def test_limits_come_from_config_site_and_column():
    stricter = Thresholds(news=10)
    (col,) = columns_of([list_page("/c/", [11, 12, 13], name="工作动态")], thresholds=stricter)
    assert col.stale and col.max_days == 10
    own = Column(name="工作动态", url=f"{BASE}/c/index.html", kind="news", max_days=30)
    (col,) = columns_of([list_page("/c/", [20, 21, 22], name="工作动态")], own)
    assert not col.stale and col.max_days == 30


def test_a_column_without_dates_takes_its_articles_dates_else_counts_as_not_updated():
    page = list_page("/c/", [None, None, None], name="工作动态")
    article = PageFacts(url=f"{BASE}/c/a0.html", published=TODAY - timedelta(days=3), meta={"ArticleTitle": "x"})
    configured = Column(name="工作动态", url=f"{BASE}/c/index.html")
    (col,) = columns_of([page, article], configured)
    assert col.newest_source == "article" and not col.stale
    (col,) = columns_of([page], configured)
    assert col.newest is None and col.stale
    (finding,) = column_findings([col], Thresholds(), "t", f"{BASE}/", "office")
    assert "无法确认更新日期" in finding.text


def test_blank_columns():
    notice = PageFacts(url=f"{BASE}/zcjd/index.html", meta={"ColumnName": "政策解读"}, blank_notice=True)
    empty = PageFacts(url=f"{BASE}/ztzl/index.html", meta={"ColumnName": "专题专栏"})
    broken = list_page("/bmdt/", [1, 2, 3], name="部门动态")
    cols = discover_columns(site(), [notice, empty, broken], KINDS, Thresholds())
    assess_columns(cols, [notice, empty, broken], TODAY, broken=frozenset(e.url for e in broken.entries))
    reasons = {c.name: c.blank_reason for c in cols}
    assert reasons == {"政策解读": "栏目显示“暂无信息”类提示", "专题专栏": "栏目无任何信息条目",
                       "部门动态": "栏目中的信息链接全部无法打开"}
    missing = Column(name="公示公告", url=f"{BASE}/gsgg/index.html")
    (col,) = columns_of([], missing)
    assert col.blank and "无法打开" in col.blank_reason
    fresh = list_page("/gzdt/", [1, 2, 3], name="工作动态")
    (col,) = columns_of([fresh])
    assert not col.blank and not col.stale


# ------------------------------------------------------------------------------ vetoes

def stale_columns(kind_names: list[str]) -> list:
    pages = [list_page(f"/c{i}/", [400, 401, 402], name=name) for i, name in enumerate(kind_names)]
    return columns_of(pages)


def veto_rules(cols) -> set[str]:
    return {f.rule for f in column_findings(cols, Thresholds(), "t", f"{BASE}/", "office") if f.severity == "veto"}


def test_five_stale_news_notice_policy_columns_fail_the_site_four_do_not():
    names = ["工作动态", "部门动态", "通知公告", "政策文件", "公示公告"]
    assert veto_rules(stale_columns(names[:4])) == set()
    assert veto_rules(stale_columns(names)) == {"columns-not-updated"}


def test_ten_stale_columns_of_any_kind_fail_the_site():
    names = ["人事信息", "规划计划", "财政信息", "领导信息", "机构信息", "统计信息", "重大项目", "工作总结", "人事任免"]
    assert veto_rules(stale_columns(names)) == set()
    assert veto_rules(stale_columns(names + ["招聘信息"])) == {"columns-not-updated"}


def test_five_blank_columns_fail_the_site():
    blanks = [PageFacts(url=f"{BASE}/b{i}/index.html", meta={"ColumnName": f"专栏{i}"}, blank_notice=True)
              for i in range(5)]
    assert veto_rules(columns_of(blanks[:4])) == set()
    findings = column_findings(columns_of(blanks), Thresholds(), "t", f"{BASE}/", "office")
    (veto,) = [f for f in findings if f.severity == "veto"]
    assert veto.rule == "blank-columns" and "专栏0" in veto.note
    assert veto_rules(columns_of(blanks[:2])) == set()
    assert {f.rule for f in column_findings(columns_of(blanks[:2]), Thresholds(blank_veto=2), "t", BASE, "o")
            if f.severity == "veto"} == {"blank-columns"}


# ------------------------------------------------------------------------------ home page

def home(days_ago: list[int | None]) -> PageFacts:
    page = list_page("/", days_ago)
    page.url, page.is_home = f"{BASE}/", True
    return page


def test_home_page_updated_within_14_days_or_not():
    updated = assess_home(home([14] + [20] * 9), [], TODAY, 14)
    assert updated.recent_items == 1
    rules = [f.rule for f in home_findings(updated, Thresholds(), TODAY, "t", f"{BASE}/", "office")]
    assert rules == ["home-few-updates"]
    stale = assess_home(home([15, 20]), [], TODAY, 14)
    (veto,) = home_findings(stale, Thresholds(), TODAY, "t", f"{BASE}/", "office")
    assert veto.rule == "site-not-updated" and veto.severity == "veto" and "15 天前" in veto.note


def test_ten_recent_home_items_cost_nothing_nine_cost_points():
    assert home_findings(assess_home(home([1] * 10), [], TODAY, 14), Thresholds(), TODAY, "t", BASE, "o") == []
    (few,) = home_findings(assess_home(home([1] * 9), [], TODAY, 14), Thresholds(), TODAY, "t", BASE, "o")
    assert few.rule == "home-few-updates" and "9 条" in few.text


def test_undated_home_items_count_as_not_updated():
    state = assess_home(home([None, None]), [], TODAY, 14)
    assert state.navigation_only  # no dated item at all
    (veto,) = home_findings(state, Thresholds(), TODAY, "t", BASE, "o")
    assert veto.rule == "site-not-updated" and "无发布日期" in veto.note


def test_a_navigation_only_home_page_is_judged_by_its_second_level_columns():
    nav_home = PageFacts(url=f"{BASE}/", is_home=True, entries=[ListEntry(f"{BASE}/jydt/index.html", "教育动态")])
    second = [list_page("/jydt/", [2, 3, 4]), list_page("/tzgg/", [40, 50, 60])]
    state = assess_home(nav_home, second, TODAY, 14)
    assert state.navigation_only and state.recent_items == 3
    assert [f.rule for f in home_findings(state, Thresholds(), TODAY, "t", BASE, "o")] == ["home-few-updates"]
    state = assess_home(nav_home, [list_page("/tzgg/", [40, 50, 60])], TODAY, 14)
    (veto,) = home_findings(state, Thresholds(), TODAY, "t", BASE, "o")
    assert veto.rule == "site-not-updated" and "二级栏目" in veto.text


def test_dated_in_the_future_is_not_an_update():
    state = assess_home(home([-30, 20]), [], TODAY, 14)
    assert state.recent_items == 0


def test_a_short_column_is_found_when_its_page_names_the_column():
    short = list_page("/gfxwj/", [249, 300], name="规范性文件")
    assert is_list_page(short)
    unnamed = list_page("/gfxwj/", [249, 300])
    assert not is_list_page(unnamed)  # two dated links alone could be an article's "related" box
    (col,) = columns_of([short])
    assert col.kind == "policy" and col.stale
