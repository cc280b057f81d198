"""extract_page: the whole pipeline on saved pages, and robustness."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from monitor.extract.encoding import decode_html
from monitor.extract.page import extract_page
from monitor.items import PageItem

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
ARTICLE_URL = "http://www.xifeng.gov.cn/zwgk/tzgg/202304/t20230417_79123456.html"


def load(name: str, url: str, status: int = 200) -> PageItem:
    text, _ = decode_html((FIXTURES / name).read_bytes())
    return extract_page(text, url, status)


def test_article_page():
    page = load("article_gb2312_declared.html", ARTICLE_URL)
    assert page.error is None
    assert (page.url, page.status) == (ARTICLE_URL, 200)
    assert page.title == "关于开展2023年春季义务植树活动的通知"
    assert page.meta["SiteIDCode"] == "5201220001"
    assert page.column_name == "通知公告"
    assert (page.published, page.published_source) == (date(2023, 4, 17), "meta")
    assert "联系人：张镕" in page.main_text
    assert "网站标识码" not in page.main_text
    assert any("澳门新葡京娱乐城" in block for block in page.chrome_blocks)
    assert [a.extension for a in page.attachments] == ["pdf", "docx"]
    assert any(link.url == "http://www.xpj-yule8.com/" for link in page.links)


def test_visible_date_when_there_is_no_meta():
    page = load("stats_utf8_declared_but_gbk.html", "http://www.xifeng.gov.cn/zwgk/tjxx/index.html")
    assert (page.published, page.published_source) == (date(2023, 4, 7), "visible")
    assert page.title == "县统计局2023年一季度主要经济指标"


def test_url_date_when_the_page_shows_none():
    page = load("notice_gbk_undeclared.html", "http://www.xifeng.gov.cn/xwdt/202304/t20230417_1.html")
    assert (page.published, page.published_source) == (date(2023, 4, 17), "url")


def test_no_date_from_case_numbers_phone_numbers_or_site_codes():
    page = load("notice_gbk_undeclared.html", "http://www.xifeng.gov.cn/content_5201220001.html")
    assert "(2023)黔0122民初1234号" in page.main_text
    assert (page.published, page.published_source) == (None, None)


def test_list_page():
    page = load("list_utf8_undeclared.html", "http://www.xifeng.gov.cn/zwgk/tzgg/index_2.html", 200)
    assert page.title == "通知公告 - 息烽县人民政府"
    assert page.meta == {"ColumnName": "通知公告", "ColumnType": "通知公告"}
    assert page.published is None
    assert page.chrome_blocks == ["首页 政务公开", "网站标识码：5201220001"]
    assert len(page.attachments) == 2


def test_status_is_kept():
    page = extract_page("<html><body><h1>404 页面不存在</h1></body></html>", "http://x.gov.cn/a", 404)
    assert (page.status, page.main_text, page.error) == (404, "404 页面不存在", None)


@pytest.mark.parametrize("html", ["", "   \n\t", "<!-- 只有注释 -->"])
def test_empty_documents_set_error(html):
    page = extract_page(html, "http://x.gov.cn/a")
    assert isinstance(page, PageItem)
    assert page.error
    assert page.main_text == "" and page.links == []


def test_xml_declaration_in_a_decoded_string_is_tolerated():
    html = '<?xml version="1.0" encoding="gb2312"?>\n<html><head><title>标题</title></head><body><p>正文</p></body></html>'
    page = extract_page(html, "http://x.gov.cn/a")
    assert page.error is None
    assert (page.title, page.main_text) == ("标题", "正文")


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><div><p>未闭合<table><tr><td>单元格<div></body>",
        "</p></div>只有文字",
        "<html><head><title>标题</head><body>正文",
        "<<<>>><a href='http://[::1'>坏链接</a><a href=\"javascript:alert('x')\">x</a>",
        "\x00\x01二进制\ufffd垃圾\x7f",
        "<frameset><frame src='a.html'></frameset>",
    ],
)
def test_malformed_html_never_raises(html):
    page = extract_page(html, "http://x.gov.cn/a")
    assert isinstance(page, PageItem)
    assert page.error is None


def test_text_only_document():
    page = extract_page("只有一行文字，发布时间：2023-04-17", "http://x.gov.cn/a")
    assert page.main_text == "只有一行文字，发布时间：2023-04-17"
    assert (page.published, page.published_source) == (date(2023, 4, 17), "visible")
