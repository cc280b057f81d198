"""Sanity checks over the bundled demo portal (monitor/demo/site) and its PLANTED.md.

These read the files only; no server, no crawler.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

DEMO = Path(__file__).resolve().parent.parent / "monitor" / "demo"
SITE = DEMO / "site"
PLANTED = DEMO / "PLANTED.md"

GBK_DIR = "xzdt"
ARTICLE_NAME = re.compile(r"^t(\d{4})(\d{2})(\d{2})_\d+\.html$")
PUBDATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
PAGE_META = ["SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ColumnType"]
ARTICLE_META = ["ArticleTitle", "PubDate", "ContentSource"]
COLUMN_TYPES = {"news", "notice", "policy", "personnel", "plan", "other"}
EXTERNAL_HOSTS = {"spam.invalid", "bszs.conac.cn"}
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _rel(path: Path) -> str:
    return path.relative_to(SITE).as_posix()


PAGES = sorted(SITE.rglob("*.html"))
PAGE_IDS = [_rel(p) for p in PAGES]


def is_gbk(rel: str) -> bool:
    return rel.split("/", 1)[0] == GBK_DIR


def is_article(rel: str) -> bool:
    return bool(ARTICLE_NAME.match(rel.rsplit("/", 1)[-1]))


def decode(rel: str) -> str:
    data = (SITE / rel).read_bytes()
    return data.decode("gb18030" if is_gbk(rel) else "utf-8")


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


def parse(rel: str) -> _Page:
    p = _Page()
    p.feed(decode(rel))
    p.close()
    return p


def resolve_internal(rel: str, href: str) -> str | None:
    """Site-relative file path an internal link points at; None for external/data links."""
    parts = urlsplit(href)
    if parts.scheme in ("data", "mailto", "javascript", "tel"):
        return None
    if parts.scheme or parts.netloc:
        return None
    if not parts.path:
        return rel  # "#frag" or "?q" on the same page
    target = urljoin("/" + rel, parts.path)
    if target.endswith("/"):
        target += "index.html"
    return target.lstrip("/")


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


def _load_planted() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    planted, correct = None, None
    for rows in _tables(PLANTED.read_text(encoding="utf-8")):
        if rows and "category" in rows[0]:
            planted = rows
        elif rows and "why" in rows[0]:
            correct = rows
    assert planted and correct, "PLANTED.md needs a planted table and a correct-text table"
    norm = lambda rows: [dict(r, file=_unquote(r["file"]), text=_unquote(r["text"])) for r in rows]  # noqa: E731
    return norm(planted), norm(correct)


PLANTED_ROWS, CORRECT_ROWS = _load_planted()


def _id_checksum_ok(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17]


# ------------------------------------------------------------------ tests

def test_site_shape():
    assert 30 <= len(PAGES) <= 60
    names = set(PAGE_IDS)
    for required in ["index.html", "zc/index.html", "ywdt/index_1.html", "xzdt/index_1.html",
                     "ywdt/index.html", "tzgg/index.html", "zcwj/index.html", "rsxx/index.html",
                     "ghjh/index.html", "czxx/index.html", "xzdt/index.html", "mzj/index.html"]:
        assert required in names


@pytest.mark.parametrize("rel", PAGE_IDS)
def test_encoding(rel):
    data = (SITE / rel).read_bytes()
    if is_gbk(rel):
        data.decode("gb18030")
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    else:
        data.decode("utf-8")
        assert parse(rel).charset_decls == ["utf-8"]


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


@pytest.mark.parametrize("rel", PAGE_IDS)
def test_meta_tags(rel):
    page = parse(rel)
    for name in PAGE_META:
        assert page.meta.get(name), f"{rel}: missing meta {name}"
    assert page.meta["SiteName"] == "示例县人民政府"
    assert page.meta["SiteDomain"] == "www.shili.gov.cn"
    assert page.meta["SiteIDCode"] == "5299990001"
    assert page.meta["ColumnType"] in COLUMN_TYPES
    if is_article(rel):
        for name in ARTICLE_META:
            assert page.meta.get(name), f"{rel}: missing meta {name}"
        pub = page.meta["PubDate"]
        assert PUBDATE.match(pub), pub
        y, m, d = ARTICLE_NAME.match(rel.rsplit("/", 1)[-1]).groups()
        assert pub[:10] == f"{y}-{m}-{d}", "PubDate must agree with the file name"
        assert f"/{y}{m}/" in "/" + rel
        assert f"发布时间：{pub}" in decode(rel)


@pytest.mark.parametrize("rel", PAGE_IDS)
def test_header_and_footer(rel):
    page = parse(rel)
    assert "header" in page.div_classes and "footer" in page.div_classes
    text = decode(rel)
    for s in ["主办单位：示例县人民政府办公室", "联系电话：0851-12345678", "地址：",
              "网站标识码：5299990001", "黔ICP备10201081号-1", "黔公网安备 52999902006106号",
              "我为政府网站找错", "党政机关网站标识"]:
        assert s in text, f"{rel}: footer lacks {s}"
    for col in ["ywdt", "tzgg", "zcwj", "rsxx", "ghjh", "czxx", "xzdt", "mzj"]:
        assert f"/{col}/index.html" in page.links
    assert "/zc/index.html" in page.links


@pytest.mark.parametrize("rel", PAGE_IDS)
def test_links_resolve(rel):
    for href in parse(rel).links:
        parts = urlsplit(href)
        if parts.netloc:
            assert parts.hostname in EXTERNAL_HOSTS, f"{rel}: unexpected absolute link {href}"
            continue
        target = resolve_internal(rel, href)
        if target is None:
            continue
        assert (SITE / target).is_file(), f"{rel}: broken link {href} -> {target}"


def test_every_page_reachable_from_home():
    seen, todo = set(), ["index.html"]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        for href in parse(rel).links:
            target = resolve_internal(rel, href)
            if target and target not in seen:
                todo.append(target)
    assert seen == set(PAGE_IDS)


def test_list_dates_match_articles():
    for rel in PAGE_IDS:
        if is_article(rel):
            continue
        for href, day in parse(rel).list_items:
            target = resolve_internal(rel, href)
            assert target and is_article(target), (rel, href)
            assert parse(target).meta["PubDate"][:10] == day, (rel, href)


def test_planted_table_files_and_categories():
    assert {r["category"] for r in PLANTED_ROWS} == {
        "severe_error", "outdated", "typo", "sensitive", "privacy"}
    for row in PLANTED_ROWS + CORRECT_ROWS:
        assert row["file"] in PAGE_IDS, row


@pytest.mark.parametrize("row", PLANTED_ROWS, ids=lambda r: r["text"])
def test_planted_text_present_once(row):
    text = decode(row["file"])
    assert text.count(row["text"]) == 1, row
    if row["category"] != "outdated":
        others = [rel for rel in PAGE_IDS if rel != row["file"] and row["text"] in decode(rel)]
        assert not others, f"{row['text']} also on {others}"
    else:
        allowed = {r["file"] for r in CORRECT_ROWS if row["text"] in r["text"]}
        for rel in PAGE_IDS:
            if rel != row["file"] and row["text"] in decode(rel):
                assert rel in allowed, f"{row['text']} on {rel} is not documented as correct"


@pytest.mark.parametrize("row", CORRECT_ROWS, ids=lambda r: r["text"])
def test_correct_text_present(row):
    assert row["text"] in decode(row["file"]), row


def test_planted_id_numbers_are_well_formed():
    ids = [r["text"] for r in PLANTED_ROWS if r["category"] == "privacy" and len(r["text"]) == 18]
    assert len(ids) == 5
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
    for rel in PAGE_IDS:
        text = re.sub(r"data:[^\"']+", "", decode(rel))
        for m in re.finditer(r"(?<![\dA-Za-z])(\d{17}[\dX]|1[3-9]\d{9})(?![\dA-Za-z])", text):
            number = m.group(1)
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
