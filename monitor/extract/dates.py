"""Publication dates from strings, visible page text and URLs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from urllib.parse import urlsplit

MIN_YEAR = 1990
MAX_YEAR = 2100

#: how much of the main text visible_pubdate reads
VISIBLE_WINDOW = 1500

# 2023-04-17, 2023/4/7, 2023.04.17 (one separator throughout) or 2023年4月17日 (日 optional).
_DATE = (
    r"(?P<y>\d{4})(?:"
    r"(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"|\s*年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日?"
    r")(?!\d)"
)
_DATE_AT_START = re.compile(r"\s*" + _DATE)
_COMPACT_AT_START = re.compile(r"\s*(\d{4})(\d{2})(\d{2})(?!\d)")

# Visible labels, strongest first. Bare 日期/时间 must not be the tail of another label
# (更新时间, 报名时间 …), so they may not follow a CJK character.
_LABEL_TIERS = (
    r"发布时间|发布日期|发布于",
    r"发文日期|成文日期",
    r"(?<![\u4e00-\u9fff])(?:日期|时间)",
)
_COLON = r"\s*[:：]\s*"
_VISIBLE = [re.compile(f"(?:{labels}){_COLON}" + _DATE) for labels in _LABEL_TIERS]

_URL_PATTERNS = (
    re.compile(r"/t(\d{4})(\d{2})(\d{2})_\d+"),  # /202304/t20230417_123456.html (TRS)
    re.compile(r"/(\d{4})/(\d{1,2})/(\d{1,2})(?=/|$)"),  # /2023/04/17/, /art/2023/4/17/art_1_2.html
    re.compile(r"/(\d{4})-(\d{1,2})-(\d{1,2})(?=[/.]|$)"),  # /2023-04-17/
    re.compile(r"/(\d{4})-(\d{2})/(\d{2})(?=/|$)"),  # /content/2023-04/17/content_123.htm
    re.compile(r"/(\d{4})/(\d{2})(\d{2})(?=/|$)"),  # /n1/2023/0417/c1001-123.html
    re.compile(r"/(\d{4})(\d{2})(\d{2})(?=/|$)"),  # /20230417/
)


def make_date(year: int | str, month: int | str, day: int | str) -> date | None:
    """A date if it exists and its year is within MIN_YEAR..MAX_YEAR, else None."""
    y, m, d = int(year), int(month), int(day)
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(s: str) -> date | None:
    """The date a string starts with: 2023-04-17, 2023/4/7, 2023.04.17, 2023年4月17日 ….

    A time or anything else may follow (``2023-04-17 10:30:00``); full-width digits are
    accepted. Bare ``20230417`` is not a date here: see parse_compact_date.
    """
    if not s:
        return None
    match = _DATE_AT_START.match(unicodedata.normalize("NFKC", s))
    return _from_match(match) if match else None


def parse_compact_date(s: str) -> date | None:
    """``20230417`` (eight digits, not part of a longer number) as a date."""
    if not s:
        return None
    match = _COMPACT_AT_START.match(unicodedata.normalize("NFKC", s))
    return make_date(*match.groups()) if match else None


def visible_pubdate(text: str) -> date | None:
    """The date after a label such as 发布时间： in the first VISIBLE_WINDOW characters.

    发布时间/发布日期/发布于 win over 发文日期/成文日期, which win over bare 日期/时间.
    """
    head = unicodedata.normalize("NFKC", text[:VISIBLE_WINDOW])
    for pattern in _VISIBLE:
        for match in pattern.finditer(head):
            found = _from_match(match)
            if found:
                return found
    return None


def date_from_url(url: str) -> date | None:
    """A date from common CMS URL paths (/2023/04/17/, /t20230417_123.html, /20230417/ …)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for pattern in _URL_PATTERNS:
        for match in pattern.finditer(path):
            found = make_date(*match.groups())
            if found:
                return found
    return None


def publication_date(meta: Mapping[str, str], main_text: str, url: str) -> tuple[date | None, str | None]:
    """(date, source): the PubDate meta ("meta"), else visible text ("visible"), else URL ("url")."""
    for key, value in meta.items():
        if key.lower() == "pubdate":
            found = parse_date(value) or parse_compact_date(value)
            if found:
                return found, "meta"
    found = visible_pubdate(main_text)
    if found:
        return found, "visible"
    found = date_from_url(url)
    if found:
        return found, "url"
    return None, None


def _from_match(match: re.Match[str]) -> date | None:
    month = match.group("m") or match.group("m2")
    day = match.group("d") or match.group("d2")
    return make_date(match.group("y"), month, day)
