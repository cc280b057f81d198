"""New-media account feeds → posts: RSS 2.0, Atom, JSON Feed, and the Weibo mobile JSON API.

What RSSHub routes (/weibo/user/:uid, /wechat/…, /douyin/user/:uid, /toutiao/user/token/…)
and WeChat-to-RSS services produce is RSS, Atom or JSON Feed: read with feedparser. The
Weibo mobile API (m.weibo.cn container timeline: data.cards[].mblog) is read here.

Pure: bytes in, posts out. Times become timezone-aware; a time written without a zone is
taken in `tz` (the office's time zone: Chinese feeds mean Beijing time when they say
nothing). A feed that cannot be read raises FeedError with a reason for people.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html

#: feeds larger than this are refused (the spider also caps the download)
MAX_FEED_BYTES = 20 * 1024 * 1024
#: posts kept per feed (newest first); a feed never needs more to tell if an account is alive
MAX_POSTS = 500
#: words that mark a pinned post (置顶) in titles, categories or flags
PINNED_MARKERS = ("置顶", "pinned", "sticky")
# 【置顶】, [顶], (置顶), or a bare leading 置顶 — but not a title that merely starts with 顶 (顶层设计…)
_PINNED_TITLE = re.compile(r"^\s*(?:[\[【(（]\s*(?:置顶|顶)\s*[\]】)）]|置顶(?:\s*[:：|｜丨—-])?)\s*")
_SPACE = re.compile(r"[ \t\r\f\v\xa0]+")
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "section", "article",
           "figure", "figcaption", "pre", "table", "ul", "ol")


class FeedError(ValueError):
    """A feed that cannot be read; the message is for people (Chinese)."""


@dataclass
class Post:
    id: str
    title: str = ""
    text: str = ""
    published: datetime | None = None  # timezone-aware
    link: str | None = None
    pinned: bool = False


@dataclass
class Feed:
    format: str  # rss | atom | json | weibo
    title: str = ""
    posts: list[Post] = field(default_factory=list)

    def newest(self, include_pinned: bool = False) -> datetime | None:
        """The newest post time; pinned posts do not count as updates (RULES.md §3)."""
        times = [p.published for p in self.posts if p.published and (include_pinned or not p.pinned)]
        return max(times) if times else None


# ------------------------------------------------------------------------------ text and time

def html_text(fragment: str | None) -> str:
    """Text of an HTML fragment (post bodies are HTML in every format), lines kept."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment and "&" not in fragment:
        return fragment.strip()
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several types on junk; the raw text is better than nothing
        return re.sub(r"<[^>]+>", " ", fragment).strip()
    for junk in list(root.iter("script", "style")):
        junk.drop_tree()
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in root.iter(*_BLOCKS):  # a block starts and ends a line
        block.text = "\n" + (block.text or "")
        block.tail = "\n" + (block.tail or "")
    lines = (_SPACE.sub(" ", line).strip() for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


_CN_DATETIME = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?\s*$"
)
_RELATIVE = re.compile(r"^\s*(\d+)\s*(秒|分钟|小时|天)前\s*$")
_YESTERDAY = re.compile(r"^\s*(昨天|今天)\s*(\d{1,2}):(\d{2})\s*$")
_MONTH_DAY = re.compile(r"^\s*(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?\s*$")
#: "CST" in Chinese feeds (Java's Date.toString) is China Standard Time, not US Central
_CST = re.compile(r"\bCST\b")
_COMPACT = re.compile(r"^(19[89]\d|20\d\d)(\d\d)(\d\d)(?:(\d\d)(\d\d)(\d\d))?$")


def parse_time(value: Any, tz: ZoneInfo, now: datetime | None = None) -> datetime | None:
    """A post time from the forms feeds use: RFC 822 (RSS), ISO 8601 (Atom, JSON Feed),
    Weibo's 'Tue Nov 17 10:23:45 +0800 2026', Chinese '2026-11-17 10:23' / '2026年11月17日',
    epoch seconds or milliseconds, and Weibo's relative '5分钟前', '昨天 10:23', '11-17'.
    Naive times are in `tz`; relative ones count back from `now`."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    now = now or datetime.now(tz)
    compact = _COMPACT.match(value.strip()) if isinstance(value, str) else None
    if compact:  # 20261117 or 20261117102345, not epoch seconds (those have 9–10 digits these decades)
        try:
            return datetime(*(int(x) for x in compact.groups() if x), tzinfo=tz)
        except ValueError:
            return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        number = float(value)
        if number > 1e11:  # milliseconds
            number /= 1000
        try:
            return datetime.fromtimestamp(number, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    text = _CST.sub("+0800", str(value).strip())
    result: datetime | None = None
    try:
        result = datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")  # Weibo
    except ValueError:
        pass
    if result is None:
        try:
            result = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
    if result is None:
        try:
            result = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            result = None
        if result is not None and "-0000" in text:
            result = result.replace(tzinfo=None)  # RFC 2822: -0000 means "zone unknown"
    if result is None:
        m = _CN_DATETIME.match(text)
        if m:
            y, mo, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
            try:
                result = datetime(y, mo, d, h, mi, s)
            except ValueError:
                return None
    if result is None:
        return _relative_time(text, tz, now)
    if result.tzinfo is None:
        result = result.replace(tzinfo=tz)
    return result


def _relative_time(text: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    local = now.astimezone(tz)
    m = _RELATIVE.match(text)
    if m:
        unit = {"秒": "seconds", "分钟": "minutes", "小时": "hours", "天": "days"}[m.group(2)]
        return local - timedelta(**{unit: int(m.group(1))})
    if text.strip() == "刚刚":
        return local
    m = _YESTERDAY.match(text)
    if m:
        day = local.date() - timedelta(days=1 if m.group(1) == "昨天" else 0)
        return datetime(day.year, day.month, day.day, int(m.group(2)), int(m.group(3)), tzinfo=tz)
    m = _MONTH_DAY.match(text)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        hour, minute = int(m.group(3) or 0), int(m.group(4) or 0)
        for year in (local.year, local.year - 1):  # the latest such date not in the future
            try:
                candidate = datetime(year, month, day, hour, minute, tzinfo=tz)
            except ValueError:
                continue
            if candidate <= local + timedelta(days=1):
                return candidate
    return None


def _is_pinned(*texts: Any) -> bool:
    for text in texts:
        if isinstance(text, str) and any(marker in text.lower() for marker in PINNED_MARKERS):
            return True
    return False


def _web_link(value: Any) -> str | None:
    """Only http(s) links are links (feedparser turns a bare guid into a 'link')."""
    return value if isinstance(value, str) and value.lower().startswith(("http://", "https://")) else None


def _post_id(*parts: Any) -> str:
    for part in parts:
        if part:
            return str(part)
    return "h:" + hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


# ------------------------------------------------------------------------------ formats

def parse_feed(data: bytes, tz: ZoneInfo | str = "Asia/Shanghai", now: datetime | None = None) -> Feed:
    """Posts of a feed (newest first, at most MAX_POSTS)."""
    tz = ZoneInfo(tz) if isinstance(tz, str) else tz
    if len(data) > MAX_FEED_BYTES:
        raise FeedError(f"订阅源过大（{len(data) / 1024 / 1024:.1f} MB），超过 {MAX_FEED_BYTES // 1024 // 1024} MB 的上限")
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FeedError("订阅源内容为空")
    if head[:1] in (b"{", b"["):
        try:
            doc = json.loads(head.decode("utf-8-sig", errors="replace"))
        except ValueError as exc:
            raise FeedError(f"订阅源不是有效的 JSON：{exc}") from None
        except RecursionError:
            raise FeedError("订阅源不是有效的 JSON：嵌套层次过深") from None
        if isinstance(doc, dict) and "jsonfeed.org" in str(doc.get("version", "")):
            feed = _json_feed(doc, tz, now)
        elif _weibo_cards(doc) is not None or (isinstance(doc, dict) and doc.get("ok") in (0, -100, False)):
            feed = _weibo(doc, tz, now)
        else:
            raise FeedError("无法识别的 JSON 订阅源（既不是 JSON Feed，也不是微博接口数据）")
    else:
        feed = _xml_feed(data, tz, now)
    feed.posts.sort(key=lambda p: p.published or datetime.min.replace(tzinfo=timezone.utc), reverse=True)
    del feed.posts[MAX_POSTS:]
    return feed


def _xml_feed(data: bytes, tz: ZoneInfo, now: datetime | None) -> Feed:
    import feedparser

    # a stream, never the bytes themselves: feedparser tries bytes as a local file name first
    # (a body of "/etc/passwd" or "/dev/zero" would be read)
    try:
        parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser is lenient, but the message must stay a FeedError
        raise FeedError(f"无法解析订阅源：{exc}") from None
    version = parsed.get("version") or ""
    if re.match(rb"\s*(?:<!doctype\s+html|<html)", data[:512], re.I):
        raise FeedError("订阅地址返回的是网页（HTML），不是 RSS、Atom 或 JSON 订阅源；请检查订阅地址或订阅服务")
    if not version:
        raise FeedError("无法解析订阅源：内容不是 RSS、Atom 或 JSON 订阅源")
    if parsed.get("bozo") and not parsed.entries:
        # cut off or broken XML with nothing readable: not an account that never posted
        raise FeedError("订阅源内容不完整或格式错误，未能读出任何信息")
    posts = []
    for entry in parsed.entries:
        raw_time = entry.get("published") or entry.get("updated") or entry.get("created")
        published = parse_time(raw_time, tz, now)
        if published is None:
            struct = entry.get("published_parsed") or entry.get("updated_parsed")
            if struct:
                published = datetime(*struct[:6], tzinfo=timezone.utc)
        body = ""
        if entry.get("content"):
            body = entry.content[0].get("value", "")
        body = body or entry.get("summary", "") or entry.get("description", "")
        title = html_text(entry.get("title", ""))
        tags = [t.get("term", "") for t in entry.get("tags", []) or []]
        posts.append(Post(
            id=_post_id(entry.get("id"), entry.get("link"), title, raw_time),
            title=_PINNED_TITLE.sub("", title) if _PINNED_TITLE.match(title) else title,
            text=html_text(body), published=published, link=_web_link(entry.get("link")),
            pinned=bool(_PINNED_TITLE.match(title)) or _is_pinned(*tags),
        ))
    return Feed("atom" if version.startswith("atom") else "rss", html_text(parsed.feed.get("title", "")), posts)


def _json_feed(doc: dict, tz: ZoneInfo, now: datetime | None) -> Feed:
    posts = []
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed 缺少 items 列表")
    for item in items:
        if not isinstance(item, dict):
            continue
        title = html_text(str(item.get("title") or ""))
        raw_time = item.get("date_published") or item.get("date_modified")
        tags = item.get("tags") if isinstance(item.get("tags"), list) else []
        pinned = bool(_PINNED_TITLE.match(title)) or _is_pinned(*tags) or bool(item.get("_pinned"))
        posts.append(Post(
            id=_post_id(item.get("id"), item.get("url"), title, raw_time),
            title=_PINNED_TITLE.sub("", title) if _PINNED_TITLE.match(title) else title,
            text=html_text(str(item.get("content_html") or item.get("content_text") or item.get("summary") or "")),
            published=parse_time(raw_time, tz, now), link=_web_link(item.get("url")), pinned=pinned,
        ))
    return Feed("json", str(doc.get("title") or ""), posts)


def _weibo_cards(doc: Any) -> list | None:
    data = doc.get("data") if isinstance(doc, dict) else None
    cards = data.get("cards") if isinstance(data, dict) else None
    return cards if isinstance(cards, list) else None


def _weibo(doc: dict, tz: ZoneInfo, now: datetime | None) -> Feed:
    """m.weibo.cn container timeline: data.cards[] with card_type 9 and an mblog."""
    if doc.get("ok") not in (1, True, None):
        raise FeedError(f"微博接口返回错误：{doc.get('msg') or doc.get('ok')}")
    posts = []
    for card in _weibo_cards(doc) or []:
        mblog = card.get("mblog") if isinstance(card, dict) else None
        if not isinstance(mblog, dict):
            continue
        title_info = mblog.get("title") if isinstance(mblog.get("title"), dict) else {}
        pinned = bool(mblog.get("isTop")) or mblog.get("mblogtype") == 2 or _is_pinned(title_info.get("text"))
        text = html_text(str(mblog.get("text") or ""))
        mid = mblog.get("id") or mblog.get("mid") or mblog.get("bid")
        posts.append(Post(
            id=_post_id(mid, text, mblog.get("created_at")), title=text.split("\n", 1)[0][:60], text=text,
            published=parse_time(mblog.get("created_at"), tz, now),
            link=f"https://m.weibo.cn/detail/{mid}" if mid else card.get("scheme"), pinned=pinned,
        ))
    if not posts:
        # an account with no post at all shows its profile card; no cards is a login wall or a block
        raise FeedError("微博接口未返回任何微博（可能需要登录或已被限制访问）")
    user = next((c["mblog"].get("user") for c in _weibo_cards(doc) or []
                 if isinstance(c, dict) and isinstance(c.get("mblog"), dict)
                 and isinstance(c["mblog"].get("user"), dict)), {})
    return Feed("weibo", str(user.get("screen_name") or ""), posts)
