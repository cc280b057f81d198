"""Unregistered new-media accounts (RULES.md §3, "备案之外无政务新媒体"): accounts the portal
links to or names that are not in the registry (`accounts:` in config). Pure.

An account is recognised by a key per platform, from URLs in the forms people link and feed
services use: weibo.com/u/123, m.weibo.cn/u/123, …containerid=107603123, RSSHub
/weibo/user/123 → weibo:123; mp.weixin.qq.com/…__biz=XYZ → wechat:XYZ;
douyin.com/user/ABC, RSSHub /douyin/user/ABC → douyin:ABC; toutiao.com/c/user/token/T,
RSSHub /toutiao/user/token/T → toutiao:T. The registry's keys come from each account's
`profile` and `feed`. Names in 官方微信/官方微博 blocks are compared with registered names.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable
from urllib.parse import parse_qs, unquote, urlsplit

from ..config import Account
from ..finding import Finding
from ..items import LinkItem

_WEIBO_HOSTS = ("weibo.com", "weibo.cn")
_PATTERNS = [
    ("weibo", _WEIBO_HOSTS, re.compile(r"^/(?:u/|profile/|p/100505)?(\d{5,})/?$")),  # not /<uid>/<post>
    ("weibo", ("rsshub",), re.compile(r"/weibo/user/(\d{5,})")),
    ("douyin", ("douyin.com",), re.compile(r"^/user/([\w-]{6,})")),
    ("douyin", ("rsshub",), re.compile(r"/douyin/user/([\w-]{6,})")),
    ("toutiao", ("toutiao.com",), re.compile(r"^/c/user/(?:token/)?([\w-]{6,})")),
    ("toutiao", ("rsshub",), re.compile(r"/toutiao/user/token/([\w-]{6,})")),
]
_NAMED = re.compile(
    r"官方(?P<platform>微信|微博|抖音|头条)(?:公众号|号|账号)?[ \t\u3000]*[:：][ \t\u3000]*[「“\"]?"
    r"(?P<name>[\u4e00-\u9fffA-Za-z0-9]{2,20})")
#: words after 官方微信： that are instructions, not names
_NOT_NAMES = ("扫码", "扫一扫", "关注", "二维码", "长按", "识别")
_NAMED_PLATFORMS = {"微信": "wechat", "微博": "weibo", "抖音": "douyin", "头条": "toutiao"}


def account_key(url: str) -> tuple[str, str] | None:
    """(platform, key) of an account URL, or None when it is not one we recognise."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host, path = (parts.hostname or "").lower(), unquote(parts.path)
    query = parse_qs(parts.query)
    if host == "mp.weixin.qq.com" and query.get("__biz") and not query.get("mid") and not query.get("sn"):
        # the account's home (profile_ext, homepage), not one of its articles (s?__biz=…&mid=…)
        biz = query["__biz"][0].strip()
        return ("wechat", f"wechat:{biz}") if biz else None
    if _on(host, _WEIBO_HOSTS):
        for value in query.get("containerid", []) + query.get("uid", []):
            m = re.fullmatch(r"(?:107603|100505)?(\d{5,})", value)
            if m:
                return "weibo", f"weibo:{m.group(1)}"
    for platform, hosts, pattern in _PATTERNS:
        if hosts == ("rsshub",):
            m = pattern.search(path)  # RSSHub runs on any host
        elif _on(host, hosts):
            m = pattern.match(path)
        else:
            continue
        if m:
            return platform, f"{platform}:{m.group(1)}"
    return None


def _on(host: str, domains: tuple[str, ...]) -> bool:
    """host is one of `domains` or under one (m.weibo.cn), not merely ending like one."""
    return any(host == d or host.endswith("." + d) for d in domains)


def registered(accounts: Iterable[Account]) -> tuple[set[str], set[str]]:
    """(account keys, account names) of the registry."""
    keys, names = set(), set()
    for account in accounts:
        names.add(_fold(account.name))
        for url in (account.profile, account.feed):
            found = account_key(url) if url else None
            if found:
                keys.add(found[1])
    return keys, names


def _fold(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def check_unregistered(links: Iterable[tuple[str, LinkItem]], named: Iterable[tuple[str, str]],
                       accounts: Iterable[Account]) -> list[Finding]:
    """`links`: (page URL, link) pairs of a site; `named`: (page URL, text) pairs whose text may
    name accounts (官方微信：示例县发布). One finding per unregistered account."""
    keys, names = registered(accounts)
    findings: dict[str, Finding] = {}
    for parent, link in links:
        found = account_key(link.url)
        if found is None or found[1] in keys or found[1] in findings:
            continue
        platform, key = found
        label = link.text.strip() or key.split(":", 1)[1]
        if _fold(label) in names:
            continue  # linked by a registered account's name: the registry lacks only its URL
        findings[key] = _finding(platform, label, link.url, parent, key)
    for parent, text in named:
        for m in _NAMED.finditer(unicodedata.normalize("NFKC", text)):
            name, platform = m.group("name"), _NAMED_PLATFORMS[m.group("platform")]
            if any(word in name for word in _NOT_NAMES):
                continue
            key = f"{platform}-name:{_fold(name)}"
            if _fold(name) in names or key in findings:
                continue
            findings[key] = _finding(platform, name, parent, parent, key)
    return list(findings.values())


def _finding(platform: str, name: str, url: str, parent: str, key: str) -> Finding:
    from .accounts import PLATFORMS

    label = PLATFORMS.get(platform, platform)
    return Finding(
        rule="unregistered-account", category="unregistered_account", severity="major",
        text=f"未备案的政务新媒体：{label}「{name}」", suggestion="将该账号纳入政务新媒体备案，或删除链接并关停账号",
        note="网站链接或提及的政务新媒体账号不在备案清单（accounts）中；“备案之外无政务新媒体”",
        url=url, parent_url=parent if parent != url else None, place=f"account:{key}", key=key,
        extra={"platform": platform, "name": name},
    )
