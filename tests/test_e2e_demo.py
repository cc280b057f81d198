"""End to end: `govmon demo` serves the demo portal, its sub-site and the new-media feeds on
127.0.0.1, crawls them over HTTP in Scrapy subprocesses, checks, stores, and writes reports;
we read the reports as a person would (the per-department lists, their accounts tables, the
index), and `govmon findings --format json` for what a list row does not show (rule, link
parent, site, account)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import openpyxl
import pytest
import yaml

from monitor.checks.accounts import PLATFORMS
from monitor.checks.privacy import mask_id, mask_mobile
from monitor.demo import DEMO_SITES

PLANTED = Path(__file__).resolve().parent.parent / "monitor" / "demo" / "PLANTED.md"


def _tables() -> list[dict]:
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
    return tables


def _table(test) -> list[dict]:
    [table] = [t for t in _tables() if test(t["header"])]
    return table["rows"]


def planted_tables() -> tuple[list[dict], list[dict], list[dict]]:
    """(planted text problems, correct text, site-level problems) rows of PLANTED.md."""
    problems = _table(lambda h: h[0] == "file" and "category" in h)
    correct = _table(lambda h: h[:3] == ["file", "text", "why"])
    site_level = _table(lambda h: h[0] == "site" and "rule" in h)
    return problems, correct, site_level


def account_tables() -> tuple[list[dict], list[dict]]:
    """(accounts, post problems) rows of PLANTED.md, cells unquoted, — as None."""
    def clean(row: dict) -> dict:
        return {k: None if v == "—" else unquote(v) for k, v in row.items()}
    accounts = [clean(r) for r in _table(lambda h: h[0] == "account" and "status" in h)]
    posts = [clean(r) for r in _table(lambda h: h[0] == "account" and "post" in h)]
    return accounts, posts


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
        for tr in lxml.html.fromstring(page.read_text(encoding="utf-8")).xpath(
                '//tr[contains(concat(" ", @class, " "), " finding ")][@data-section!="fixed" and @data-section!="ignored"]'):
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
    accounts = []  # the department lists' accounts tables
    for page in index.parent.glob("*.html"):
        if page.name == "index.html":
            continue
        doc = lxml.html.fromstring(page.read_text(encoding="utf-8"))
        for tr in doc.xpath('//table[@class="accounts"]//tr[@class="account"]'):
            cells = tr.xpath("td")
            accounts.append({
                "department": page.stem, "status": tr.get("data-status"),
                "platform": cells[0].text_content().strip(), "name": (cells[1].text or "").strip(),
                "url": " ".join(cells[1].xpath('div[contains(@class,"url")]/text()')).strip() or None,
                "newest": cells[2].text_content().strip(), "days": cells[3].text_content().strip(),
                "recent": cells[4].text_content().strip(),
                "error": " ".join(cells[5].xpath("div/text()")).strip() or None,
            })
    return {"out": out, "index": index, "rows": rows, "stdout": result.stdout, "stderr": result.stderr,
            "findings": json.loads(listed.stdout), "findings_raw": listed.stdout, "bases": bases,
            "accounts": accounts, "feeds": {a["id"]: a["feed"] for a in config.get("accounts", [])}}


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
    if row["rule"] == "unregistered-account":  # the finding is the link to the account, placed on its page
        return (f["url"] == unquote(row["target"]) and url_path(f["parent_url"]) == page_path(unquote(row["page"]))
                and urlsplit(f["parent_url"]).netloc == urlsplit(bases[unquote(row["site"])]).netloc)
    return url_path(f["url"]) == page_path(unquote(row["page"]))


def matches_account_row(f: dict, row: dict, feeds: dict[str, str]) -> bool:
    """An account's own finding (dormant, zombie): on the account, at its feed URL."""
    return (f["site"] == "accounts" and f["account"] == row["account"] and f["rule"] == row["rule"]
            and f["category"] == "dormant_account" and row["text"] in f["text"] and f["url"] == feeds[row["account"]])


def matches_post_row(f: dict, row: dict) -> bool:
    """A problem in a post's text: on the account, at the post's link."""
    return (f["site"] == "accounts" and f["account"] == row["account"] and f["url"] == row["post"]
            and f["category"] == row["category"] and f["text"] == row["text"])


def matches_text_row(f: dict, row: dict, want: str) -> bool:
    return (f["site"] == "shili" and url_path(f["url"]) == "/" + unquote(row["file"])
            and f["category"] == row["category"] and (want in f["text"] or f["text"] in want))


# ------------------------------------------------------------------ tests

def test_demo_prints_the_report_path_and_a_summary(demo):
    assert demo["index"].name == "index.html" and demo["index"].parent.name == "2026-11-20"
    assert "示例县人民政府" in demo["stderr"] and "示例县教育局" in demo["stderr"] and "完成" in demo["stderr"]
    assert "政务新媒体账号（6 个）：完成" in demo["stderr"]


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
    accounts, posts = account_tables()
    planted = sum(len(expected_texts(r)) for r in problems) + len(site_rows) \
        + sum(1 for r in accounts if r["rule"]) + len(posts)
    assert len(demo["rows"]) == planted
    assert len(demo["findings"]) == planted


def test_every_finding_is_planted(demo):
    """Each finding is exactly one planted problem, and each planted problem exactly one finding."""
    problems, _, site_rows = planted_tables()
    accounts, posts = account_tables()
    slots = [("text", row, want) for row in problems for want in expected_texts(row)]
    slots += [("site", row, None) for row in site_rows]
    slots += [("account", row, None) for row in accounts if row["rule"]]
    slots += [("post", row, None) for row in posts]
    matchers = {
        "text": lambda f, row, want: matches_text_row(f, row, want),
        "site": lambda f, row, _: matches_site_row(f, row, demo["bases"]),
        "account": lambda f, row, _: matches_account_row(f, row, demo["feeds"]),
        "post": lambda f, row, _: matches_post_row(f, row),
    }
    used = [0] * len(slots)
    for f in demo["findings"]:
        hits = [i for i, (kind, row, want) in enumerate(slots) if matchers[kind](f, row, want)]
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
    assert sorted(r["category"] for r in jyj) == ["dormant_account", "identity"]  # the site; its Toutiao account
    assert {f["site"] for f in demo["findings"] if f["department"] == "jyj"} == {"jyj", "accounts"}


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


def test_demo_writes_the_emails_it_would_send(demo):
    outbox = demo["index"].parent / "outbox"
    assert f"将发送的 5 封邮件（演示，未发送）：{outbox}" in demo["stderr"]
    messages = {p.name: BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in outbox.glob("*.eml")}
    assert sorted(messages) == ["department-jyj-2026-11-20.eml", "department-mz-2026-11-20.eml",
                                "department-office-2026-11-20.eml", "department-towns-2026-11-20.eml",
                                "summary-2026-11-20.eml"]  # 县财政局 has nothing to fix: no mail
    mz = messages["department-mz-2026-11-20.eml"]
    assert mz["To"] == "mz@shili.gov.cn.invalid" and mz["Subject"].startswith("【整改通知】县民政局：待整改")
    names = [part.get_filename() for part in mz.iter_attachments()]
    assert names == ["县民政局整改清单-2026-11-20.xlsx", "县民政局整改清单-2026-11-20.html"]
    sheet = openpyxl.load_workbook(io.BytesIO(next(mz.iter_attachments()).get_content()))["整改清单"]
    listed = [row for row in demo["rows"] if row["department"] == "mz"]
    assert sheet.max_row - 1 == len(listed)
    assert messages["summary-2026-11-20.eml"]["To"] == "zwgk@shili.gov.cn.invalid"


def test_no_full_id_number_in_the_emails_or_inside_the_excel_files(demo):
    problems, _, _ = planted_tables()
    raw_numbers = [unquote(r["text"]) for r in problems if r["category"] == "privacy"]
    texts = []
    for path in demo["out"].rglob("*.xlsx"):
        with zipfile.ZipFile(path) as z:
            texts.extend(z.read(name).decode("utf-8", "replace") for name in z.namelist())
    for path in demo["out"].rglob("*.eml"):
        for part in BytesParser(policy=policy.default).parsebytes(path.read_bytes()).walk():
            if part.is_multipart():
                continue
            content = part.get_content()
            if isinstance(content, bytes):  # the Excel attachment
                with zipfile.ZipFile(io.BytesIO(content)) as z:
                    texts.extend(z.read(name).decode("utf-8", "replace") for name in z.namelist())
            else:
                texts.append(content)
    assert texts
    for raw in raw_numbers:
        assert not any(raw in text for text in texts), raw


# ------------------------------------------------------------------ new-media accounts

def test_feeds_are_served_from_127_0_0_1(demo):
    accounts, _ = account_tables()
    assert set(demo["feeds"]) == {r["account"] for r in accounts}
    hosts = {urlsplit(url).netloc for url in demo["feeds"].values()}
    assert len(hosts) == 1 and hosts.pop().startswith("127.0.0.1:")
    sites = {urlsplit(b).netloc for b in demo["bases"].values()}
    assert sites.isdisjoint(urlsplit(u).netloc for u in demo["feeds"].values())


def test_dormant_and_zombie_accounts(demo):
    """One account-dormant finding (veto) per 睡眠/僵尸 account, on its department's list; the
    zombies' finding says to consider closing (关停) or deregistering (注销) the account."""
    accounts, _ = account_tables()
    flagged = [r for r in accounts if r["rule"]]
    assert {r["status"] for r in flagged} == {"睡眠", "僵尸"} and len(flagged) == 3
    for row in flagged:
        [f] = [f for f in demo["findings"] if matches_account_row(f, row, demo["feeds"])]
        assert f["severity"] == "veto" and f["department"] == row["department"], f
        assert f["extra"]["status"] == {"睡眠": "dormant", "僵尸": "zombie"}[row["status"]]
        zombie = row["status"] == "僵尸"
        for words in (f["note"], f["suggestion"]):
            assert ("关停" in words and "注销" in words) is zombie, (row["account"], words)
        assert any(r["department"] == row["department"] and r["category"] == "dormant_account"
                   and r["severity"] == "veto" and r["text"] == f["text"] and r["url"] == f["url"]
                   and ("关停" in r["suggestion"]) is zombie for r in demo["rows"]), row
    # nothing else about accounts: no unreachable finding (one failing scan), no frequency finding
    assert {f["rule"] for f in demo["findings"] if f["site"] == "accounts"} == {"account-dormant", "typos"}
    assert all(f["account"] for f in demo["findings"] if f["site"] == "accounts")


def test_typo_in_a_post_carries_the_account(demo):
    _, posts = account_tables()
    accounts = {r["account"]: r for r in account_tables()[0]}
    assert posts
    for row in posts:
        [f] = [f for f in demo["findings"] if matches_post_row(f, row)]
        account = accounts[row["account"]]
        assert f["account"] == row["account"] and f["suggestion"] == row["suggestion"], f
        assert f["department"] == account["department"] and f["extra"]["account_name"] == account["name"]
        assert f["column"] == f"{PLATFORMS[account['platform']]}「{account['name']}」"
        assert row["text"] in f["context"] and f["published"] and f["published"] <= "2026-11-20"
        assert any(r["department"] == account["department"] and r["url"] == row["post"]
                   and r["text"] == row["text"] and r["category"] == row["category"] for r in demo["rows"]), row


def test_department_lists_show_every_account(demo):
    """Each department's accounts table: platform, name, newest post, days silent, recent
    posts and status, as PLANTED.md says; the broken feed is 无法访问 with its reason and
    (one failing scan) no finding; the unregistered account is listed as 未备案."""
    accounts, _ = account_tables()
    listed = [a for a in demo["accounts"] if a["status"] != "未备案"]
    assert len(listed) == len(accounts)
    for row in accounts:
        [a] = [a for a in listed if a["name"] == row["name"] and a["platform"] == PLATFORMS[row["platform"]]]
        assert a["department"] == row["department"] and a["status"] == row["status"], (row, a)
        assert a["newest"] == (row["newest"] or "—") and a["days"] == (row["days"] or "—"), (row, a)
        if row["status"] == "无法访问":
            # how many posts is unknown: the list shows — (or, today, 0)
            assert a["recent"] in ("—", "0"), a
            assert a["error"] and "订阅源" in a["error"], a
            assert not [f for f in demo["findings"] if f["account"] == row["account"]]
        else:
            assert a["recent"] == row["recent"] and a["error"] is None, (row, a)
    _, _, site_rows = planted_tables()
    unregistered = [r for r in site_rows if r["rule"] == "unregistered-account"]
    shown = [a for a in demo["accounts"] if a["status"] == "未备案"]
    assert len(shown) == len(unregistered) == 1
    assert shown[0]["department"] == unregistered[0]["department"]
    assert shown[0]["url"] == unquote(unregistered[0]["target"])
    assert shown[0]["name"] == unquote(unregistered[0]["text"])


def test_unregistered_account_is_the_only_one(demo):
    """The portal links five registered accounts (their `profile`) and one that is not;
    only that one is reported, once, with the link's text as its name."""
    _, _, site_rows = planted_tables()
    [row] = [r for r in site_rows if r["rule"] == "unregistered-account"]
    found = [f for f in demo["findings"] if f["category"] == "unregistered_account"]
    assert len(found) == 1 and matches_site_row(found[0], row, demo["bases"])
    assert found[0]["extra"] == {"platform": "weibo", "name": unquote(row["text"])}


def test_index_counts_accounts_by_status(demo):
    accounts, _ = account_tables()
    _, _, site_rows = planted_tables()
    want: dict[str, dict[str, int]] = {}
    for row in accounts:
        counts = want.setdefault(PLATFORMS[row["platform"]], {})
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    for row in site_rows:
        if row["rule"] == "unregistered-account":
            counts = want.setdefault(PLATFORMS[found_platform(demo, row)], {})
            counts["未备案"] = counts.get("未备案", 0) + 1
    index = lxml.html.fromstring(demo["index"].read_text(encoding="utf-8"))
    [table] = index.xpath('//table[@id="accounts-by-status"]')
    statuses = [th.text_content().strip() for th in table.xpath(".//thead//th")][1:]
    got = {}
    for tr in table.xpath(".//tbody/tr"):
        cells = [td.text_content().strip() for td in tr.xpath("td")]
        got[cells[0]] = {st: int(n) for st, n in zip(statuses, cells[1:]) if int(n)}
    assert got == want
    assert want == {"微信公众号": {"正常": 1, "无法访问": 1}, "微博": {"正常": 1, "僵尸": 1, "未备案": 1},
                    "抖音": {"睡眠": 1}, "今日头条": {"僵尸": 1}}


def found_platform(demo: dict, row: dict) -> str:
    [f] = [f for f in demo["findings"] if matches_site_row(f, row, demo["bases"])]
    return f["extra"]["platform"]
