"""gov_meta and page_title."""

from __future__ import annotations

from pathlib import Path

import lxml.html

from monitor.extract.encoding import decode_html
from monitor.extract.meta import GOV_META_NAMES, gov_meta, page_title

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def parse(html: str):
    return lxml.html.document_fromstring(html)


def article_tree():
    text, _ = decode_html((FIXTURES / "article_gb2312_declared.html").read_bytes())
    return parse(text)


def test_all_gov_meta_names_from_a_real_page_with_odd_casing():
    meta = gov_meta(article_tree())
    assert meta == {
        "SiteName": "息烽县人民政府",  # written "sitename"
        "SiteDomain": "www.xifeng.gov.cn",  # "SITEDOMAIN"
        "SiteIDCode": "5201220001",  # "siteIdCode"
        "ColumnName": "通知公告",
        "ColumnDescription": "发布县人民政府及县直部门各类通知公告",
        "ColumnKeywords": "通知,公告",
        "ColumnType": "通知公告",
        "ArticleTitle": "关于开展2023年春季义务植树活动的通知",  # stripped
        "PubDate": "2023-04-17 09:30",
        "ContentSource": "县林业局",
        "Keywords": "义务植树,春季,通知",
        "Author": "县林业局",
        "Url": "http://www.xifeng.gov.cn/zwgk/tzgg/202304/t20230417_79123456.html",
        "viewport": "width=device-width, initial-scale=1.0",  # other names kept as spelled
    }
    # description="   " was dropped; http-equiv metas are not name metas
    assert "Description" not in meta
    assert "X-UA-Compatible" not in meta


def test_canonical_names_cover_the_guideline_list():
    assert set(GOV_META_NAMES) >= {"SiteName", "SiteIDCode", "ColumnName", "PubDate", "Url"}


def test_first_non_empty_value_wins_and_names_are_stripped():
    tree = parse(
        '<html><head><meta name=" PubDate " content="">'
        '<meta name="pubdate" content=" 2023-04-17 ">'
        '<meta name="PUBDATE" content="2020-01-01">'
        '<meta content="no name"><meta name="" content="x"></head><body></body></html>'
    )
    assert gov_meta(tree) == {"PubDate": "2023-04-17"}


def test_meta_in_body_is_read_too():
    tree = parse('<html><body><meta name="columnname" content="政策解读"><p>x</p></body></html>')
    assert gov_meta(tree) == {"ColumnName": "政策解读"}


def test_accepts_an_element_tree():
    assert gov_meta(article_tree().getroottree())["SiteIDCode"] == "5201220001"


def test_page_title_prefers_article_title():
    assert page_title(article_tree()) == "关于开展2023年春季义务植树活动的通知"


def test_page_title_falls_back_to_title_with_folded_whitespace():
    tree = parse("<html><head><title>\n  通知公告\u3000-\xa0 息烽县人民政府\n</title></head><body></body></html>")
    assert page_title(tree) == "通知公告 - 息烽县人民政府"


def test_page_title_empty_article_title_is_ignored():
    tree = parse('<html><head><meta name="ArticleTitle" content=" "><title>栏目页</title></head></html>')
    assert page_title(tree) == "栏目页"


def test_page_title_missing():
    assert page_title(parse("<html><body><p>无标题</p></body></html>")) == ""
