"""Inline SVG charts: escaped labels, a number on every bar, a note when there is nothing."""

from __future__ import annotations

from datetime import date

import lxml.etree

from monitor.charts import bar_chart, trend_chart


def parse(svg) -> lxml.etree._Element:
    return lxml.etree.fromstring(str(svg).encode())


def texts(svg) -> list[str]:
    return [t.text for t in parse(svg).iter("{http://www.w3.org/2000/svg}text")]


def test_bars_carry_their_numbers_and_the_darker_part():
    svg = bar_chart("按责任单位", [("县教育局", 5, 2), ("县民政局", 3, 0)], "待整改", "其中逾期")
    assert texts(svg) == ["待整改", "其中逾期", "县教育局", "5（2）", "县民政局", "3"]
    widths = [float(r.get("width")) for r in parse(svg).iter("{http://www.w3.org/2000/svg}rect")][2:]
    assert widths[0] > widths[1] > 0 and widths[2] > widths[3] == 0  # 5 > 2 overdue; 3, none overdue


def test_labels_are_escaped_and_long_ones_shortened():
    svg = bar_chart('<script>alert(1)</script>', [('"><svg onload=alert(1)>部门名称很长很长很长', 1, 0)], "a", "b")
    root = parse(svg)  # well-formed XML: nothing broke out of its element
    assert root.find("{http://www.w3.org/2000/svg}title").text == "<script>alert(1)</script>"
    assert not list(root.iter("{http://www.w3.org/2000/svg}script"))
    assert texts(svg)[2].endswith("…") and "<svg" in texts(svg)[2]


def test_trend_oldest_first_with_dates():
    svg = trend_chart("趋势", [(date(2026, 11, 19), 4), (date(2026, 11, 20), 0)])
    assert texts(svg) == ["4", "11-19", "0", "11-20"]


def test_empty_charts_say_so():
    assert texts(bar_chart("按问题类型", [], "a", "b")) == ["按问题类型：无"]
    assert texts(trend_chart("趋势", [])) == ["趋势：尚无扫描记录"]
