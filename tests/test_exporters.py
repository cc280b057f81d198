"""Every feed format Scrapy knows writes findings only, never page text."""

from __future__ import annotations

import csv
import io
import json

import pytest
from scrapy.settings import Settings
from scrapy.utils.misc import load_object

from conftest import valid_id
from monitor import settings as govmon_settings
from monitor.checks.privacy import check_privacy
from monitor.items import PageItem

RAW = valid_id("52012219850312123")


def page_item() -> PageItem:
    text = f"低保对象公示：张三 {RAW} 住址：某村"
    findings = check_privacy(text)
    for f in findings:
        f.url = "http://127.0.0.1/gs.html"
    return PageItem(url="http://127.0.0.1/gs.html", status=200, title="公示", main_text=text, findings=findings)


def export(fmt: str) -> bytes:
    base = Settings()
    exporters = dict(base.getdict("FEED_EXPORTERS_BASE"), **govmon_settings.FEED_EXPORTERS)
    buffer = io.BytesIO()
    exporter = load_object(exporters[fmt])(buffer)
    exporter.start_exporting()
    exporter.export_item(page_item())
    exporter.finish_exporting()
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", sorted(Settings().getdict("FEED_EXPORTERS_BASE")))
def test_no_format_writes_page_text_or_a_raw_number(fmt):
    data = export(fmt)
    assert RAW.encode() not in data
    assert b"main_text" not in data


def test_jsonl_is_one_finding_per_line_with_its_url():
    lines = export("jsonl").decode().splitlines()
    assert [json.loads(l)["url"] for l in lines] == ["http://127.0.0.1/gs.html"]
    assert json.loads(lines[0])["text"] == "52*************" + RAW[-3:]


def test_csv_has_the_rectification_columns():
    rows = list(csv.DictReader(io.StringIO(export("csv").decode())))
    assert rows[0]["category"] == "privacy" and rows[0]["url"] == "http://127.0.0.1/gs.html"
