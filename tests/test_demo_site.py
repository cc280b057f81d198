"""Sanity checks over the bundled demo sites (monitor/demo/site, the portal, and
monitor/demo/jyj, the education bureau's sub-site), the new-media feeds (monitor/demo/feeds)
and their PLANTED.md.

These read the files only; no server, no crawler.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
import yaml

from monitor.checks.registry import account_key
from monitor.demo import DEMO_AS_OF, DEMO_CONFIG, DEMO_FEEDS, DEMO_SITES
from monitor.feeds import FeedError, parse_feed
from monitor.readers import read_document

DEMO = Path(__file__).resolve().parent.parent / "monitor" / "demo"
SITE = DEMO / "site"
JYJ = DEMO / "jyj"
FEEDS = DEMO / DEMO_FEEDS
ROOTS = {"shili": SITE, "jyj": JYJ}
PLACEHOLDERS = {placeholder: site for site, (_, placeholder) in DEMO_SITES.items()}
PLANTED = DEMO / "PLANTED.md"

GBK_DIR = "xzdt"
ARTICLE_NAME = re.compile(r"^t(\d{4})(\d{2})(\d{2})_\d+\.html$")
PUBDATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
PAGE_META = ["SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ColumnDescription", "ColumnKeywords",
             "ColumnType"]
ARTICLE_META = ["ArticleTitle", "PubDate", "ContentSource"]
COLUMN_TYPES = {"news", "notice", "policy", "personnel", "plan", "other"}
#: days a column of each kind may go without a new entry (monitor.config.DEFAULT_KIND_DAYS)
KIND_DAYS = {"news": 14, "notice": 180, "policy": 180, "personnel": 365, "plan": 365, "other": 365}
HOME_DAYS, HOME_MIN_ITEMS = 14, 10
EXTERNAL_HOSTS = {"spam.invalid", "bszs.conac.cn"}
#: hosts of the new-media accounts the portal's home page links to (never fetched)
ACCOUNT_HOSTS = {"weibo.com", "mp.weixin.qq.com", "www.douyin.com", "www.toutiao.com"}
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
SITE_META = {
    "shili": {"SiteName": "示例县人民政府", "SiteDomain": "www.shili.gov.cn", "SiteIDCode": "5299990001"},
    "jyj": {"SiteName": "示例县教育局", "SiteDomain": "jyj.shili.gov.cn", "SiteIDCode": "5299990002"},
}
PORTAL_COLUMNS = ["ywdt", "bmdt", "tzgg", "zcwj", "gfxwj", "zcjd", "rsxx", "ghjh", "czxx", "xzdt", "ztzl", "mzj"]
ATTACHMENT_TYPES = {".pdf", ".docx", ".xlsx", ".xls", ".csv"}


def _pages(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in sorted(root.rglob("*.html"))]


PAGE_IDS = _pages(SITE)  # the portal's pages
JYJ_PAGE_IDS = _pages(JYJ)
ALL_PAGES = [("shili", rel) for rel in PAGE_IDS] + [("jyj", rel) for rel in JYJ_PAGE_IDS]
ATTACHMENT_IDS = [p.relative_to(SITE).as_posix() for p in sorted(SITE.rglob("*")) if p.suffix in ATTACHMENT_TYPES]


def is_gbk(rel: str, site: str = "shili") -> bool:
    return site == "shili" and rel.split("/", 1)[0] == GBK_DIR


def is_article(rel: str) -> bool:
    return bool(ARTICLE_NAME.match(rel.rsplit("/", 1)[-1]))


def decode(rel: str, site: str = "shili") -> str:
    data = (ROOTS[site] / rel).read_bytes()
    return data.decode("gb18030" if is_gbk(rel, site) else "utf-8")


def file_text(rel: str) -> str:
    """A portal file's text: the decoded HTML, or what monitor.readers reads from an attachment."""
    if rel.endswith(".html"):
        return decode(rel)
    return read_document((SITE / rel).read_bytes(), rel.rsplit("/", 1)[-1]).text


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.charset_decls: list[str] = []
        self.links: list[str] = []
        self.div_classes: list[str] = []
        self.list_items: list[tuple[str, str]] = []  # (href, date) from <li><a/><span/></li>
        self._li_href: str | None = None
        self._in_span = False
        self._span_text = ""

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            if "charset" in a:
                self.charset_decls.append(a["charset"].lower())
            elif a.get("http-equiv", "").lower() == "content-type":
                m = re.search(r"charset=([\w-]+)", a.get("content", ""), re.I)
                if m:
                    self.charset_decls.append(m.group(1).lower())
            elif "name" in a:
                self.meta[a["name"]] = a.get("content", "")
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
            if self._li_href is None:
                self._li_href = a["href"]
        elif tag in ("img", "script", "iframe") and "src" in a:
            self.links.append(a["src"])
        elif tag == "link" and "href" in a:
            self.links.append(a["href"])
        elif tag == "div" and "class" in a:
            self.div_classes.extend(a["class"].split())
        elif tag == "li":
            self._li_href = None
        elif tag == "span":
            self._in_span, self._span_text = True, ""

    def handle_endtag(self, tag):
        if tag == "span" and self._in_span:
            self._in_span = False
            if self._li_href is not None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", self._span_text):
                self.list_items.append((self._li_href, self._span_text))

    def handle_data(self, data):
        if self._in_span:
            self._span_text += data


def parse(rel: str, site: str = "shili") -> _Page:
    p = _Page()
    p.feed(decode(rel, site))
    p.close()
    return p


def resolve(site: str, rel: str, href: str) -> tuple[str, str] | None:
    """(site, file path in that site's folder) a link points at, the other demo site's
    placeholder (__JYJ_BASE__/…) included; None for external and data links."""
    for placeholder, other in PLACEHOLDERS.items():
        if href.startswith(placeholder):
            path = href[len(placeholder):] or "/"
            assert path.startswith("/"), href
            return other, (path + "index.html" if path.endswith("/") else path).lstrip("/")
    parts = urlsplit(href)
    if parts.scheme in ("data", "mailto", "javascript", "tel"):
        return None
    if parts.scheme or parts.netloc:
        return None
    if not parts.path:
        return site, rel  # "#frag" or "?q" on the same page
    target = urljoin("/" + rel, parts.path)
    if target.endswith("/"):
        target += "index.html"
    return site, target.lstrip("/")


def resolve_internal(rel: str, href: str) -> str | None:
    """Portal-relative file path an internal portal link points at; None for other links."""
    found = resolve("shili", rel, href)
    return found[1] if found and found[0] == "shili" else None


def day(text: str) -> date:
    return date.fromisoformat(text)


# ------------------------------------------------------------------ PLANTED.md

def _tables(md: str) -> list[list[dict[str, str]]]:
    tables, rows, header = [], [], None
    for line in md.splitlines() + [""]:
        s = line.strip()
        if s.startswith("|") and s.endswith("|"):
            cells = [c.strip() for c in s[1:-1].split("|")]
            if header is None:
                header = cells
            elif all(re.fullmatch(r":?-+:?", c) for c in cells):
                continue
            else:
                rows.append(dict(zip(header, cells)))
        elif header is not None:
            tables.append(rows)
            rows, header = [], None
    return tables


def _unquote(cell: str) -> str:
    assert cell.startswith("`") and cell.endswith("`"), cell
    return cell[1:-1]


def _kind(header: list[str]) -> str | None:
    """Which PLANTED.md table a header is (None: a table the tests do not read)."""
    if header[0] == "file" and "category" in header:
        return "planted"
    if header[:3] == ["file", "text", "why"]:
        return "correct"
    if header[0] == "site" and "rule" in header:
        return "site"
    if header[0] == "account" and "status" in header:
        return "accounts"
    if header[0] == "account" and "post" in header:
        return "posts"
    return None


def _load_planted() -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for rows in _tables(PLANTED.read_text(encoding="utf-8")):
        kind = _kind(list(rows[0])) if rows else None
        if kind is not None:
            assert kind not in found, f"PLANTED.md has two {kind} tables"
            found[kind] = rows
    assert set(found) == {"planted", "correct", "site", "accounts", "posts"}, \
        "PLANTED.md needs a planted table, a correct-text table, a site-level table, an account table and a post table"
    norm = lambda rows: [dict(r, file=_unquote(r["file"]), text=_unquote(r["text"])) for r in rows]  # noqa: E731
    dash = lambda cell: None if cell == "—" else cell  # noqa: E731
    site_rows = [dict(r, site=_unquote(r["site"]), page=_unquote(r["page"]), text=_unquote(r["text"]),
                      target=None if r["target"] == "—" else _unquote(r["target"])) for r in found["site"]]
    account_rows = [dict(r, account=_unquote(r["account"]), feed=_unquote(r["feed"]), format=dash(r["format"]),
                         newest=dash(r["newest"]), days=dash(r["days"]), recent=dash(r["recent"]),
                         rule=dash(r["rule"]), text=None if r["text"] == "—" else _unquote(r["text"]))
                    for r in found["accounts"]]
    post_rows = [dict(r, account=_unquote(r["account"]), post=_unquote(r["post"]), text=_unquote(r["text"]))
                 for r in found["posts"]]
    return {"planted": norm(found["planted"]), "correct": norm(found["correct"]), "site": site_rows,
            "accounts": account_rows, "posts": post_rows}


_PLANTED = _load_planted()
PLANTED_ROWS, CORRECT_ROWS, SITE_ROWS = _PLANTED["planted"], _PLANTED["correct"], _PLANTED["site"]
ACCOUNT_ROWS, POST_ROWS = _PLANTED["accounts"], _PLANTED["posts"]
BROKEN_TARGETS = {(r["site"], r["page"], r["target"]) for r in SITE_ROWS if r["rule"] == "broken-link"}


def _id_checksum_ok(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17]


def demo_config() -> dict:
    return yaml.safe_load(DEMO_CONFIG.format(base="http://127.0.0.1:1", jyj="http://127.0.0.1:2",
                                             feeds="http://127.0.0.1:3"))


def column_folders(site: str) -> dict[str, list[str]]:
    """Column folder → its list pages (index.html, index_1.html …), the home page excluded."""
    out: dict[str, list[str]] = {}
    for s, rel in ALL_PAGES:
        if s == site and "/" in rel and re.fullmatch(r"index(_\d+)?\.html", rel.rsplit("/", 1)[-1]):
            out.setdefault(rel.split("/", 1)[0], []).append(rel)
    return out


def column_dates(site: str, folder: str) -> list[date]:
    return [day(d) for rel in column_folders(site)[folder] for _, d in parse(rel, site).list_items]


# ------------------------------------------------------------------ tests

def test_site_shape():
    assert 30 <= len(PAGE_IDS) <= 60
    names = set(PAGE_IDS)
    for required in ["index.html", "zc/index.html", "ywdt/index_1.html", "xzdt/index_1.html",
                     *[f"{col}/index.html" for col in PORTAL_COLUMNS]]:
        assert required in names
    assert {"index.html", "jydt/index.html", "tzgg/index.html"} <= set(JYJ_PAGE_IDS)
    assert 10 <= len(JYJ_PAGE_IDS) <= 30
    assert ATTACHMENT_IDS == ["mzj/202611/P020261110_dibao.xlsx"]


@pytest.mark.parametrize("site,rel", ALL_PAGES, ids=[f"{s}:{r}" for s, r in ALL_PAGES])
def test_encoding(site, rel):
    data = (ROOTS[site] / rel).read_bytes()
    if is_gbk(rel, site):
        data.decode("gb18030")
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    else:
        data.decode("utf-8")
        assert parse(rel, site).charset_decls == ["utf-8"]


def test_gbk_charset_declarations():
    decls = {rel: parse(rel).charset_decls for rel in PAGE_IDS if is_gbk(rel)}
    assert decls["xzdt/index.html"] == ["gb2312"]
    assert b'<meta charset="gb2312">' in (SITE / "xzdt/index.html").read_bytes()
    assert ["gbk"] in decls.values()
    assert [] in decls.values(), "one GBK article must declare no charset at all"
    # a page that says gb2312 but holds a GBK-only character
    def strict_gb2312_fails(rel: str) -> bool:
        try:
            (SITE / rel).read_bytes().decode("gb2312")
        except UnicodeDecodeError:
            return True
        return False

    says_gb2312 = [rel for rel, d in decls.items() if d == ["gb2312"] and is_article(rel)]
    assert any(strict_gb2312_fails(rel) for rel in says_gb2312)


@pytest.mark.parametrize("site,rel", ALL_PAGES, ids=[f"{s}:{r}" for s, r in ALL_PAGES])
def test_meta_tags(site, rel):
    """Complete gov meta tags on every page of both sites (no identity-meta finding)."""
    page = parse(rel, site)
    for name in PAGE_META:
        assert page.meta.get(name), f"{site}:{rel}: missing meta {name}"
    for name, value in SITE_META[site].items():
        assert page.meta[name] == value
    assert page.meta["ColumnType"] in COLUMN_TYPES
    if is_article(rel):
        for name in ARTICLE_META:
            assert page.meta.get(name), f"{site}:{rel}: missing meta {name}"
        pub = page.meta["PubDate"]
        assert PUBDATE.match(pub), pub
        y, m, d = ARTICLE_NAME.match(rel.rsplit("/", 1)[-1]).groups()
        assert pub[:10] == f"{y}-{m}-{d}", "PubDate must agree with the file name"
        assert f"/{y}{m}/" in "/" + rel
        assert f"发布时间：{pub}" in decode(rel, site)


def test_meta_tags_follow_column_name():
    """ColumnDescription and ColumnKeywords come right after ColumnName."""
    for site, rel in ALL_PAGES:
        assert re.search(r'<meta name="ColumnName" content="[^"]+">\n<meta name="ColumnDescription" content="[^"]+">\n'
                         r'<meta name="ColumnKeywords" content="[^"]+">\n', decode(rel, site)), (site, rel)


@pytest.mark.parametrize("rel", PAGE_IDS)
def test_header_and_footer(rel):
    page = parse(rel)
    assert "header" in page.div_classes and "footer" in page.div_classes
    text = decode(rel)
    for s in ["主办单位：示例县人民政府办公室", "联系电话：0851-12345678", "地址：",
              "网站标识码：5299990001", "黔ICP备10201081号-1", "黔公网安备 52999902006106号",
              "我为政府网站找错", "党政机关网站标识"]:
        assert s in text, f"{rel}: footer lacks {s}"
    for col in PORTAL_COLUMNS:
        assert f"/{col}/index.html" in page.links
    assert "/zc/index.html" in page.links


@pytest.mark.parametrize("rel", JYJ_PAGE_IDS)
def test_sub_site_header_and_footer_lack_only_the_site_code(rel):
    page = parse(rel, "jyj")
    assert "header" in page.div_classes and "footer" in page.div_classes
    text = decode(rel, "jyj")
    for s in ["主办单位：示例县教育局", "联系电话：0851-12346000", "地址：", "黔ICP备10201081号-3",
              "黔公网安备 52999902006207号", "我为政府网站找错", "党政机关网站标识"]:
        assert s in text, f"jyj:{rel}: footer lacks {s}"
    assert "标识码" not in text and "5299990002" not in re.sub(r"<meta [^>]*>|id=5299990002", "", text)
    assert any("conac.cn" in link for link in page.links)
    for col in ["jydt", "tzgg"]:
        assert f"/{col}/index.html" in page.links
    assert "__PORTAL_BASE__/index.html" in page.links and "__PORTAL_BASE__/zc/index.html" in page.links


def test_only_the_portal_home_links_to_the_sub_site_and_has_the_banner():
    for rel in PAGE_IDS:
        links = parse(rel).links
        assert ("__JYJ_BASE__/index.html" in links) == (rel == "index.html"), rel
        assert ("/images/banner-2026.jpg" in links) == (rel == "index.html"), rel


@pytest.mark.parametrize("site,rel", ALL_PAGES, ids=[f"{s}:{r}" for s, r in ALL_PAGES])
def test_links_resolve(site, rel):
    """Every link works, except the broken ones PLANTED.md plants."""
    for href in parse(rel, site).links:
        parts = urlsplit(href)
        if parts.netloc:
            assert parts.hostname in EXTERNAL_HOSTS or (site, rel) == ("shili", "index.html") \
                and parts.hostname in ACCOUNT_HOSTS, f"{site}:{rel}: unexpected absolute link {href}"
            continue
        target = resolve(site, rel, href)
        if target is None:
            continue
        if (site, rel, href) in BROKEN_TARGETS:
            assert not (ROOTS[target[0]] / target[1]).exists(), f"planted broken link {href} works"
            continue
        assert (ROOTS[target[0]] / target[1]).is_file(), f"{site}:{rel}: broken link {href} -> {target}"


@pytest.mark.parametrize("site", ["shili", "jyj"])
def test_every_page_reachable_from_home(site):
    seen, todo = set(), ["index.html"]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        for href in parse(rel, site).links:
            target = resolve(site, rel, href)
            if target and target[0] == site and target[1] not in seen and (site, rel, href) not in BROKEN_TARGETS:
                if target[1].endswith(".html"):
                    todo.append(target[1])
                else:
                    seen.add(target[1])  # an attachment
    pages = {rel for s, rel in ALL_PAGES if s == site}
    assert seen == pages | (set(ATTACHMENT_IDS) if site == "shili" else set())


def test_list_dates_match_articles():
    for site, rel in ALL_PAGES:
        if is_article(rel):
            continue
        for href, when in parse(rel, site).list_items:
            target = resolve(site, rel, href)
            assert target and target[0] == site and is_article(target[1]), (site, rel, href)
            assert parse(target[1], site).meta["PubDate"][:10] == when, (site, rel, href)


def test_planted_table_files_and_categories():
    assert {r["category"] for r in PLANTED_ROWS} == {
        "severe_error", "outdated", "typo", "sensitive", "privacy"}
    for row in PLANTED_ROWS + CORRECT_ROWS:
        assert row["file"] in PAGE_IDS or row["file"] in ATTACHMENT_IDS, row


@pytest.mark.parametrize("row", PLANTED_ROWS, ids=lambda r: r["text"])
def test_planted_text_present_once(row):
    text = file_text(row["file"])
    assert text.count(row["text"]) == 1, row
    files = PAGE_IDS + ATTACHMENT_IDS
    if row["category"] != "outdated":
        others = [rel for rel in files if rel != row["file"] and row["text"] in file_text(rel)]
        assert not others, f"{row['text']} also on {others}"
        others = [rel for rel in JYJ_PAGE_IDS if row["text"] in decode(rel, "jyj")]
        assert not others, f"{row['text']} also on the sub-site: {others}"
    else:
        allowed = {r["file"] for r in CORRECT_ROWS if row["text"] in r["text"]}
        for rel in files:
            if rel != row["file"] and row["text"] in file_text(rel):
                assert rel in allowed, f"{row['text']} on {rel} is not documented as correct"


@pytest.mark.parametrize("row", CORRECT_ROWS, ids=lambda r: r["text"])
def test_correct_text_present(row):
    assert row["text"] in file_text(row["file"]), row


def test_planted_id_numbers_are_well_formed():
    ids = [r["text"] for r in PLANTED_ROWS if r["category"] == "privacy" and len(r["text"]) == 18]
    assert len(ids) == 8 and len(set(ids)) == 8
    for number in ids:
        assert re.fullmatch(r"520122(19[5-8]\d|1990)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dX]", number)
        assert _id_checksum_ok(number), number
    phones = [r["text"] for r in PLANTED_ROWS if r["category"] == "privacy" and len(r["text"]) == 11]
    assert len(phones) == 1 and re.fullmatch(r"1[3-9]\d{9}", phones[0])


def test_no_stray_personal_numbers():
    """Full ID or mobile numbers appear only where PLANTED.md plants them, or inside a
    text PLANTED.md lists as correct (an office's published contact number)."""
    planted = {(r["file"], r["text"]) for r in PLANTED_ROWS if r["category"] == "privacy"}
    documented = [(r["file"], r["text"]) for r in CORRECT_ROWS]
    files = [("shili", rel) for rel in PAGE_IDS + ATTACHMENT_IDS] + [("jyj", rel) for rel in JYJ_PAGE_IDS]
    for site, rel in files:
        text = file_text(rel) if site == "shili" else decode(rel, site)
        text = re.sub(r"data:[^\"']+", "", text)
        for m in re.finditer(r"(?<![\dA-Za-z])(\d{17}[\dX]|1[3-9]\d{9})(?![\dA-Za-z])", text):
            number = m.group(1)
            assert site == "shili", (site, rel, number)
            assert (rel, number) in planted or any(
                f == rel and number in t for f, t in documented), (rel, number)


def test_planted_mobile_sits_in_the_list_table_and_the_office_contact_differs():
    """The personal mobile is a recipient's, in the 低保 table row with a name and an ID;
    the office contact line (silent: a published contact) carries another number."""
    [mobile] = [r for r in PLANTED_ROWS if r["category"] == "privacy" and len(r["text"]) == 11]
    text = decode(mobile["file"])
    row = next(tr for tr in re.findall(r"<tr>.*?</tr>", text) if mobile["text"] in tr)
    assert re.search(r"<td>\d{17}[\dX]</td>", row) and "<th>联系电话</th>" in text
    contact = next(r for r in CORRECT_ROWS if r["file"] == mobile["file"] and r["text"].startswith("联系人："))
    assert mobile["text"] not in contact["text"] and re.search(r"1[3-9]\d{9}", contact["text"])


def test_hidden_spam_link():
    row = next(r for r in PLANTED_ROWS if r["category"] == "sensitive")
    raw = decode(row["file"])
    assert f'<div style="display:none"><a href="http://spam.invalid/">{row["text"]}</a></div>' in raw
    assert parse(row["file"]).meta["ColumnType"] == "news"
    assert sum("spam.invalid" in decode(rel) for rel in PAGE_IDS) == 1


def test_xlsx_attachment_is_a_recipient_list_linked_from_a_masked_notice():
    [rel] = ATTACHMENT_IDS
    rows = [line.split("\t") for line in file_text(rel).splitlines()]
    header = next(r for r in rows if "身份证号" in r)
    assert [h.split("（")[0] for h in header] == ["序号", "姓名", "身份证号", "村组", "金额"]
    data = rows[rows.index(header) + 1:]
    planted = [r["text"] for r in PLANTED_ROWS if r["file"] == rel]
    assert len(data) == 3 and [r[2] for r in data] == planted
    assert all(r[0] == str(i) and r[1] and r[3] and r[4].isdigit() for i, r in enumerate(data, 1))
    # linked from the 公示 that masks the numbers on the page itself
    linking = [p for p in PAGE_IDS if "/" + rel in parse(p).links]
    assert linking == ["mzj/202611/t20261110_8003.html"]
    assert "52************123X" in decode(linking[0])


# ------------------------------------------------------------------ site-level plants

RULE_CATEGORIES = {"stale-column": "stale_column", "blank-column": "blank_column",
                   "home-few-updates": "site_not_updated", "broken-link": "broken_link",
                   "identity-site-code": "identity", "unregistered-account": "unregistered_account"}
#: rules whose row names a link target
TARGET_RULES = {"broken-link", "unregistered-account"}


def test_site_level_table():
    assert {r["rule"] for r in SITE_ROWS} == set(RULE_CATEGORIES)
    departments = {d["id"] for d in demo_config()["departments"]}
    for row in SITE_ROWS:
        assert row["category"] == RULE_CATEGORIES[row["rule"]], row
        assert row["site"] in ROOTS and (ROOTS[row["site"]] / row["page"]).is_file(), row
        assert row["department"] in departments, row
        assert (row["target"] is not None) == (row["rule"] in TARGET_RULES), row
    assert sum(r["rule"] == "broken-link" for r in SITE_ROWS) == 3
    assert sum(r["rule"] == "broken-link" and r["page"] == "index.html" for r in SITE_ROWS) == 1


def test_planted_broken_links():
    kinds = set()
    for row in (r for r in SITE_ROWS if r["rule"] == "broken-link"):
        site, rel, href = row["site"], row["page"], row["target"]
        page = parse(rel, site)
        assert page.links.count(href) == 1, row
        target = resolve(site, rel, href)
        assert target is not None and not (ROOTS[target[0]] / target[1]).exists(), row
        assert row["text"] in decode(rel, site), row  # the link text (or the image's alt)
        kinds.add("external" if target[0] != site else href.rsplit(".", 1)[-1])
        # no other page links to it (one finding, placed on this page)
        assert all(href not in parse(r, s).links for s, r in ALL_PAGES if (s, r) != (site, rel))
    assert kinds == {"jpg", "pdf", "external"}


def test_columns_are_fresh_except_the_planted_stale_ones():
    stale = {(r["site"], r["page"].split("/")[0]): r for r in SITE_ROWS if r["rule"] == "stale-column"}
    blank = {(r["site"], r["page"].split("/")[0]) for r in SITE_ROWS if r["rule"] == "blank-column"}
    assert len(stale) == 2 and len(blank) == 2
    for site in ROOTS:
        for folder, pages in column_folders(site).items():
            kind = parse(pages[0], site).meta["ColumnType"]
            dates = column_dates(site, folder)
            if (site, folder) in blank:
                assert not dates
                continue
            if not dates:  # a single page, not a list (我为政府网站找错)
                assert (site, folder) == ("shili", "zc")
                continue
            days = (DEMO_AS_OF - max(dates)).days
            if (site, folder) in stale:
                assert days > KIND_DAYS[kind], (site, folder)
                assert f"{days} 天未更新" in stale[(site, folder)]["text"]
                assert parse(pages[0], site).meta["ColumnName"] in stale[(site, folder)]["text"]
            else:
                assert days <= KIND_DAYS[kind], (site, folder, days)
    assert {k: parse(f"{k[1]}/index.html").meta["ColumnType"] for k in stale} == {
        ("shili", "bmdt"): "news", ("shili", "gfxwj"): "policy"}
    assert column_dates("shili", "bmdt") and max(column_dates("shili", "bmdt")) == date(2026, 10, 20)
    assert max(column_dates("shili", "gfxwj")) == date(2026, 3, 16)


def test_blank_columns():
    rows = [r for r in SITE_ROWS if r["rule"] == "blank-column"]
    assert {r["page"] for r in rows} == {"zcjd/index.html", "ztzl/index.html"}
    for row in rows:
        page = parse(row["page"])
        assert page.list_items == []
        assert page.meta["ColumnName"] in row["text"]
        main = decode(row["page"]).split('<div class="main">', 1)[1].split('<div class="footer">', 1)[0]
        assert "<li>" not in main and main.count("<a ") == 1  # the crumb's link home only
    assert "暂无信息" in decode("zcjd/index.html") and "暂无信息" not in decode("ztzl/index.html")


def test_home_pages():
    """The portal's home page shows 4 items of the last 14 days (home-few-updates); the
    sub-site's is navigation-only and its columns show at least 10 (nothing to report)."""
    since = DEMO_AS_OF - timedelta(days=HOME_DAYS)
    recent = [d for _, d in parse("index.html").list_items if since <= day(d) <= DEMO_AS_OF]
    [row] = [r for r in SITE_ROWS if r["rule"] == "home-few-updates"]
    assert row["site"] == "shili" and f"更新信息 {len(recent)} 条" in row["text"]
    assert 0 < len(recent) < HOME_MIN_ITEMS
    home = parse("index.html", "jyj")
    assert home.list_items == [] and not re.search(r"\d{4}-\d{2}-\d{2}", decode("index.html", "jyj"))
    linked = {resolve("jyj", "index.html", h)[1] for h in home.links if resolve("jyj", "index.html", h)
              and resolve("jyj", "index.html", h)[0] == "jyj"}
    items = {h: d for rel in linked if rel != "index.html" for h, d in parse(rel, "jyj").list_items}
    assert sum(since <= day(d) <= DEMO_AS_OF for d in items.values()) >= HOME_MIN_ITEMS
    assert [r["site"] for r in SITE_ROWS if r["rule"] == "identity-site-code"] == ["jyj"]


def test_demo_config_columns_match_the_pages():
    config = demo_config()
    assert config["links"]["allow_hosts"] == ["127.0.0.1"]
    sites = {s["id"]: s for s in config["sites"]}
    assert set(sites) == set(ROOTS) == set(DEMO_SITES)
    assert sites["jyj"]["department"] == "jyj"
    for site_id, site in sites.items():
        base = site["url"].rstrip("/")
        for col in site["columns"]:
            assert col["url"].startswith(base + "/")
            rel = col["url"][len(base) + 1:]
            page = parse(rel, site_id)
            assert page.meta["ColumnName"] == col["name"] and page.meta["ColumnType"] == col["kind"], col
    configured = {c["url"].rsplit("/", 2)[-2] for c in sites["shili"]["columns"]}
    assert "ztzl" not in configured and {"bmdt", "gfxwj", "zcjd"} <= configured


# ------------------------------------------------------------------ new-media accounts

BEIJING = ZoneInfo("Asia/Shanghai")
#: the end of the demo's "today": relative times in feeds count back from here, as in the spider
DEMO_NOW = datetime.combine(DEMO_AS_OF, time(23, 59), BEIJING)
#: RULES.md §3 defaults (monitor.config.Thresholds): dormant after more than 14 days, zombie from 90
DORMANT_DAYS, ZOMBIE_DAYS, RECENT_DAYS = 14, 90, 14
ACCOUNT_BY_ID = {r["account"]: r for r in ACCOUNT_ROWS}
FEED_FORMATS = {"rss", "atom", "json", "weibo"}


def feed_of(row: dict):
    return parse_feed((FEEDS / row["feed"]).read_bytes(), BEIJING, DEMO_NOW)


def regular_days(feed) -> list[date]:
    """Beijing dates of the non-pinned posts, newest first."""
    return sorted((p.published.astimezone(BEIJING).date() for p in feed.posts if not p.pinned), reverse=True)


def config_accounts() -> dict[str, dict]:
    return {a["id"]: a for a in demo_config()["accounts"]}


def test_feed_files_match_the_account_table_and_the_config():
    assert sorted(p.name for p in FEEDS.iterdir()) == sorted(r["feed"] for r in ACCOUNT_ROWS)
    assert len(ACCOUNT_ROWS) == len(ACCOUNT_BY_ID) == 6
    accounts = config_accounts()
    assert set(accounts) == set(ACCOUNT_BY_ID)
    departments = {d["id"] for d in demo_config()["departments"]}
    keys = set()
    for account_id, account in accounts.items():
        row = ACCOUNT_BY_ID[account_id]
        assert (account["platform"], account["name"], account["department"]) == \
            (row["platform"], row["name"], row["department"]), row
        assert account["department"] in departments
        feed = urlsplit(account["feed"])
        assert feed.netloc == "127.0.0.1:3" and feed.path == "/" + row["feed"], account["feed"]
        key = account_key(account["profile"])
        assert key is not None and key[0] == account["platform"], account["profile"]
        keys.add(key)
        assert not set(account) & {"dormant_days", "zombie_days", "min_posts_per_week", "max_gap_days"}, \
            "the demo's accounts use the default thresholds"
    assert len(keys) == len(accounts)
    assert {r["platform"] for r in ACCOUNT_ROWS} == {"wechat", "weibo", "douyin", "toutiao"}
    assert {r["format"] for r in ACCOUNT_ROWS} == FEED_FORMATS | {None}
    assert {r["status"] for r in ACCOUNT_ROWS} == {"正常", "睡眠", "僵尸", "无法访问"}


@pytest.mark.parametrize("row", ACCOUNT_ROWS, ids=lambda r: r["account"])
def test_feed_dates_and_status(row):
    """What the table says of each account follows from its feed, DEMO_AS_OF and the rules."""
    if row["format"] is None:  # the broken feed: an HTML error page, served with HTTP 200
        data = (FEEDS / row["feed"]).read_bytes()
        assert data.lstrip().lower().startswith(b"<!doctype html") and b"<rss" not in data
        with pytest.raises(FeedError):
            feed_of(row)
        assert row["status"] == "无法访问" and row["rule"] is None and row["newest"] is None
        return
    feed = feed_of(row)
    assert feed.format == row["format"]
    assert feed.posts, row
    for post in feed.posts:
        assert post.published is not None and post.published <= DEMO_NOW, (row["account"], post)
        assert post.link and post.link.startswith("https://"), post
        assert post.title or post.text
    days = regular_days(feed)
    newest = days[0] if days else None
    assert (newest.isoformat() if newest else None) == row["newest"]
    silent = (DEMO_AS_OF - newest).days if newest else None
    assert (str(silent) if silent is not None else None) == row["days"]
    assert str(sum((DEMO_AS_OF - d).days < RECENT_DAYS for d in days)) == row["recent"]
    status = "僵尸" if silent is None or silent >= ZOMBIE_DAYS else "睡眠" if silent > DORMANT_DAYS else "正常"
    assert status == row["status"], row
    assert (row["rule"] == "account-dormant") == (status != "正常"), row
    if row["rule"]:
        assert row["name"] in row["text"]
        assert (f"{silent} 天未更新" if silent is not None else "只有置顶信息") in row["text"]


def test_pinned_posts_do_not_count():
    """The pinned-only account's one post is recent and pinned (counted, it would make the
    account active); the Weibo JSON account's pinned card is newer than its newest post."""
    [pinned_only] = [r for r in ACCOUNT_ROWS if r["newest"] is None and r["format"]]
    feed = feed_of(pinned_only)
    assert feed.posts and all(p.pinned for p in feed.posts)
    assert any((DEMO_AS_OF - p.published.astimezone(BEIJING).date()).days <= DORMANT_DAYS for p in feed.posts)
    assert "【置顶】" in (FEEDS / pinned_only["feed"]).read_text(encoding="utf-8")
    assert pinned_only["status"] == "僵尸"

    [weibo] = [r for r in ACCOUNT_ROWS if r["format"] == "weibo"]
    feed = feed_of(weibo)
    pinned = [p for p in feed.posts if p.pinned]
    assert len(pinned) == 1 and pinned[0].published.astimezone(BEIJING).date() > date.fromisoformat(weibo["newest"])
    assert len(feed.posts) - 1 >= 3 and weibo["status"] == "正常"
    import json

    cards = json.loads((FEEDS / weibo["feed"]).read_text(encoding="utf-8"))["data"]["cards"]
    assert [c["mblog"].get("isTop") for c in cards if c["card_type"] == 9].count(1) == 1
    assert any(c["card_type"] != 9 and "mblog" not in c for c in cards), "a card that is not a post"
    assert all(re.fullmatch(r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} \+0800 2026", c["mblog"]["created_at"])
               for c in cards if c["card_type"] == 9)
    for c in cards:  # the weekday Weibo writes agrees with the date
        if c["card_type"] == 9:
            when = datetime.strptime(c["mblog"]["created_at"], "%a %b %d %H:%M:%S %z %Y")
            assert when.strftime("%a") == c["mblog"]["created_at"][:3]


def test_dormant_days_count_in_beijing_time():
    """The Atom account's newest post is written in UTC on the day before its Beijing date."""
    [row] = [r for r in ACCOUNT_ROWS if r["format"] == "atom"]
    newest = max((p for p in feed_of(row).posts if not p.pinned), key=lambda p: p.published)
    assert newest.published.utcoffset() == timedelta(0)
    beijing = newest.published.astimezone(BEIJING).date().isoformat()
    assert newest.published.date().isoformat() != row["newest"] == beijing


def test_rss_dates_carry_their_weekday():
    for row in ACCOUNT_ROWS:
        if row["format"] == "rss":
            for stamp in re.findall(r"<pubDate>([^<]+)</pubDate>", (FEEDS / row["feed"]).read_text(encoding="utf-8")):
                assert datetime.strptime(stamp, "%a, %d %b %Y %H:%M:%S %z").strftime("%a") == stamp[:3], stamp


def _post_texts() -> list[tuple[str, str, str]]:
    """(account, post link, title + text) of every post in every readable feed."""
    out = []
    for row in ACCOUNT_ROWS:
        if row["format"]:
            for post in feed_of(row).posts:
                out.append((row["account"], post.link, f"{post.title}\n{post.text}"))
    return out


def _typos() -> dict[str, str]:
    rows = [line.split("\t") for line in (Path(__file__).resolve().parent.parent / "lexicons" / "typos.tsv")
            .read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return {r[0]: r[3] for r in rows[1:]}


@pytest.mark.parametrize("row", POST_ROWS, ids=lambda r: r["text"])
def test_planted_post_problems(row):
    posts = _post_texts()
    [(_, _, text)] = [p for p in posts if p[0] == row["account"] and p[1] == row["post"]]
    assert text.count(row["text"]) == 1
    assert sum(row["text"] in t for _, _, t in posts) == 1, "the planted text is in one post only"
    assert row["category"] == "typo" and _typos()[row["text"]] == row["suggestion"]
    assert row["account"] in ACCOUNT_BY_ID and ACCOUNT_BY_ID[row["account"]]["status"] == "正常"


def test_no_other_typos_or_personal_numbers_in_posts():
    planted = {r["text"] for r in POST_ROWS}
    for account, link, text in _post_texts():
        for term in _typos():
            assert term not in text or term in planted, (account, link, term)
        assert not re.search(r"(?<![\dA-Za-z])(\d{17}[\dX]|1[3-9]\d{9})(?![\dA-Za-z])", text), (account, link)


def test_portal_links_to_registered_accounts_and_one_unregistered():
    registered = {account_key(a["profile"]) for a in config_accounts().values()}
    [row] = [r for r in SITE_ROWS if r["rule"] == "unregistered-account"]
    assert (row["site"], row["page"]) == ("shili", "index.html")
    unregistered = account_key(row["target"])
    assert unregistered is not None and unregistered not in registered
    home = decode("index.html")
    linked = {account_key(href) for href in parse("index.html").links} - {None}
    assert unregistered in linked and len(linked - registered) == 1
    assert len(linked & registered) >= 4
    assert re.search(r'<a href="%s">%s</a>' % (re.escape(row["target"]), re.escape(row["text"])), home)
    # the only page linking to accounts is the home page
    for site, rel in ALL_PAGES:
        if (site, rel) != ("shili", "index.html"):
            assert not any(account_key(h) for h in parse(rel, site).links), (site, rel)
    # a name in the 官方微信：… form, and it is registered
    names = re.findall(r"官方(?:微信|微博|抖音|头条)：([\u4e00-\u9fff]+)", home)
    assert names and set(names) <= {a["name"] for a in config_accounts().values()}
