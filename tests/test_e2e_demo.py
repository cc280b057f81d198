"""End to end: `govmon demo` serves the demo portal and its sub-site on 127.0.0.1, crawls
them over HTTP in Scrapy subprocesses, checks, stores, and writes reports; we read the
reports as a person would (the per-department lists), and `govmon findings --format json`
for what a list row does not show (rule, link parent, site)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
import yaml

from monitor.checks.privacy import mask_id, mask_mobile
from monitor.demo import DEMO_SITES

PLANTED = Path(__file__).resolve().parent.parent / "monitor" / "demo" / "PLANTED.md"


def planted_tables() -> tuple[list[dict], list[dict], list[dict]]:
    """(planted text problems, correct text, site-level problems) rows of PLANTED.md."""
    tables, current = [], None
    for line in PLANTED.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = None
        if not line.startswith("|") or set(line) <= set("|- "):
            if not line.startswith("|"):
                current = None
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if current is None:
            current = {"header": cells, "rows": []}
            tables.append(current)
        else:
            current["rows"].append(dict(zip(current["header"], cells)))
    problems = [t for t in tables if "category" in t["header"] and "rule" not in t["header"]][0]["rows"]
    correct = [t for t in tables if t["header"][:3] == ["file", "text", "why"]][0]["rows"]
    site_level = [t for t in tables if "rule" in t["header"]][0]["rows"]
    return problems, correct, site_level


def unquote(cell: str) -> str:
    return re.sub(r"^`|`$", "", cell)


def expected_texts(row: dict) -> list[str]:
    """What the report shows for a planted text problem (masked numbers; one per spam word)."""
    text = unquote(row["text"])
    if row["category"] == "privacy":
        return [mask_mobile(text) if len(text) == 11 else mask_id(text)]
    if row["category"] == "sensitive":
        return text.split()
    return [text]


def page_path(rel: str) -> str:
    """URL path of a demo file (the home page is crawled as `/`)."""
    return "/" if rel == "index.html" else "/" + rel


def url_path(url: str | None) -> str:
    return urlsplit(url or "").path or "/"


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
                "suggestion": tr.xpath('td[@class="suggestion"]')[0].text_content(),
                "url": tr.xpath('td[@class="page"]//div[contains(@class,"url")]')[0].text_content(),
                "context": tr.xpath('td[@class="context"]')[0].text_content(),
            })
    listed = subprocess.run([sys.executable, "-m", "monitor.cli", "findings", "--config", str(out / "monitor.yaml"),
                             "--format", "json"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    config = yaml.safe_load((out / "monitor.yaml").read_text(encoding="utf-8"))
    bases = {site["id"]: site["url"].rstrip("/") for site in config["sites"]}
    return {"out": out, "index": index, "rows": rows, "stdout": result.stdout, "stderr": result.stderr,
            "findings": json.loads(listed.stdout), "findings_raw": listed.stdout, "bases": bases}


def target_url(row: dict, bases: dict[str, str]) -> str:
    """The URL a planted broken link points at, as the crawl sees it."""
    href = unquote(row["target"])
    for site, (_, placeholder) in DEMO_SITES.items():
        if href.startswith(placeholder):
            return bases[site] + href[len(placeholder):]
    assert href.startswith("/"), href
    return bases[unquote(row["site"])] + href


def matches_site_row(f: dict, row: dict, bases: dict[str, str]) -> bool:
    if not (f["site"] == unquote(row["site"]) and f["rule"] == row["rule"] and f["category"] == row["category"]
            and unquote(row["text"]) in f["text"]):
        return False
    if row["rule"] == "broken-link":
        return f["url"] == target_url(row, bases) and url_path(f["parent_url"]) == page_path(unquote(row["page"]))
    return url_path(f["url"]) == page_path(unquote(row["page"]))


def matches_text_row(f: dict, row: dict, want: str) -> bool:
    return (f["site"] == "shili" and url_path(f["url"]) == "/" + unquote(row["file"])
            and f["category"] == row["category"] and (want in f["text"] or f["text"] in want))


# ------------------------------------------------------------------ tests

def test_demo_prints_the_report_path_and_a_summary(demo):
    assert demo["index"].name == "index.html" and demo["index"].parent.name == "2026-11-20"
    assert "示例县人民政府" in demo["stderr"] and "示例县教育局" in demo["stderr"] and "完成" in demo["stderr"]


def test_every_planted_problem_is_in_its_department_list(demo):
    problems, _, _ = planted_tables()
    for row in problems:
        path = "/" + unquote(row["file"])
        for want in expected_texts(row):
            assert any(r["url"].endswith(path) and r["category"] == row["category"]
                       and (want in r["text"] or r["text"] in want) for r in demo["rows"]), (path, want)


def test_every_site_level_problem_is_reported(demo):
    _, _, site_rows = planted_tables()
    for row in site_rows:
        found = [f for f in demo["findings"] if matches_site_row(f, row, demo["bases"])]
        assert len(found) == 1, (row, found)
        [f] = found
        assert f["department"] == row["department"], (row, f["department"])
        # and it is on that department's list
        assert any(r["department"] == row["department"] and r["category"] == row["category"]
                   and r["text"] == f["text"] and r["url"] == f["url"] for r in demo["rows"]), row


def test_broken_links_say_where_they_are(demo):
    _, _, site_rows = planted_tables()
    links = [r for r in site_rows if r["rule"] == "broken-link"]
    assert len(links) == 3
    for row in links:
        [f] = [f for f in demo["findings"] if matches_site_row(f, row, demo["bases"])]
        on_home = unquote(row["page"]) == "index.html"
        assert f["extra"]["on_home"] is on_home and f["extra"]["status"] == 404, f
        assert f["note"].startswith("首页" if on_home else "页面"), f["note"]
        [listed] = [r for r in demo["rows"] if r["category"] == "broken_link" and r["url"] == f["url"]]
        assert ("首页" in listed["suggestion"]) is on_home
    external = [r for r in links if unquote(r["target"]).startswith("__")]
    assert len(external) == 1 and urlsplit(target_url(external[0], demo["bases"])).netloc \
        == urlsplit(demo["bases"]["jyj"]).netloc


def test_nothing_correct_is_flagged(demo):
    problems, correct, site_rows = planted_tables()
    planted_files = {"/" + unquote(r["file"]) for r in problems}
    for row in correct:
        path, text = "/" + unquote(row["file"]), unquote(row["text"])
        for r in demo["rows"]:
            if r["url"].endswith(path) and r["text"] in text:
                # the same page may hold a planted error; it must not be this correct text
                assert path in planted_files and r["text"] not in ("习近平", "中华人民共和国", "国务院总理"), (path, r)
    planted = sum(len(expected_texts(r)) for r in problems) + len(site_rows)
    assert len(demo["rows"]) == planted
    assert len(demo["findings"]) == planted


def test_every_finding_is_planted(demo):
    """Each finding is exactly one planted problem, and each planted problem exactly one finding."""
    problems, _, site_rows = planted_tables()
    slots = [("text", row, want) for row in problems for want in expected_texts(row)]
    slots += [("site", row, None) for row in site_rows]
    used = [0] * len(slots)
    for f in demo["findings"]:
        hits = [i for i, (kind, row, want) in enumerate(slots)
                if (matches_text_row(f, row, want) if kind == "text" else matches_site_row(f, row, demo["bases"]))]
        assert len(hits) == 1, f"not planted (or ambiguous): {json.dumps(f, ensure_ascii=False)}"
        used[hits[0]] += 1
    assert used == [1] * len(slots), [slots[i] for i, n in enumerate(used) if n != 1]


def test_findings_go_to_the_responsible_department(demo):
    by_path = {(r["url"].split("/", 3)[3].split("/")[0]): r["department"] for r in demo["rows"]}
    assert by_path["mzj"] == "mz" and by_path["xzdt"] == "towns" and by_path["ywdt"] == "office"
    xlsx = [f for f in demo["findings"] if f["url"].endswith(".xlsx")]
    assert len(xlsx) == 3 and {f["department"] for f in xlsx} == {"mz"}
    assert {f["parent_url"] for f in xlsx} == {demo["bases"]["shili"] + "/mzj/202611/t20261110_8003.html"}
    jyj = [r for r in demo["rows"] if r["department"] == "jyj"]
    assert [r["category"] for r in jyj] == ["identity"]
    assert {f["site"] for f in demo["findings"] if f["department"] == "jyj"} == {"jyj"}


def test_gbk_pages_were_read_correctly(demo):
    gbk = [r for r in demo["rows"] if "/xzdt/" in r["url"]]
    assert {r["text"] for r in gbk} == {"扶贫开发办公室", "迫不急待"}
    assert all("\ufffd" not in r["context"] for r in gbk)


def test_index_summary_counts_match_the_lists(demo):
    index = lxml.html.fromstring(demo["index"].read_text(encoding="utf-8"))
    assert int(index.get_element_by_id("total").text) == len(demo["rows"])
    counted = sum(int(n) for n in index.xpath('//table[@id="by-department"]//tr/td[2]/text()'))
    assert counted == len(demo["rows"])
    for site in ("shili", "jyj"):
        assert index.xpath(f'//tr[@data-site="{site}"]/td[contains(@class,"scan-status")]/text()') == ["完成"]


def test_no_full_id_number_anywhere_in_the_output(demo):
    problems, _, _ = planted_tables()
    raw_numbers = [unquote(r["text"]) for r in problems if r["category"] == "privacy"]
    assert any(unquote(r["file"]).endswith(".xlsx") for r in problems if r["category"] == "privacy")
    for path in demo["out"].rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for raw in raw_numbers:
                assert raw.encode() not in data, (path, raw)
    for raw in raw_numbers:
        assert raw not in demo["findings_raw"] and raw not in demo["stdout"] and raw not in demo["stderr"]
