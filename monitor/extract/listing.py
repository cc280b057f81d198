"""List entries of a list page (栏目列表页): the links of its main content and their dates.

Rules:

* An entry is an ``<a href>`` outside the chrome elements (``blocks.find_chrome``), resolved
  against ``<base href>`` or ``base_url`` and canonicalised like ``links.extract_links``;
  ``#…``, javascript:, mailto: … and anything not http/https are skipped.
* Text: the link text, whitespace folded; the ``title`` attribute instead when the text is
  empty or truncated ("…", "..."); else the alt/title of an image inside. Links without any
  text, and paging or navigation links (NAV_TEXTS, bare page numbers, ">>") are not entries.
* Date: looked for in the link's *row* — the nearest ancestor in ROW_TAGS, or a div/span
  holding no other link — first in the row's text outside the link, then at the start or
  end of the link's own text or title ("[2026-11-12] 标题", "标题（2026年11月12日）").
  Formats (full-width too, a time may follow): 2026-11-12, 2026/11/12, 2026.11.12,
  2026年11月12日, and month-day 11-12 or 11月12日, whose year is the latest that does not put
  it after today + 1 day. A year alone, a year and month or a two-digit year is not a date;
  years outside dates.MIN_YEAR..MAX_YEAR are ignored. Dates in URLs are not read here
  (see dates.date_from_url).
* The same URL twice: the first entry is kept, taking a later entry's date if it had none.
* blank_notice: a line of the main text (outside chrome and links) of at most
  NOTICE_MAX_CHARS characters holds one of BLANK_MESSAGES — whatever the entries.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from monitor.extract.blocks import render_text, text_content
from monitor.extract.dates import make_date
from monitor.extract.links import _document_base, _resolve as resolve_link
from monitor.items import ListEntry

# Not bare 建设中 / 正在建设中 / 敬请期待: "该项目正在建设中" is news, not an empty column.
BLANK_MESSAGES = (
    "暂无信息", "暂无内容", "暂无数据", "暂无记录", "暂无相关信息", "没有信息", "无相关信息",
    "信息正在更新", "栏目建设中", "栏目正在建设中", "页面正在建设中", "本栏目暂无", "该栏目暂无",
)  # fmt: skip

#: a blank message counts only on a line this short (not "在项目建设中……" in an article)
NOTICE_MAX_CHARS = 50

#: link texts (lowercased, spaces and surrounding brackets/arrows removed) of paging/navigation
NAV_TEXTS = frozenset({
    "首页", "上一页", "下一页", "上页", "下页", "前一页", "后一页", "尾页", "末页", "最后一页",
    "第一页", "更多", "查看更多", "more", "跳转", "go", "返回", "返回首页", "返回顶部",
    "返回列表", "返回上一页", "返回上级",
})  # fmt: skip

_PAGING_TEXTS = frozenset({"上一页", "下一页", "上页", "下页", "前一页", "后一页", "尾页", "末页", "最后一页",
                           "第一页", "next", "prev", "previous", "last", "first"})

#: the nearest of these ancestors is a link's row; a div/span is one when it holds one link only
ROW_TAGS = frozenset({"li", "tr", "dd", "dt", "p"})
_SOLO_ROW_TAGS = {"div", "span"}
_ROW_STOP = {"body", "html", "ul", "ol", "dl", "table", "thead", "tbody", "tfoot"}

_NAV_STRIP = " []()<>«»‹›【】〔〕{}+-_.…·|/\\:："
_PAGE_NUMBER = re.compile(r"\d+|第\d+页")

_FULL_DATE = (
    r"(?<!\d)(?P<y>\d{4})(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"|\s*年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日?)(?!\d)"
)
_MONTH_DAY = (
    r"(?<![\d\-/.年第])(?P<m3>\d{2})-(?P<d3>\d{2})(?![\d\-/月日号期])"
    r"|(?<![\d年])(?P<m4>\d{1,2})\s*月\s*(?P<d4>\d{1,2})\s*日"
)
_DATE = re.compile(rf"(?:{_FULL_DATE}|{_MONTH_DAY})(?:\s*\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?")
_NO_WORDS = re.compile(r"[\W_]*")  # nothing but spaces, brackets and punctuation

_SCHEMES = {"http", "https"}


def extract_listing(
    tree: Any, base_url: str, chrome: Iterable[Any] = (), today: date | None = None,
    text_without_links: str | None = None,
) -> tuple[list[ListEntry], bool]:
    """(entries, blank_notice) of a parsed page; see the module docstring for the rules.
    `text_without_links`: blocks.page_texts' third text, when the caller has it already."""
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    body = _body(root)
    if body is None:
        return [], False
    limit = (today or date.today()) + timedelta(days=1)
    base = _document_base(root, base_url)
    chrome_set = set(chrome)
    in_chrome = {a for el in chrome_set for a in el.iter("a")}
    link_counts: dict[Any, int] = {}
    entries: list[ListEntry] = []
    by_url: dict[str, ListEntry] = {}
    for a in body.iter("a"):
        if a in in_chrome:
            continue
        url = _resolve(base, a.get("href"))
        if url is None:
            continue
        text = _entry_text(a)
        if not text or _is_nav(text):
            continue
        found = _row_date(a, limit, link_counts)
        seen = by_url.get(url)
        if seen is None:
            by_url[url] = ListEntry(url=url, text=text, date=found)
            entries.append(by_url[url])
        elif seen.date is None:
            seen.date = found
    if text_without_links is None:
        text_without_links = render_text(body, chrome_set | set(body.iter("a")))
    return entries, _blank_notice(text_without_links)


# -- text and navigation ----------------------------------------------------------------------


def _entry_text(a: Any) -> str:
    text = _fold(text_content(a))
    title = _fold(a.get("title") or "")
    if title and (not text or unicodedata.normalize("NFKC", text).endswith("...")):
        return title
    if text:
        return text
    img = next(a.iter("img"), None)
    return _fold(img.get("alt") or img.get("title") or "") if img is not None else ""


@functools.lru_cache(maxsize=65536)  # the site checks ask for every link of every page
def is_nav_text(text: str) -> bool:
    """Paging or navigation link text (下一页, 更多>>, 2, 第3页 …)."""
    return _is_nav(text)


@functools.lru_cache(maxsize=65536)
def is_paging_text(text: str) -> bool:
    """Link text that moves within one list: 下一页, 尾页, 2, 第3页, >> (not 首页, 更多, 返回)."""
    word = _nav_word(text)
    return word in _PAGING_TEXTS or bool(_PAGE_NUMBER.fullmatch(word)) or (not word and bool(text.strip()))


def _nav_word(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split()).strip(_NAV_STRIP)


def _is_nav(text: str) -> bool:
    word = _nav_word(text)
    return not word or word in NAV_TEXTS or bool(_PAGE_NUMBER.fullmatch(word))


def _fold(text: str) -> str:
    return " ".join(text.split())


# -- dates ---------------------------------------------------------------------------------------


def _row_date(a: Any, limit: date, link_counts: dict[Any, int]) -> date | None:
    row = _row(a, link_counts)
    if row is not None:
        for match in _DATE.finditer(unicodedata.normalize("NFKC", render_text(row, {a}))):
            found = _match_date(match, limit)
            if found:
                return found
    for own in (_fold(text_content(a)), _fold(a.get("title") or "")):
        found = _edge_date(unicodedata.normalize("NFKC", own), limit)
        if found:
            return found
    return None


def _row(a: Any, link_counts: dict[Any, int]) -> Any:
    for el in a.iterancestors():
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in ROW_TAGS:
            return el
        if tag in _ROW_STOP:
            return None
        if tag in _SOLO_ROW_TAGS:
            if el not in link_counts:
                link_counts[el] = sum(1 for x in el.iter("a") if x.get("href") is not None)
            if link_counts[el] == 1:
                return el
    return None


def _edge_date(text: str, limit: date) -> date | None:
    """A date at the start or the end of ``text``, brackets and punctuation aside."""
    for match in _DATE.finditer(text):
        if _NO_WORDS.fullmatch(text[: match.start()]) or _NO_WORDS.fullmatch(text[match.end() :]):
            found = _match_date(match, limit)
            if found:
                return found
    return None


def _match_date(match: re.Match[str], limit: date) -> date | None:
    if match.group("y"):
        return make_date(match.group("y"), match.group("m") or match.group("m2"), match.group("d") or match.group("d2"))
    month = match.group("m3") or match.group("m4")
    day = match.group("d3") or match.group("d4")
    for year in range(limit.year, limit.year - 5, -1):  # five years reach a 29 February
        found = make_date(year, month, day)
        if found and found <= limit:
            return found
    return None


# -- blank notice ----------------------------------------------------------------------------------


def _blank_notice(text: str) -> bool:
    for line in unicodedata.normalize("NFKC", text).split("\n"):
        compact = "".join(line.split())
        if len(compact) <= NOTICE_MAX_CHARS and any(message in compact for message in BLANK_MESSAGES):
            return True
    return False


# -- URLs ------------------------------------------------------------------------------------------


def _body(root: Any) -> Any:
    if root is None or not isinstance(root.tag, str):
        return None
    if root.tag.lower() == "html":
        body = root.find("body")
        return body if body is not None else root
    return root


def _resolve(base: str, raw: str | None) -> str | None:
    """links._resolve, web pages only (no ftp:)."""
    url = resolve_link(base, raw)
    return url if url and urlsplit(url).scheme in _SCHEMES else None
