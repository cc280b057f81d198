"""extract_listing: the entries of a list page (栏目列表页) with their dates, and blank notices."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import lxml.html
import pytest

from monitor.extract.blocks import find_chrome
from monitor.extract.listing import BLANK_MESSAGES, extract_listing
from monitor.items import ListEntry

BASE = "http://www.shili.gov.cn/tzgg/index.html"
TODAY = date(2026, 11, 20)
DEMO = Path(__file__).parent.parent / "monitor" / "demo" / "site"


def listing(body: str, base_url: str = BASE, today: date | None = TODAY, head: str = ""):
    tree = lxml.html.document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>")
    return extract_listing(tree, base_url, find_chrome(tree.find("body")), today=today)


def entries(body: str, **kwargs) -> list[ListEntry]:
    return listing(body, **kwargs)[0]


def dated(found: list[ListEntry]) -> list[tuple[str, date | None]]:
    return [(e.text, e.date) for e in found]


# -- list layouts ---------------------------------------------------------------------------------


def test_trs_style_list():
    found = entries(
        '<div class="list"><ul>'
        '<li><a href="202611/t20261112_2.html">关于开展冬季安全检查的通知</a><span>2026-11-12</span></li>'
        '<li><a href="202611/t20261103_1.html" target="_blank">关于县城区 停水的公告</a>'
        "<span>[2026-11-03]</span></li>"
        "</ul></div>"
    )
    assert found == [
        ListEntry("http://www.shili.gov.cn/tzgg/202611/t20261112_2.html", "关于开展冬季安全检查的通知", date(2026, 11, 12)),
        ListEntry("http://www.shili.gov.cn/tzgg/202611/t20261103_1.html", "关于县城区 停水的公告", date(2026, 11, 3)),
    ]


def test_table_list():
    found = entries(
        "<table><tr><th>标题</th><th>发布日期</th></tr>"
        '<tr><td><a href="/zcwj/a.html">示例县优化营商环境若干措施</a></td><td>2026/11/12</td></tr>'
        '<tr><td><a href="/zcwj/b.html">示例县民生实事实施方案</a></td><td>2025.12.15</td></tr>'
        "</table>"
    )
    assert dated(found) == [
        ("示例县优化营商环境若干措施", date(2026, 11, 12)),
        ("示例县民生实事实施方案", date(2025, 12, 15)),
    ]
    assert found[0].url == "http://www.shili.gov.cn/zcwj/a.html"


def test_div_rows_with_one_link_each():
    found = entries(
        '<div class="news"><div class="item"><h3><a href="a.html">第一条</a></h3><em>2026-11-01</em></div>'
        '<div class="item"><h3><a href="b.html">第二条</a></h3><em>2026-10-31 09:15</em></div></div>'
    )
    assert dated(found) == [("第一条", date(2026, 11, 1)), ("第二条", date(2026, 10, 31))]


def test_date_in_the_link_text():
    found = entries(
        "<ul>"
        '<li><a href="a.html">[2026-11-12] 县政府常务会议召开</a></li>'
        '<li><a href="b.html">关于调整公交线路的公告（2026年11月2日）</a></li>'
        '<li><a href="c.html">县领导调研重点项目 2026-10-30 10:30</a></li>'
        "</ul>"
    )
    assert [e.date for e in found] == [date(2026, 11, 12), date(2026, 11, 2), date(2026, 10, 30)]
    assert found[0].text == "[2026-11-12] 县政府常务会议召开"  # the text is kept as shown


def test_date_in_the_middle_of_a_title_is_not_the_entry_date():
    found = entries('<ul><li><a href="a.html">关于2026年11月5日停电检修的通知</a></li></ul>')
    assert dated(found) == [("关于2026年11月5日停电检修的通知", None)]


def test_row_date_wins_over_a_date_in_the_title():
    found = entries('<ul><li><a href="a.html">2026年11月5日停电检修通知</a><span>2026-11-03</span></li></ul>')
    assert found[0].date == date(2026, 11, 3)


def test_chinese_date_format():
    found = entries(
        '<ul><li><a href="a.html">关于征集意见的公告</a><span>2026年11月12日</span></li>'
        '<li><a href="b.html">关于开展评议的通知</a><span>2026 年 9 月 3 日</span></li></ul>'
    )
    assert [e.date for e in found] == [date(2026, 11, 12), date(2026, 9, 3)]


def test_full_width_digits_and_brackets():
    found = entries(
        '<ul><li><a href="a.html">通知一</a><span>２０２６－１１－１２</span></li>'
        '<li><a href="b.html">通知二（２０２６年１０月８日）</a></li>'
        '<li><a href="c.html">通知三</a><span>［１１－０２］</span></li></ul>'
    )
    assert [e.date for e in found] == [date(2026, 11, 12), date(2026, 10, 8), date(2026, 11, 2)]


# -- month-day only ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("12-28", date(2025, 12, 28)),
        ("[12-28]", date(2025, 12, 28)),
        ("01-02", date(2026, 1, 2)),
        ("01-04", date(2026, 1, 4)),  # tomorrow is still this year
        ("01-05", date(2025, 1, 5)),  # after tomorrow: last year
        ("12月28日", date(2025, 12, 28)),
        ("1月2日", date(2026, 1, 2)),
    ],
)
def test_month_day_year_inferred_around_new_year(shown, expected):
    found = entries(f'<ul><li><a href="a.html">标题</a><span>{shown}</span></li></ul>', today=date(2026, 1, 3))
    assert found[0].date == expected


def test_month_day_29_february_goes_back_to_a_leap_year():
    found = entries('<ul><li><a href="a.html">标题</a><span>02-29</span></li></ul>', today=date(2026, 3, 1))
    assert found[0].date == date(2024, 2, 29)


def test_today_defaults_to_the_real_today():
    found = entries('<ul><li><a href="a.html">标题</a><span>2026-11-12</span></li></ul>', today=None)
    assert found[0].date == date(2026, 11, 12)
    found = entries('<ul><li><a href="a.html">标题</a><span>01-01</span></li></ul>', today=None)
    assert found[0].date is not None and found[0].date <= date.today()


@pytest.mark.parametrize(
    "shown",
    [
        "26-11-12",  # two-digit year
        "26/11/12",
        "26年11月12日",
        "2026年11月",  # year and month
        "2026-11",
        "2026年",
        "2026-13-40",  # no such day
        "1850-01-01",  # before MIN_YEAR
        "第11-12期",
        "1-10月",
        "电话：0851-12345678",
    ],
)
def test_not_dates(shown):
    found = entries(f'<ul><li><a href="a.html">标题</a><span>{shown}</span></li></ul>')
    assert found[0].date is None


def test_date_in_the_url_is_not_used():
    found = entries('<ul><li><a href="202611/t20261112_1.html">标题</a></li></ul>')
    assert found[0].date is None


def test_dates_of_other_rows_are_not_borrowed():
    found = entries(
        '<div class="list"><a href="a.html">无日期条目</a><br><a href="b.html">另一条</a><span>2026-11-12</span></div>'
    )
    assert dated(found) == [("无日期条目", None), ("另一条", None)]  # no row holds one link only


# -- what is not an entry ------------------------------------------------------------------------------


def test_chrome_links_are_not_entries():
    found = entries(
        '<div class="header"><a href="/index.html">示例县人民政府</a></div>'
        '<nav><a href="/ywdt/index.html">要闻动态</a></nav>'
        '<div class="crumb">当前位置：<a href="/index.html">首页</a> &gt; <a href="/tzgg/index.html">通知公告</a></div>'
        '<div class="list"><ul><li><a href="/tzgg/a.html">正文条目</a><span>2026-11-12</span></li></ul></div>'
        '<footer><a href="/zc/index.html">联系我们</a> 2026-11-11</footer>'
        '<div class="copyright"><a href="/map.html">网站地图</a></div>'
    )
    assert dated(found) == [("正文条目", date(2026, 11, 12))]


def test_without_chrome_every_link_counts():
    tree = lxml.html.document_fromstring('<html><body><nav><a href="/a.html">要闻动态</a></nav></body></html>')
    assert [e.text for e in extract_listing(tree, BASE, today=TODAY)[0]] == ["要闻动态"]


def test_paging_links_are_not_entries():
    found = entries(
        '<ul><li><a href="a.html">正文条目</a><span>2026-11-12</span></li></ul>'
        '<div class="page"><a href="index.html">首页</a><a href="index_1.html">上一页</a>'
        '<a href="index.html">1</a><a href="index_1.html">[2]</a><a href="index_2.html">3</a>'
        '<a href="index_3.html">下一页</a><a href="index_9.html">尾页</a><a href="index_9.html">末页</a>'
        '<a href="index_3.html">&gt;&gt;</a><a href="index_3.html">»</a><a href="index_4.html">第4页</a>'
        '<a href="javascript:go()">跳转</a><a href="/tzgg/">GO</a></div>'
        '<p><a href="more.html">更多&gt;&gt;</a> <a href="more.html">MORE +</a> <a href="/">返回首页</a>'
        ' <a href="/x">返 回</a> <a href="/y">返回顶部</a></p>'
    )
    assert dated(found) == [("正文条目", date(2026, 11, 12))]


def test_links_without_text_and_skipped_schemes():
    found = entries(
        '<ul><li><a href="a.html"></a></li><li><a href="b.html"><img src="b.png"></a></li>'
        '<li><a href="c.html"><img src="c.png" alt="县长信箱"></a></li>'
        '<li><a href="d.html" title="在线访谈"><img src="d.png"></a></li>'
        '<li><a href="javascript:void(0)">脚本链接</a></li><li><a href="mailto:a@b.cn">邮件</a></li>'
        '<li><a href="#top">锚点</a></li><li><a href="ftp://x.cn/a">文件服务器</a></li>'
        "<li><a>没有 href</a></li></ul>"
    )
    assert [(e.url, e.text) for e in found] == [
        ("http://www.shili.gov.cn/tzgg/c.html", "县长信箱"),
        ("http://www.shili.gov.cn/tzgg/d.html", "在线访谈"),
    ]


def test_base_href_and_canonical_urls():
    found = entries(
        '<ul><li><a href="a.html?utm_source=x#p2">条目</a></li><li><a href="HTTP://Other.GOV.cn:80/b">外链</a></li></ul>',
        head='<base href="http://www.shili.gov.cn/xxgk/">',
    )
    assert [e.url for e in found] == ["http://www.shili.gov.cn/xxgk/a.html", "http://other.gov.cn/b"]


def test_duplicate_urls_keep_the_first_and_a_later_date():
    found = entries(
        '<div class="pic"><a href="a.html" title="图片新闻标题"><img src="a.jpg"></a></div>'
        '<ul><li><a href="a.html">图片新闻标题（正文）</a><span>2026-11-12</span></li>'
        '<li><a href="a.html#x">重复</a><span>2026-11-01</span></li></ul>'
    )
    assert dated(found) == [("图片新闻标题", date(2026, 11, 12))]


def test_truncated_text_prefers_the_title():
    found = entries(
        '<ul><li><a href="a.html" title="示例县人民政府关于进一步优化营商环境若干措施的通知">示例县人民政府关于进一步…</a>'
        "<span>2026-11-06</span></li>"
        '<li><a href="b.html" title="完整标题二">标题二...</a></li>'
        '<li><a href="c.html">没有 title 的截断标题…</a></li>'
        '<li><a href="d.html" title="提示文字">完整标题四</a></li></ul>'
    )
    assert dated(found) == [
        ("示例县人民政府关于进一步优化营商环境若干措施的通知", date(2026, 11, 6)),
        ("完整标题二", None),
        ("没有 title 的截断标题…", None),
        ("完整标题四", None),
    ]


def test_undated_entries_are_kept():
    found = entries('<ul><li><a href="a.html">  领导\n  信箱 </a></li></ul>')
    assert found == [ListEntry("http://www.shili.gov.cn/tzgg/a.html", "领导 信箱", None)]


# -- blank notices -------------------------------------------------------------------------------------


@pytest.mark.parametrize("message", BLANK_MESSAGES)
def test_every_blank_message(message):
    assert listing(f'<div class="list"><p>{message}</p></div>')[1] is True


def test_blank_notice_without_entries():
    found, blank = listing('<div class="header"><a href="/">首页</a></div><div class="list"><ul><li>暂无信息</li></ul></div>')
    assert found == [] and blank is True


def test_blank_notice_with_entries_is_still_reported():
    found, blank = listing(
        '<div class="list"><ul><li><a href="a.html">旧条目</a><span>2019-01-01</span></li></ul>'
        "<p>对不起，该栏目暂无更多信息！</p></div>"
    )
    assert len(found) == 1 and blank is True


def test_full_width_spaced_blank_notice():
    assert listing("<div>暂无　信息</div>")[1] is True


def test_no_blank_notice_on_an_ordinary_list():
    assert listing('<ul><li><a href="a.html">通知</a><span>2026-11-12</span></li></ul>')[1] is False


def test_blank_message_in_chrome_link_title_or_long_text_does_not_count():
    long_text = "为加快推进重点项目建设，县发展改革局要求各单位在项目建设中严格落实安全生产责任，确保工程质量和施工进度按计划推进。"
    _, blank = listing(
        '<div class="footer">本站部分栏目正在建设中</div>'
        '<ul><li><a href="a.html">我县在乡村振兴建设中取得新成效</a><span>2026-11-12</span></li></ul>'
        f"<p>{long_text}</p><!-- 暂无信息 --><script>var s = '暂无数据';</script>"
    )
    assert blank is False


# -- article pages and odd HTML -------------------------------------------------------------------------


def test_article_page_gives_no_false_dates():
    found, blank = listing(
        '<div class="header"><a href="/">首页</a></div>'
        '<div class="article"><h1>关于印发2026年工作计划的通知</h1>'
        "<p>各乡镇人民政府，县直各部门：</p>"
        "<p>现将《示例县2026年工作计划》印发给你们，请结合实际认真贯彻落实。2026年是关键之年。</p>"
        '<p>附件：<a href="/files/2026gzjh.pdf">2026年工作计划</a></p>'
        "<p>联系电话：0851-12345678</p></div>"
    )
    assert dated(found) == [("2026年工作计划", None)]
    assert blank is False


def test_article_page_without_links():
    assert listing('<div class="article"><h1>标题</h1><p>2026年工作计划已经印发。</p></div>') == ([], False)


@pytest.mark.parametrize(
    "html",
    [
        "<html><body></body></html>",
        "<html><head><title>x</title></head></html>",
        "<html><body><!-- 只有注释 --></body></html>",
        "<p>文本</p>",
        "<html><body><!-- c --><?pi x?><a href='a.html'><!-- c -->标题</a><span>2026-11-12</span></body></html>",
        "<a href='http://[::1'>坏链接</a><a href='http://x.cn:abc/'>坏端口</a><a href=' '>空</a>",
        "<table><tr><td><a href='a.html'>未闭合<td>2026-11-12</table></div></span>",
        "<ul><li><a href='a.html'>标题</a><span>9999-99-99 99:99</span></li></ul>",
    ],
)
def test_odd_html_does_not_raise(html):
    tree = lxml.html.document_fromstring(html)
    body = tree.find("body")
    found, blank = extract_listing(tree, BASE, find_chrome(body) if body is not None else (), today=TODAY)
    assert isinstance(found, list) and isinstance(blank, bool)


def test_element_tree_is_accepted():
    html = '<html><body><ul><li><a href="a.html">标题</a><span>11-12</span></li></ul></body></html>'
    tree = lxml.html.document_fromstring(html)
    assert extract_listing(tree.getroottree(), BASE, today=TODAY)[0][0].date == date(2026, 11, 12)


def test_fragment_tree():
    tree = lxml.html.fragment_fromstring('<ul><li><a href="a.html">标题</a><span>11-12</span></li></ul>')
    expected = [ListEntry("http://www.shili.gov.cn/tzgg/a.html", "标题", date(2026, 11, 12))]
    assert extract_listing(tree, BASE, today=TODAY) == (expected, False)


# -- the bundled demo site -------------------------------------------------------------------------------


def demo_listing(path: str, base_url: str):
    tree = lxml.html.document_fromstring((DEMO / path).read_bytes().decode("utf-8"))
    return extract_listing(tree, base_url, find_chrome(tree.find("body")), today=TODAY)


def test_demo_list_page():
    found, blank = demo_listing("tzgg/index.html", "http://www.shili.gov.cn/tzgg/index.html")
    assert blank is False
    assert [(e.url.rsplit("/", 2)[-2:], e.date) for e in found] == [
        (["202611", "t20261110_2005.html"], date(2026, 11, 10)),
        (["202611", "t20261103_2004.html"], date(2026, 11, 3)),
        (["202610", "t20261026_2003.html"], date(2026, 10, 26)),
        (["202610", "t20261016_2002.html"], date(2026, 10, 16)),
        (["202610", "t20261009_2001.html"], date(2026, 10, 9)),
    ]
    assert found[0].url == "http://www.shili.gov.cn/tzgg/202611/t20261110_2005.html"
    assert found[0].text == "示例县公安局关于开展打击整治赌博违法犯罪专项行动的通告"


def test_demo_home_page():
    found, blank = demo_listing("index.html", "http://www.shili.gov.cn/index.html")
    assert blank is False
    by_column: dict[str, list[date]] = {}
    for entry in found:
        if entry.date is not None:
            by_column.setdefault(entry.url.split("/")[3], []).append(entry.date)
    assert {column: len(days) for column, days in by_column.items()} == {"ywdt": 5, "tzgg": 5, "zcwj": 4, "xzdt": 5}
    assert by_column["zcwj"] == [date(2026, 11, 6), date(2026, 9, 18), date(2025, 12, 15), date(2017, 6, 12)]
    urls = {e.url for e in found}
    for path in ("index.html", "zc/index.html", "mzj/index.html", "rsxx/index.html"):
        assert f"http://www.shili.gov.cn/{path}" not in urls  # nav and footer links
    assert not any("conac.cn" in url for url in urls)
    undated = [(e.text, e.url) for e in found if e.date is None]
    assert undated == [  # the block headings; their 更多>> links are paging links
        ("要闻动态", "http://www.shili.gov.cn/ywdt/index.html"),
        ("通知公告", "http://www.shili.gov.cn/tzgg/index.html"),
        ("政策文件", "http://www.shili.gov.cn/zcwj/index.html"),
        ("乡镇动态", "http://www.shili.gov.cn/xzdt/index.html"),
        # the 政务新媒体 block: account links carry no dates and never count as news
        ("示例县发布（新浪微博）", "https://weibo.com/u/52999900001"),
        ("示例县发布（微信公众号）", "https://mp.weixin.qq.com/mp/profile_ext?__biz=MzkyOTk5OTAwMQ==&action=home"),
        ("示例县民政（抖音）", "https://www.douyin.com/user/MS4wLjABAAAAshiliMinZheng01"),
        ("示例县教育（今日头条）", "https://www.toutiao.com/c/user/token/MS4wLjABAAAAshiliJiaoYu01/"),
        ("示例县青山镇（新浪微博）", "https://weibo.com/u/52999900003"),
        ("示例县市场监管局官方微博", "https://weibo.com/u/52999900999"),
    ]
