"""End to end: `govmon demo` serves the demo portal on 127.0.0.1, crawls it over HTTP in a
Scrapy subprocess, checks, stores, and writes reports; we read the reports as a person would."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest

from monitor.checks.privacy import mask_id, mask_mobile

PLANTED = Path(__file__).resolve().parent.parent / "monitor" / "demo" / "PLANTED.md"


def planted_tables() -> tuple[list[dict], list[dict]]:
    """(planted problems, correct text) rows of PLANTED.md."""
    tables, current = [], None
    for line in PLANTED.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = None
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if current is None:
            current = {"header": cells, "rows": []}
            tables.append(current)
        else:
            current["rows"].append(dict(zip(current["header"], cells)))
    problems = [t for t in tables if "category" in t["header"]][0]["rows"]
    correct = [t for t in tables if t["header"][:3] == ["file", "text", "why"]][0]["rows"]
    return problems, correct


def unquote(cell: str) -> str:
    return re.sub(r"^`|`$", "", cell)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "govmon-demo"
    result = subprocess.run([sys.executable, "-m", "monitor.cli", "demo", "--dir", str(out)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    index = Path(result.stdout.strip().splitlines()[-1])
    assert index.exists()
    rows = []
    for page in index.parent.glob("*.html"):
        if page.name == "index.html":
            continue
        for tr in lxml.html.fromstring(page.read_text(encoding="utf-8")).xpath('//tr[@class="finding"]'):
            rows.append({
                "department": page.stem,
                "category": tr.get("data-category"),
                "severity": tr.get("data-severity"),
                "text": tr.xpath('td[@class="text"]')[0].text_content(),
                "url": tr.xpath('td[@class="page"]//div[contains(@class,"url")]')[0].text_content(),
                "context": tr.xpath('td[@class="context"]')[0].text_content(),
            })
    return {"out": out, "index": index, "rows": rows, "stdout": result.stdout, "stderr": result.stderr}


def test_demo_prints_the_report_path_and_a_summary(demo):
    assert demo["index"].name == "index.html" and demo["index"].parent.name == "2026-11-20"
    assert "示例县人民政府" in demo["stderr"] and "完成" in demo["stderr"]


def test_every_planted_problem_is_in_its_department_list(demo):
    problems, _ = planted_tables()
    for row in problems:
        text, path = unquote(row["text"]), "/" + unquote(row["file"])
        if row["category"] == "privacy":
            expected = [mask_mobile(text) if len(text) == 11 else mask_id(text)]
        elif row["category"] == "sensitive":
            expected = text.split()
        else:
            expected = [text]
        for want in expected:
            assert any(r["url"].endswith(path) and r["category"] == row["category"]
                       and (want in r["text"] or r["text"] in want) for r in demo["rows"]), (path, want)


def test_nothing_correct_is_flagged(demo):
    problems, correct = planted_tables()
    planted_files = {"/" + unquote(r["file"]) for r in problems}
    for row in correct:
        path, text = "/" + unquote(row["file"]), unquote(row["text"])
        for r in demo["rows"]:
            if r["url"].endswith(path) and r["text"] in text:
                # the same page may hold a planted error; it must not be this correct text
                assert path in planted_files and r["text"] not in ("习近平", "中华人民共和国", "国务院总理"), (path, r)
    assert len(demo["rows"]) == sum(
        len(r["text"].split()) if r["category"] == "sensitive" else 1 for r in problems)


def test_findings_go_to_the_responsible_department(demo):
    by_path = {(r["url"].split("/", 3)[3].split("/")[0]): r["department"] for r in demo["rows"]}
    assert by_path["mzj"] == "mz" and by_path["xzdt"] == "towns" and by_path["ywdt"] == "office"


def test_gbk_pages_were_read_correctly(demo):
    gbk = [r for r in demo["rows"] if "/xzdt/" in r["url"]]
    assert {r["text"] for r in gbk} == {"扶贫开发办公室", "迫不急待"}
    assert all("\ufffd" not in r["context"] for r in gbk)


def test_index_summary_counts_match_the_lists(demo):
    index = lxml.html.fromstring(demo["index"].read_text(encoding="utf-8"))
    assert int(index.get_element_by_id("total").text) == len(demo["rows"])
    counted = sum(int(n) for n in index.xpath('//table[@id="by-department"]//tr/td[2]/text()'))
    assert counted == len(demo["rows"])
    assert index.xpath('//tr[@data-site="shili"]/td[contains(@class,"scan-status")]/text()') == ["完成"]


def test_no_full_id_number_anywhere_in_the_output(demo):
    problems, _ = planted_tables()
    raw_numbers = [unquote(r["text"]) for r in problems if r["category"] == "privacy"]
    for path in demo["out"].rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for raw in raw_numbers:
                assert raw.encode() not in data, (path, raw)
