"""URL canonicalisation, crawler traps and link extraction."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit
from pathlib import Path

import lxml.html
import pytest

from monitor.extract.links import attachment_extension, canonicalize_url, extract_links, is_trap
from monitor.items import LinkItem

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
TODAY = date(2025, 6, 1)

# -- canonicalize_url ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://www.xifeng.gov.cn/a.html#top", "http://www.xifeng.gov.cn/a.html"),
        ("HTTP://WWW.XIFENG.GOV.CN/Zwgk/Index.html", "http://www.xifeng.gov.cn/Zwgk/Index.html"),
        ("http://www.xifeng.gov.cn:80/", "http://www.xifeng.gov.cn/"),
        ("https://www.xifeng.gov.cn:443/a", "https://www.xifeng.gov.cn/a"),
        ("http://www.xifeng.gov.cn:8080/a", "http://www.xifeng.gov.cn:8080/a"),
        ("https://www.xifeng.gov.cn:80/a", "https://www.xifeng.gov.cn:80/a"),
        ("http://www.xifeng.gov.cn", "http://www.xifeng.gov.cn/"),
        ("http://www.xifeng.gov.cn?id=1", "http://www.xifeng.gov.cn/?id=1"),
        ("http://x.gov.cn/list.jsp;jsessionid=0A1B2C3D4E5F?id=5", "http://x.gov.cn/list.jsp?id=5"),
        ("http://x.gov.cn/list.jsp?jsessionid=0A1B&id=5", "http://x.gov.cn/list.jsp?id=5"),
        ("http://x.gov.cn/a.php?PHPSESSID=abc123&id=5", "http://x.gov.cn/a.php?id=5"),
        ("http://x.gov.cn/a?sessionid=1&session_id=2&ASPSESSIONIDQQ=3&id=5", "http://x.gov.cn/a?id=5"),
        ("http://x.gov.cn/a?sid=9f8e7d6c5b4a&id=5", "http://x.gov.cn/a?id=5"),
        ("http://x.gov.cn/a?sid=12&id=5", "http://x.gov.cn/a?id=5&sid=12"),  # numeric sid selects a site
        ("http://x.gov.cn/a?utm_source=wx&utm_medium=share&spm=a.b.c&id=5", "http://x.gov.cn/a?id=5"),
        ("http://x.gov.cn/a?from=timeline&isappinstalled=0&id=5", "http://x.gov.cn/a?id=5"),
        ("http://x.gov.cn/a?from=groupmessage&share_token=t&fbclid=f&gclid=g", "http://x.gov.cn/a"),
        ("http://x.gov.cn/a?from=2023-01-01&to=2023-12-31", "http://x.gov.cn/a?from=2023-01-01&to=2023-12-31"),
        ("http://x.gov.cn/a?page=2&channel=zwgk&id=123", "http://x.gov.cn/a?channel=zwgk&id=123&page=2"),
        ("http://x.gov.cn/a?b=2&a=1&a=0", "http://x.gov.cn/a?a=0&a=1&b=2"),
        ("http://x.gov.cn/a?&&id=5&", "http://x.gov.cn/a?id=5"),
        ("http://x.gov.cn/a?flag&id=", "http://x.gov.cn/a?flag&id="),
        ("http://x.gov.cn/%e6%b5%8b?q=%c4%e3", "http://x.gov.cn/%E6%B5%8B?q=%C4%E3"),  # GBK query kept
        ("http://x.gov.cn/测试 文件.pdf", "http://x.gov.cn/%E6%B5%8B%E8%AF%95%20%E6%96%87%E4%BB%B6.pdf"),
        ("  http://x.gov.cn/a  ", "http://x.gov.cn/a"),
    ],
)
def test_canonicalize_url(url, expected):
    assert canonicalize_url(url) == expected


def test_canonicalize_is_idempotent():
    url = "HTTP://X.gov.cn:80/a;jsessionid=1?b=2&utm_source=x&a=%e4%b8%ad#f"
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_canonicalize_never_raises_on_odd_input():
    for url in ("http://[::1", "http://x.gov.cn:99999/", "not a url", ""):
        assert isinstance(canonicalize_url(url), str)


# -- is_trap ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://x.gov.cn/zwgk/list?page=2",
        "http://x.gov.cn/zwgk/list?page=500",
        "http://x.gov.cn/zwgk/tzgg/index_3.html",
        "http://x.gov.cn/zwgk/tzgg/index_500.shtml",
        "http://x.gov.cn/content.jsp?id=123",
        "http://x.gov.cn/news?pageNo=12&channel=zwgk",
        "http://x.gov.cn/calendar?year=2025&month=6",
        "http://x.gov.cn/calendar?date=2010-06",
        "http://x.gov.cn/calendar/2026/06/",
        "http://x.gov.cn/rili/2025-05-17.html",
        "http://x.gov.cn/update/1999/notes.html",  # "update" is not a calendar word
        "http://x.gov.cn/xwdt/2005/03/17/123.html",  # an old article, not a calendar
        "http://x.gov.cn/zwgk/tzgg/202304/t20230417_79123456.html",
        "http://x.gov.cn/art/2023/4/17/art_1229_6012.html",
        "http://x.gov.cn/a/b/a/b/",
        "http://x.gov.cn/zwgk/zwgk/index.html",
        "http://x.gov.cn/?" + "&".join(f"k{i}=1" for i in range(10)),
        "http://x.gov.cn/" + "a" * 980,
    ],
)
def test_not_a_trap(url):
    assert is_trap(url, TODAY) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://x.gov.cn/list?page=9999", "page number 9999"),
        ("http://x.gov.cn/list?page=501", "page number 501"),
        ("http://x.gov.cn/tzgg/index_999.html", "page number 999"),
        ("http://x.gov.cn/list.jsp?pageNo=1000", "page number 1000"),
        ("http://x.gov.cn/list.jsp?PageNo=1000", "page number 1000"),
        ("http://x.gov.cn/list.php?p=777", "page number 777"),
        ("http://x.gov.cn/list.do?currentPage=600", "page number 600"),
        ("http://x.gov.cn/news/page/888/", "page number 888"),
        ("http://x.gov.cn/calendar?year=2099", "calendar date 2099"),
        ("http://x.gov.cn/calendar?year=2005", "calendar date 2005"),
        ("http://x.gov.cn/event.jsp?date=1899-01", "calendar date 1899-01"),
        ("http://x.gov.cn/event.jsp?date=2026-07-01", "calendar date 2026-07-01"),
        ("http://x.gov.cn/cal.jsp?month=203105", "calendar date 2031-05"),
        ("http://x.gov.cn/calendar/2031/05/", "calendar date 2031-05"),
        ("http://x.gov.cn/rili/2031-05-17.html", "calendar date 2031-05-17"),
        ("http://x.gov.cn/schedule/20310517/", "calendar date 2031-05-17"),
        ("http://x.gov.cn/a/b/a/b/a/b/", "path segment 'a' repeated 3 times"),
        ("http://x.gov.cn/x/x/x/", "path segment 'x' repeated 3 times"),
        ("http://x.gov.cn/" + "a" * 1000, "url longer than 1000 characters"),
        ("http://x.gov.cn/?" + "&".join(f"k{i}=1" for i in range(11)), "more than 10 query parameters"),
    ],
)
def test_trap(url, reason):
    found = is_trap(url, TODAY)
    assert found is not None and found.startswith(reason)


def test_trap_window_moves_with_today():
    url = "http://x.gov.cn/calendar?year=2031"
    assert is_trap(url, date(2030, 5, 1)) is None
    assert is_trap(url, date(2025, 5, 1)) is not None
    assert is_trap("http://x.gov.cn/calendar?year=2000", date(2030, 2, 28)) is not None


def test_trap_defaults_to_today():
    assert is_trap("http://x.gov.cn/calendar?year=1999") is not None
    assert is_trap("http://x.gov.cn/list?page=2") is None


# -- attachment_extension ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://x.gov.cn/a/P020230417.pdf", "pdf"),
        ("http://x.gov.cn/a/W0202304.DOCX", "docx"),
        ("http://x.gov.cn/download.jsp?file=a.xlsx", "xlsx"),
        ("http://x.gov.cn/down?name=%E9%A2%84%E7%AE%97.ofd&id=1", "ofd"),
        ("http://x.gov.cn/a.wps", "wps"),
        ("http://x.gov.cn/a.et", "et"),
        ("http://x.gov.cn/a.7z", "7z"),
        ("http://x.gov.cn/a.html", None),
        ("http://x.gov.cn/pdf/", None),
        ("http://x.gov.cn/a.jsp?id=5", None),
        ("http://x.gov.cn/a.gif", None),
    ],
)
def test_attachment_extension(url, expected):
    assert attachment_extension(url) == expected


# -- extract_links -------------------------------------------------------------------------


def list_links() -> tuple[list[LinkItem], list[LinkItem]]:
    html = (FIXTURES / "list_utf8_undeclared.html").read_text("utf-8")
    # the page was fetched from an old address; <base href> must win for resolution
    return extract_links(lxml.html.document_fromstring(html), "http://www.xifeng.gov.cn/old/path/list.jsp")


def by_url(items: list[LinkItem]) -> dict[str, LinkItem]:
    return {item.url: item for item in items}


def test_links_resolved_against_base_href_and_canonicalised():
    links, _ = list_links()
    urls = [link.url for link in links]
    assert "http://www.xifeng.gov.cn/zwgk/tzgg/202304/t20230417_79123456.html" in urls
    assert "http://www.xifeng.gov.cn/zwgk/tzgg/index_3.html" in urls
    assert "http://www.xifeng.gov.cn/zwgk/tzgg/202303/t20230320_78990000.html" in urls  # utm/from dropped
    assert "http://www.xifeng.gov.cn/images/qrcode.png" in urls  # ../../images from /zwgk/tzgg/
    assert len(urls) == len(set(urls))


def test_duplicate_link_keeps_the_first_text():
    links, _ = list_links()
    item = by_url(links)["http://www.xifeng.gov.cn/zwgk/tzgg/202304/t20230417_79123456.html"]
    assert item.text == "关于开展2023年春季义务植树活动的…"
    assert item.kind == "page"


def test_link_text_is_whitespace_folded():
    links, _ = list_links()
    assert by_url(links)["http://www.xifeng.gov.cn/zwgk/tzgg/202304/t20230412_79120001.html"].text == (
        "关于2023年清明节期间 森林防火工作的通告"
    )


def test_skipped_hrefs():
    links, attachments = list_links()
    for item in links + attachments:
        assert item.url.startswith(("http://", "https://"))
        assert "#" not in item.url
    texts = {item.text for item in links}
    assert not texts & {"xfxzf@163.com", "0851-87721000", "返回顶部", "分享", "空链接", "无链接"}


def test_link_kinds():
    links, attachments = list_links()
    kinds = {item.url: item.kind for item in links}
    assert kinds["http://www.xifeng.gov.cn/zwgk/"] == "page"
    assert kinds["https://www.gov.cn/zhengce/content/2023-04/17/content_5751811.htm"] == "external"
    assert kinds["https://map.example.com/embed?x=1"] == "external"  # iframe
    assert kinds["http://www.xifeng.gov.cn/zjxf/"] == "page"  # area
    assert kinds["http://www.xifeng.gov.cn/images/pdf.gif"] == "image"
    assert kinds["http://www.xifeng.gov.cn/images/qrcode.png"] == "image"
    assert all(item.kind != "attachment" for item in links)
    assert all(item.kind == "attachment" for item in attachments)


def test_attachments():
    _, attachments = list_links()
    assert [(a.url, a.extension, a.text) for a in attachments] == [
        (
            "http://www.xifeng.gov.cn/module/download/downfile.jsp?classid=0&filename=2023%E5%B9%B4%E9%A2%84%E7%AE%97.xlsx",
            "xlsx",
            "2023年部门预算公开表",
        ),
        ("http://www.xifeng.gov.cn/zwgk/tzgg/P020230301.PDF", "pdf", "预算说明"),
    ]


def test_link_text_fallbacks():
    links, _ = list_links()
    texts = {item.url: item.text for item in links}
    assert texts["http://www.xifeng.gov.cn/images/qrcode.png"] == "微信公众号二维码"  # img alt
    assert texts["https://map.example.com/embed?x=1"] == "地图"  # iframe title
    assert texts["http://www.xifeng.gov.cn/zjxf/"] == "走进息烽"  # area alt


def test_title_then_img_alt_for_anchors_without_text():
    html = (
        "<html><body><a href='/a' title='  标题 文字 '><img src='/i.png' alt='替代'></a>"
        "<a href='/b'><img src='/j.png' alt='图片链接'></a><a href='/c'></a></body></html>"
    )
    links, _ = extract_links(lxml.html.document_fromstring(html), "http://x.gov.cn/")
    texts = {item.url: item.text for item in links}
    assert texts["http://x.gov.cn/a"] == "标题 文字"
    assert texts["http://x.gov.cn/b"] == "图片链接"
    assert texts["http://x.gov.cn/c"] == ""


def test_later_text_fills_an_empty_first_text():
    html = "<html><body><a href='/a'></a><a href='/a#x'>通知公告</a></body></html>"
    links, _ = extract_links(lxml.html.document_fromstring(html), "http://x.gov.cn/")
    assert links == [LinkItem(url="http://x.gov.cn/a", text="通知公告", kind="page")]


def test_other_host_is_external_even_for_a_subdomain():
    html = "<html><body><a href='http://zwfw.x.gov.cn/'>政务服务</a><a href='//X.GOV.CN/a'>本站</a></body></html>"
    links, _ = extract_links(lxml.html.document_fromstring(html), "https://x.gov.cn/")
    assert [(item.url, item.kind) for item in links] == [
        ("http://zwfw.x.gov.cn/", "external"),
        ("https://x.gov.cn/a", "page"),
    ]


def test_external_attachment_is_an_attachment():
    html = "<html><body><a href='http://files.example.com/report.pdf'>报告</a></body></html>"
    links, attachments = extract_links(lxml.html.document_fromstring(html), "http://x.gov.cn/")
    assert links == []
    assert attachments == [
        LinkItem(url="http://files.example.com/report.pdf", text="报告", kind="attachment", extension="pdf")
    ]


def test_article_fixture_links_include_hidden_spam_and_attachments():
    from monitor.extract.encoding import decode_html

    text, _ = decode_html((FIXTURES / "article_gb2312_declared.html").read_bytes())
    url = "http://www.xifeng.gov.cn/zwgk/tzgg/202304/t20230417_79123456.html"
    links, attachments = extract_links(lxml.html.document_fromstring(text), url)
    spam = by_url(links)["http://www.xpj-yule8.com/"]
    assert (spam.text, spam.kind) == ("澳门新葡京娱乐城", "external")
    assert [a.extension for a in attachments] == ["pdf", "docx"]
    assert attachments[1].url == "http://www.xifeng.gov.cn/zwgk/tzgg/202304/W020230417512345678902.docx"
    assert "http://stats.example.com/" not in by_url(links)  # inside an HTML comment


def test_scripts_are_read_for_the_identity_check_only():
    import lxml.html

    from monitor.checks.identity import check_home_identity

    html = ('<html><body><div class="footer">主办单位：某县人民政府办公室 联系电话：0851-1234567 '
            '网站标识码：5201220001 黔ICP备10201081号 黔公网安备 52012202006106号'
            '<script id="_jiucuo_" sitecode="5201220001" src="https://zfwzgl.www.gov.cn/exposure/jiucuo.js"></script>'
            '<script type="text/javascript">document.write(unescape("%3Cspan%3E"));</script>'
            '<script src="https://dcs.conac.cn/js/33/000/0000/60429971/CA330000000604299710002.js"></script>'
            '</div></body></html>')
    links, _ = extract_links(lxml.html.document_fromstring(html), "http://www.example.gov.cn/")
    scripts = [link for link in links if link.kind == "script"]
    assert [urlsplit(s.url).hostname for s in scripts] == ["zfwzgl.www.gov.cn", "dcs.conac.cn"]
    text = lxml.html.document_fromstring(html).text_content()
    assert check_home_identity("http://www.example.gov.cn/", text, links) == []


def test_links_resolved_from_the_cache_are_those_urljoin_gives():
    """Resolved links are cached by the part of the base they depend on (scheme, host,
    folder): every base must get what urljoin and canonicalisation would give it."""
    import itertools
    import random

    from monitor.extract import links as module

    bases = ["http://x.gov.cn/a/b/page.html", "http://x.gov.cn/a/b/other.html?id=3", "http://x.gov.cn/a/b/",
             "http://x.gov.cn/a/c/page.html", "http://x.gov.cn", "http://x.gov.cn/", "https://x.gov.cn/a/b/page.html",
             "http://y.gov.cn:8080/a/b/page.html", "http://X.gov.cn/a/b/page.html;jsessionid=1?q=2",
             "http://x.gov.cn/a/b;p=/x/page.html", "http://[::1/bad"]
    hrefs = ["page2.html", "./p.html", "../up.html", "../../../over.html", "/root.html", "//other.gov.cn/x",
             "http://z.gov.cn/a/../b", "HTTPS://Z.gov.cn/", "http:relative.html", "?page=2", ";jsessionid=9", "",
             "#top", "javascript:void(0)", "java script:x", "mailto:a@b.cn", "ftp://f.gov.cn/a.pdf", "a b.html",
             "\x01?q", "a\tb.html", "/\n/evil.cn/", "附件.pdf", "%E9%99%84.pdf", "a.html#frag", "  spaced.html  ",
             "data:text/html,x", "//", "//?q", "//#f", "///x", "http:///x", "http://?q", "HTTPS://#f", "/", ".",
             ".."]
    pairs = list(itertools.product(bases, hrefs))
    for order in range(3):
        random.Random(order).shuffle(pairs)
        module._RESOLVED.clear()
        for base, href in pairs:
            raw = href.strip()
            expected = None if not raw or raw.startswith("#") else module._join(base, raw)
            assert module._resolve(base, href) == expected, (base, href)
