"""Links and attachments of a page, URL canonicalisation and crawler-trap detection."""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from monitor.extract.blocks import text_content
from monitor.items import LinkItem

ATTACHMENT_EXTENSIONS = frozenset(
    {"pdf", "doc", "docx", "xls", "xlsx", "csv", "wps", "et", "ppt", "pptx", "zip", "rar", "7z", "txt", "ofd"}
)

MAX_URL_LENGTH = 1000
MAX_QUERY_PARAMS = 10
MAX_PAGE_NUMBER = 500
TRAP_YEARS_BACK = 15
TRAP_YEARS_AHEAD = 1

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SESSION_PARAMS = {"jsessionid", "phpsessid", "sessionid", "session_id"}
_TRACKING_PARAMS = {"spm", "isappinstalled", "share_token", "fbclid", "gclid"}
_SHARE_FROM = {"timeline", "singlemessage", "groupmessage"}  # WeChat share markers
_PATH_SESSION = re.compile(r";jsessionid=[^/?#;]*", re.I)
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")

_PAGE_PARAMS = {
    "page", "pageno", "page_no", "pagenum", "pagenumber", "pageindex",
    "p", "pn", "currentpage", "curpage", "cur_page",
}  # fmt: skip
_PAGE_FILE = re.compile(r"(?:^|/)(?:index|default|page)[_-](\d+)\.\w+$", re.I)
_PAGE_DIR = re.compile(r"/page/(\d+)/?$", re.I)
_YEAR_PARAMS = {"year", "yyyy", "nian"}
_DATE_PARAMS = {"date", "month", "ym", "yearmonth", "day", "riqi", "calendar", "caldate"}
_CALENDAR_PATH = re.compile(r"(?:^|/)(?:calendar|rili|riqi|dates?|schedule)(?=/|$|[._-])", re.I)
_YMD_VALUE = re.compile(r"^(\d{4})(?:[-/.]?(\d{1,2})(?:[-/.]?(\d{1,2}))?)?$")

_IDENTITY_SCRIPT = re.compile(
    r"(?:https?:)?//[\w.-]*(?:conac\.cn|zfwzgl\.www\.gov\.cn|kaipuyun\.cn)/[^\s\"'<>)]*", re.I)
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "sms:")
_LINK_SCHEMES = {"http", "https", "ftp"}
_SPACE = re.compile(r"\s+")


# -- canonicalisation ----------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)  # every page repeats the same nav and footer links
def canonicalize_url(url: str) -> str:
    """A stable form of ``url`` for deduplication.

    Drops the fragment, session ids (``;jsessionid=``, JSESSIONID, PHPSESSID, non-numeric sid,
    sessionid, session_id, ASPSESSIONID*) and tracking parameters (utm_*, spm, WeChat share
    ``from``, isappinstalled, share_token, fbclid, gclid); sorts the remaining query
    parameters without re-encoding them; lowercases scheme and host; drops the default port;
    an empty path becomes ``/``. Content parameters (id, page, channel …) are kept.
    """
    url = url.strip()
    try:
        url = safe_url_string(url)
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    netloc = _netloc(parts, scheme)
    path = _PATH_SESSION.sub("", parts.path)
    if netloc and not path:
        path = "/"
    pairs = [p for p in parts.query.split("&") if p and not _drop_param(p)]
    query = "&".join(sorted(pairs, key=lambda p: (unquote(p.split("=", 1)[0]), p)))
    return urlunsplit((scheme, netloc, _upper_escapes(path), _upper_escapes(query), ""))


def _netloc(parts: Any, scheme: str) -> str:
    try:
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # a malformed port
        return parts.netloc.lower()
    if ":" in host:
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    return netloc


def _drop_param(pair: str) -> bool:
    name, _, value = pair.partition("=")
    name = unquote(name).strip().lower()
    if name in _SESSION_PARAMS or name in _TRACKING_PARAMS or name.startswith(("utm_", "aspsessionid")):
        return True
    if name == "sid":  # a session id, unless numeric (then it usually selects a site/section)
        return not unquote(value).isdigit()
    if name == "from":
        return unquote(value).lower() in _SHARE_FROM
    return False


def _upper_escapes(text: str) -> str:
    return _PERCENT.sub(lambda m: m.group(0).upper(), text)


# -- crawler traps ---------------------------------------------------------------------------


def is_trap(url: str, today: date | None = None) -> str | None:
    """Why ``url`` looks like a crawler trap, or None.

    Too long; too many query parameters; a page number above MAX_PAGE_NUMBER; a calendar
    date outside [today - 15 years, today + 1 year]; one path segment repeated 3+ times.
    """
    if len(url) > MAX_URL_LENGTH:
        return f"url longer than {MAX_URL_LENGTH} characters ({len(url)})"
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    params = [p.partition("=")[::2] for p in parts.query.split("&") if p]
    params = [(unquote(k).strip().lower(), unquote(v).strip()) for k, v in params]
    if len(params) > MAX_QUERY_PARAMS:
        return f"more than {MAX_QUERY_PARAMS} query parameters ({len(params)})"
    return (
        _page_trap(parts.path, params)
        or _calendar_trap(parts.path, params, today or date.today())
        or _repeat_trap(parts.path)
    )


def _page_trap(path: str, params: list[tuple[str, str]]) -> str | None:
    numbers = [v for k, v in params if k in _PAGE_PARAMS and v.isdigit()]
    numbers += [m.group(1) for m in (_PAGE_FILE.search(path), _PAGE_DIR.search(path)) if m]
    for number in numbers:
        if int(number) > MAX_PAGE_NUMBER:
            return f"page number {int(number)} > {MAX_PAGE_NUMBER}"
    return None


def _calendar_trap(path: str, params: list[tuple[str, str]], today: date) -> str | None:
    candidates: list[tuple[int, int | None, int | None]] = []
    for key, value in params:
        if key in _YEAR_PARAMS and value.isdigit() and len(value) == 4:
            candidates.append((int(value), None, None))
        elif key in _DATE_PARAMS:
            candidates.extend(_ymd(value))
    if _CALENDAR_PATH.search(path):
        segments = [s for s in path.split("/") if s]
        for i, segment in enumerate(segments):
            if re.fullmatch(r"\d{4}", segment):  # /2031/05/ …: take the month segment along
                following = "-".join(s for s in segments[i + 1 : i + 3] if re.fullmatch(r"\d{1,2}", s))
                candidates.extend(_ymd(f"{segment}-{following}" if following else segment))
            else:  # 2031-05-17, 203105, 20310517.html
                candidates.extend(_ymd(segment.split(".", 1)[0]))
    low = _shift_years(today, -TRAP_YEARS_BACK)
    high = _shift_years(today, TRAP_YEARS_AHEAD)
    for year, month, day in candidates:
        if _outside(year, month, day, low, high):
            shown = "-".join(f"{n:02d}" for n in (year, month, day) if n is not None)
            return f"calendar date {shown} outside {low.isoformat()}..{high.isoformat()}"
    return None


def _ymd(value: str) -> list[tuple[int, int | None, int | None]]:
    match = _YMD_VALUE.match(value)
    if not match:
        return []
    year, month, day = (int(g) if g else None for g in match.groups())
    return [(year, month, day)]  # type: ignore[list-item]


def _outside(year: int, month: int | None, day: int | None, low: date, high: date) -> bool:
    if month is None:
        return not low.year <= year <= high.year
    if day is None:
        return not (low.year, low.month) <= (year, month) <= (high.year, high.month)
    return not (low.year, low.month, low.day) <= (year, month, day) <= (high.year, high.month, high.day)


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _repeat_trap(path: str) -> str | None:
    counts: dict[str, int] = {}
    for segment in (s for s in path.split("/") if s):
        counts[segment] = counts.get(segment, 0) + 1
        if counts[segment] >= 3:
            return f"path segment {segment!r} repeated {counts[segment]} times"
    return None


# -- links -------------------------------------------------------------------------------------


def extract_links(tree: Any, base_url: str) -> tuple[list[LinkItem], list[LinkItem]]:
    """(links, attachments) of a parsed page, absolute and canonical, first occurrence kept.

    Reads ``<a href>``, ``<area href>``, ``<iframe src>``, ``<img src>`` and ``<script src>``,
    resolved against ``<base href>`` or ``base_url``. kind: "image" for img, "script" for
    script (not followed, not link-checked), "attachment" (with ``extension``) for
    document/archive files, "external" for another host than base_url's, else "page".
    """
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    base = _document_base(root, base_url)
    own_host = (urlsplit(base_url).hostname or "").lower()
    seen: dict[str, LinkItem] = {}
    links: list[LinkItem] = []
    attachments: list[LinkItem] = []
    for el in root.iter("a", "area", "iframe", "img", "script"):
        tag = el.tag.lower()
        raw = el.get("href" if tag in ("a", "area") else "src")
        if tag == "script" and raw is None:
            # the official 党政机关网站标识 snippet writes its script tag with document.write:
            # the address is only in the inline code (often %-escaped)
            for found in _IDENTITY_SCRIPT.findall(unquote(el.text or "")):
                url = _resolve(base, found)
                if url and url not in seen:
                    seen[url] = LinkItem(url=url, text="", kind="script")
                    links.append(seen[url])
            continue
        url = _resolve(base, raw)
        if url is None:
            continue
        if url in seen:
            if not seen[url].text:
                seen[url].text = _link_text(el)
            continue
        text = _link_text(el)
        extension = attachment_extension(url) if tag not in ("img", "script") else None
        if tag == "script":
            # only for the identity check: the 党政机关网站标识 and the 我为政府网站找错 entry
            # are usually put on the page by scripts from conac.cn / zfwzgl.www.gov.cn
            kind = "script"
        elif tag == "img":
            kind = "image"
        elif extension:
            kind = "attachment"
        elif _hostname(url) != own_host:
            kind = "external"
        else:
            kind = "page"
        item = LinkItem(url=url, text=text, kind=kind, extension=extension)
        seen[url] = item
        (attachments if kind == "attachment" else links).append(item)
    return links, attachments


@functools.lru_cache(maxsize=65536)
def _hostname(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


@functools.lru_cache(maxsize=65536)
def attachment_extension(url: str) -> str | None:
    """The attachment extension of the path's file name, else of a query value (file=a.xlsx)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    candidates = [unquote(parts.path).rsplit("/", 1)[-1]]
    candidates += [unquote(p.partition("=")[2]) for p in parts.query.split("&")]
    for name in candidates:
        if "." in name:
            ext = name.rsplit(".", 1)[1].strip().lower()
            if ext in ATTACHMENT_EXTENSIONS:
                return ext
    return None


def _document_base(root: Any, base_url: str) -> str:
    for el in root.iter("base"):
        href = (el.get("href") or "").strip()
        if href:
            try:
                return urljoin(base_url, href)
            except ValueError:
                return base_url
    return base_url


def _resolve(base: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    raw = raw.strip()
    if not raw or raw[0] == "#":
        return None
    key = (_join_scope(base, raw), raw)
    url = _RESOLVED.get(key, _UNKNOWN)
    if url is _UNKNOWN:
        if len(_RESOLVED) >= _RESOLVED_MAX:
            _RESOLVED.clear()
        url = _RESOLVED[key] = _join(base, raw)
    return url  # type: ignore[return-value]


def _join(base: str, raw: str) -> str | None:
    if raw.lower().replace(" ", "").startswith(_SKIP_SCHEMES):
        return None
    try:
        url = canonicalize_url(urljoin(base, raw))
        scheme = urlsplit(url).scheme
    except ValueError:
        return None
    return url if scheme in _LINK_SCHEMES else None


#: resolved links by (what of the base they depend on, href): every page of a site repeats
#: the same nav and footer links, and the pages of a folder the same relative ones
_RESOLVED: dict[tuple[str, str], str | None] = {}
_RESOLVED_MAX = 65536
_UNKNOWN = object()
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _join_scope(base: str, raw: str) -> str:
    """The part of `base` that ``urljoin(base, raw)`` depends on (RFC 3986 §5.2): its scheme
    for an absolute or scheme-relative href (``http://…``, ``//…``), its scheme and host for
    a root-relative one (``/…``), its folder for a relative path (``a.html``, ``../b/``), the
    whole of it otherwise (``?page=2``, ``;jsessionid=…``, other schemes, and characters that
    urljoin drops or strips: controls)."""
    if raw[0] in "?;" or not raw.isprintable():
        return "base " + base
    try:
        scheme, origin, folder = _base_parts(base)
    except ValueError:
        return "base " + base
    if raw[0] == "/":
        if not raw.startswith("//"):
            return origin
        return ("scheme " + scheme) if _host_follows(raw[2:]) else "base " + base
    head = raw[:8].lower()
    if head.startswith(("http://", "https://")):
        return ("scheme " + scheme) if _host_follows(raw[head.index("//") + 2:]) else "base " + base
    if _HAS_SCHEME.match(raw):
        return "base " + base
    return folder


def _host_follows(rest: str) -> bool:
    """Whether what follows `//` starts with a host (else urljoin takes the base's, and more)."""
    return rest[:1] not in ("", "/", "?", "#")


@functools.lru_cache(maxsize=1024)
def _base_parts(base: str) -> tuple[str, str, str]:
    """(scheme, scheme://netloc, scheme://netloc/folder/) of a base URL (keys of _RESOLVED:
    the three kinds cannot be mistaken for one another, nor for "scheme …" and "base …")."""
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    return parts.scheme, "origin " + origin, "folder " + origin + parts.path[:parts.path.rfind("/") + 1]


def _link_text(el: Any) -> str:
    tag = el.tag.lower()
    if tag == "a":
        text = _SPACE.sub(" ", text_content(el)).strip()
        if text:
            return text
    if tag == "area":
        text = (el.get("alt") or "").strip()
        if text:
            return _SPACE.sub(" ", text)
    title = (el.get("title") or "").strip()
    if title:
        return _SPACE.sub(" ", title)
    alt_source = el if tag == "img" else next(el.iter("img"), None)
    alt = (alt_source.get("alt") or "").strip() if alt_source is not None else ""
    return _SPACE.sub(" ", alt)


# -- columns -----------------------------------------------------------------------------------


# Paging of a list, wider than the trap rules' (an offset of 1000 is paging, not a trap).
_LIST_PAGE_FILE = re.compile(r"(?:^|/)(?:index|default|page|list|more)[_-](\d+)\.\w+$", re.I)
_LIST_PAGE_PARAMS = _PAGE_PARAMS | {"start", "offset", "pager.offset", "cpage", "pg", "page_index", "pageindex",
                                    "startrecord", "endrecord", "perpage"}


def column_base(url: str) -> str:
    """The first page of the list `url` is a page of: paging belongs to the same column.

    /tzgg/index_2.html → /tzgg/index.html, /news/page/3/ → /news/, ?page=2 → (dropped).
    `url` is canonical; so is the result.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = _LIST_PAGE_FILE.sub(lambda m: m.group(0).replace(f"_{m.group(1)}", "").replace(f"-{m.group(1)}", ""),
                               parts.path)
    path = _PAGE_DIR.sub("/", path)
    query = "&".join(p for p in parts.query.split("&")
                     if p and unquote(p.partition("=")[0]).strip().lower() not in _LIST_PAGE_PARAMS)
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))
