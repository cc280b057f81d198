"""Dates: strings, visible labels, URLs, and what must never be taken for a date."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.extract.dates import (
    date_from_url,
    parse_compact_date,
    parse_date,
    publication_date,
    visible_pubdate,
)

D = date(2023, 4, 17)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-04-17", D),
        ("2023-4-7", date(2023, 4, 7)),
        ("2023/04/17", D),
        ("2023.04.17", D),
        ("2023年4月17日", D),
        ("2023年04月17日 10:30", D),
        ("2023 年 4 月 17 日", D),
        ("2023年4月17", D),
        ("2023-04-17 10:30:00", D),
        ("2023-04-17T10:30:00+08:00", D),
        ("  2023-04-17  ", D),
        ("２０２３－０４－１７", D),  # full-width digits and hyphen
        ("２０２３年４月１７日", D),
        ("1990-01-01", date(1990, 1, 1)),
        ("2100-12-31", date(2100, 12, 31)),
    ],
)
def test_parse_date_formats(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-30",  # impossible day
        "2023-13-01",  # impossible month
        "2023年2月29日",  # not a leap year
        "1989-12-31",  # before 1990
        "2101-01-01",  # after 2100
        "20230417",  # compact only on request
        "2023-04/17",  # mixed separators
        "2023-04-171",  # longer number
        "0851-86819999",  # phone number
        "0851-8772-1234",
        "13985012345",  # mobile number
        "5201220001",  # 网站标识码
        "52012202006106",  # 公安备案号
        "(2023)黔0122民初1234号",  # case number
        "黔ICP备05001234号-1",
        "发布时间：2023-04-17",  # parse_date reads a date, not a label
        "",
        "2023",
    ],
)
def test_parse_date_rejects(text):
    assert parse_date(text) is None


def test_parse_compact_date():
    assert parse_compact_date("20230417") == D
    assert parse_compact_date("２０２３０４１７") == D
    assert parse_compact_date("20230230") is None
    assert parse_compact_date("5201220001") is None
    assert parse_compact_date("52012202006106") is None
    assert parse_compact_date("2023041") is None
    assert parse_compact_date("") is None


# -- visible -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "发布时间：2023-04-17 09:30",
        "【发布日期：2023年4月17日】",
        "发布日期:2023/04/17",
        "发布时间 ： 2023.04.17",
        "发文日期：2023年04月17日",
        "成文日期：2023-04-17",
        "日期：2023-04-17",
        "时间: 2023-04-17 10:00",
        "发布于：2023-04-17",
        "发布时间：２０２３－０４－１７",
        "信息来源：县林业局　发布时间：2023-04-17　浏览次数：",
    ],
)
def test_visible_pubdate_labels(text):
    assert visible_pubdate("关于开展2023年春季义务植树活动的通知\n" + text + "\n各乡（镇）人民政府：") == D


def test_visible_prefers_publication_labels_over_plain_date():
    text = "日期：2022-01-05 时间：2022-01-06\n发文日期：2023-01-01\n发布时间：2023-04-17"
    assert visible_pubdate(text) == D


def test_visible_prefers_document_date_labels_over_plain_date():
    assert visible_pubdate("时间：2022-01-06\n成文日期：2023-04-17") == D


def test_visible_ignores_other_time_labels():
    assert visible_pubdate("报名时间：2023-05-01\n更新日期：2023-05-02") is None


def test_visible_skips_an_impossible_date_for_the_next_label():
    assert visible_pubdate("发布时间：2023-02-30\n发布日期：2023-04-17") == D


def test_visible_needs_a_label_and_a_colon():
    assert visible_pubdate("2023-04-17 关于开展春季义务植树活动的通知") is None
    assert visible_pubdate("发布时间 2023-04-17") is None


def test_visible_only_reads_the_first_1500_characters():
    assert visible_pubdate("正文" * 800 + "发布时间：2023-04-17") is None
    assert visible_pubdate("正文" * 700 + "发布时间：2023-04-17") == D


@pytest.mark.parametrize(
    "text",
    [
        "联系电话：0851-87721234",
        "网站标识码：5201220001",
        "贵公网安备 52012202006106号",
        "案号(2023)黔0122民初1234号",
        "时间：0851-87721234",
        "日期：20230417",
    ],
)
def test_visible_does_not_take_numbers_for_dates(text):
    assert visible_pubdate(text) is None


# -- URL ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://www.xifeng.gov.cn/xwdt/2023/04/17/",
        "http://www.xifeng.gov.cn/xwdt/2023/04/17/123.html",
        "http://www.xifeng.gov.cn/zwgk/tzgg/202304/t20230417_79123456.html",
        "http://www.xifeng.gov.cn/t20230417_123.html",
        "http://www.xifeng.gov.cn/news/2023-04-17/",
        "http://www.zj.gov.cn/art/2023/4/17/art_1229019364_60123456.html",
        "http://www.xifeng.gov.cn/news/20230417/",
        "https://www.gov.cn/zhengce/content/2023-04/17/content_5751811.htm",
        "http://politics.people.com.cn/n1/2023/0417/c1001-32666666.html",
    ],
)
def test_date_from_url(url):
    assert date_from_url(url) == D


@pytest.mark.parametrize(
    "url",
    [
        "http://www.gov.cn/zhengce/content_5201220001.html",
        "http://www.xifeng.gov.cn/art/52012202006106.html",
        "http://www.xifeng.gov.cn/zwgk/tzgg/index_2.html",
        "http://www.xifeng.gov.cn/col/col20230417123/index.html",
        "http://www.xifeng.gov.cn/news/2023/02/30/",
        "http://www.xifeng.gov.cn/news/12345678/",
        "http://www.xifeng.gov.cn/search?date=2023-04-17",  # query strings are not read
        "http://www.xifeng.gov.cn/202304/",
        "not a url",
        "",
    ],
)
def test_date_from_url_rejects(url):
    assert date_from_url(url) is None


# -- publication_date ------------------------------------------------------------------------


URL = "http://www.xifeng.gov.cn/zwgk/tzgg/202301/t20230102_1.html"


def test_meta_wins():
    assert publication_date({"PubDate": "2023-04-17 09:30"}, "发布时间：2023-03-01", URL) == (D, "meta")


def test_meta_compact_date_and_key_casing():
    assert publication_date({"pubdate": "20230417"}, "", "") == (D, "meta")


def test_unparseable_meta_falls_through_to_visible():
    assert publication_date({"PubDate": "未知"}, "发布时间：2023-04-17", URL) == (D, "visible")


def test_url_is_last():
    assert publication_date({}, "正文没有日期", URL) == (date(2023, 1, 2), "url")


def test_nothing_found():
    assert publication_date({}, "网站标识码：5201220001", "http://www.xifeng.gov.cn/content_5201220001.html") == (
        None,
        None,
    )
