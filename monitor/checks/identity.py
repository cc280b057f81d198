"""Website identity checks (RULES.md §4, 《政府网站发展指引》): footer identity items on the
home page, the government meta tags of every page, and links to bare IP addresses.

Pure: the caller extracts text, links and meta tag names; nothing here fetches or parses HTML.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import Iterable
from urllib.parse import unquote, urlsplit

from ..finding import Finding
from ..items import LinkItem

CATEGORY = "identity"
SEVERITY = "major"

_GUIDE = "《政府网站发展指引》"

# -- home page footer ------------------------------------------------------------------------

# 网站标识码: 10 characters — region digits + sequence (5201220001), or letters + digits for
# department sites (bm01000001). Some footers write the label as just 标识码.
_SITE_CODE_LABEL = re.compile(r"(?:网站)?标识码\s*:?\s*([A-Za-z0-9]*)")
_SITE_CODE = re.compile(r"(?:[A-Za-z]{1,4})?[0-9]+")
_SITE_CODE_LEN = 10

# Province abbreviations used in ICP and 公网安备 numbers (with common alternates).
_PROVINCES = "京津沪渝冀豫云滇辽黑湘皖鲁新苏浙赣鄂桂甘陇晋蒙陕秦吉闽黔贵粤青藏川蜀宁琼港澳台"
_ICP = re.compile(rf"[{_PROVINCES}]\s*ICP\s*备\s*\d{{4,}}\s*号?(?:\s*-\s*\d+)?", re.I)
_ICP_LABEL = re.compile(r"ICP\s*备", re.I)
# 黔公网安备 52012202006106号 / 公安备案号 52012202006106 / 公安机关备案号：52012202006106
_POLICE = re.compile(
    r"(?:公\s*网\s*安\s*备|公安(?:机关)?(?:网站)?备案(?:编?号)?)\s*(?:号)?\s*:?\s*(\d{14})(?!\d)"
)
_POLICE_LABEL = re.compile(r"公\s*网\s*安\s*备|公安(?:机关)?(?:网站)?备案")
# 主办单位 / 主办机关 / 主办：… (bare 主办 inside a news sentence does not count; 承办单位 alone neither)
_SPONSOR = re.compile(r"主\s*办\s*(?:单\s*位|机\s*关)|主\s*办\s*:|主\s*办[ \t]+[\u4e00-\u9fff]{4,}")
# 联系方式: a labelled entry, or 联系我们 / 联系方式 anywhere (often a link or a heading).
_CONTACT = re.compile(
    r"联系我们|联系方式"
    r"|(?:联系电话|咨询电话|服务电话|值班电话|电话|传真|电子邮箱|邮箱|E-?mail|Tel|(?<!网站)(?<!网址)地址)\s*:"
    r"|电话\s*\d",
    re.I,
)
_ZHAOCUO_TEXT = "我为政府网站找错"
_ZHAOCUO_HOSTS = ("zfwzzc.www.gov.cn",)
# The 找错 entry is usually inserted by jiucuo.js from zfwzgl.www.gov.cn (formerly
# pucha.kaipuyun.cn): the script, its image (exposure/images/jiucuo.png) and its page.
_ZHAOCUO_SCRIPT_HOSTS = ("zfwzgl.www.gov.cn", "pucha.kaipuyun.cn")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def _path(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return unquote(f"{parts.path}?{parts.query}").lower()


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", _nfkc(text))


def _site_code_status(text: str) -> tuple[bool, list[str]]:
    """(a valid code is shown?, what was found after each label that was not a valid code)."""
    bad: list[str] = []
    for m in _SITE_CODE_LABEL.finditer(text):
        code = m.group(1)
        head = code[:_SITE_CODE_LEN]
        if len(head) == _SITE_CODE_LEN and _SITE_CODE.fullmatch(head) and (
            len(code) == _SITE_CODE_LEN or code[_SITE_CODE_LEN].isalpha()
        ):
            # exactly 10, or 10 then a word glued on by text extraction (5201220001ICP备案号)
            return True, []
        bad.append(code)
    return False, bad


def _is_conac(link: LinkItem) -> bool:
    host = _host(link.url)
    if host == "conac.cn" or host.endswith(".conac.cn"):
        return True
    if link.kind == "image":
        words = _nfkc(link.text) + " " + link.url.lower()
        return "党政机关" in words or "conac" in words.lower()
    return False


def _is_zhaocuo(link: LinkItem) -> bool:
    if _ZHAOCUO_TEXT in _squeeze(link.text):
        return True
    host, path = _host(link.url), _path(link.url)
    if host in _ZHAOCUO_HOSTS or "zfwzzc" in path:
        return True
    return host in _ZHAOCUO_SCRIPT_HOSTS and "jiucuo" in path


def _finding(rule: str, home_url: str, text: str, suggestion: str, note: str,
             extra: dict | None = None) -> Finding:
    return Finding(
        rule=rule,
        category=CATEGORY,
        severity=SEVERITY,
        text=text,
        suggestion=suggestion,
        note=note,
        url=home_url,
        place=home_url,
        key=rule,
        extra=extra or {},
    )


def check_home_identity(home_url: str, text: str, links: list[LinkItem]) -> list[Finding]:
    """Footer identity items missing from the home page, one finding per item.

    `text` is the home page's whole visible text; `links` all its links including images
    (for images, LinkItem.text is the alt/title). Text is NFKC-normalised, so full-width
    digits, letters, colons and spaces match like ASCII ones.
    """
    body = _nfkc(text)
    links = list(links)
    findings: list[Finding] = []

    # 网站标识码
    ok, bad = _site_code_status(body)
    if not ok:
        if bad:
            found = next((c for c in bad if c), "")
            shown = f"“{found}”" if found else "空白"
            findings.append(_finding(
                "identity-site-code", home_url,
                f"首页网站标识码格式不正确：标识码后为{shown}",
                "网站标识码应为10位：地区代码数字加顺序号（如 5201220001），部门网站为字母加数字（如 bm01000001），"
                "请按全国政府网站信息报送系统分配的标识码填写",
                f"{_GUIDE}要求首页底部标注网站标识码（10位）；当前标注为{shown}",
                {"found": found},
            ))
        else:
            findings.append(_finding(
                "identity-site-code", home_url,
                "首页未标注网站标识码",
                "在首页底部标注网站标识码（如 5201220001）",
                f"{_GUIDE}要求首页底部标注网站标识码",
            ))

    # ICP备案编号
    if not _ICP.search(body):
        partial = bool(_ICP_LABEL.search(body))
        findings.append(_finding(
            "identity-icp", home_url,
            "首页ICP备案编号标注不完整" if partial else "首页未标注ICP备案编号",
            "在首页底部标注完整的ICP备案编号（如 黔ICP备10201081号）",
            f"{_GUIDE}要求首页底部标注ICP备案编号",
        ))

    # 公安机关备案号
    if not _POLICE.search(body):
        partial = bool(_POLICE_LABEL.search(body))
        findings.append(_finding(
            "identity-police", home_url,
            "首页公安机关备案号标注不完整" if partial else "首页未标注公安机关备案号",
            "在首页底部标注公安机关备案号（如 黔公网安备 52012202006106号，14位数字）",
            f"{_GUIDE}要求首页底部标注公安机关备案号",
        ))

    # 主办单位
    if not _SPONSOR.search(body):
        findings.append(_finding(
            "identity-sponsor", home_url,
            "首页未标注主办单位",
            "在首页底部标注网站主办单位（如 主办单位：××县人民政府办公室）",
            f"{_GUIDE}要求首页底部标注网站主办单位；仅标注承办单位不能代替主办单位",
        ))

    # 联系方式
    if not (_CONTACT.search(body) or any(_squeeze(link.text) in ("联系我们", "联系方式") for link in links)):
        findings.append(_finding(
            "identity-contact", home_url,
            "首页未标注联系方式",
            "在首页底部标注联系方式（联系电话、地址或电子邮箱），或设置“联系我们”入口",
            f"{_GUIDE}要求首页底部标注网站联系方式",
        ))

    # 党政机关网站标识
    if not any(_is_conac(link) for link in links):
        findings.append(_finding(
            "identity-conac", home_url,
            "首页未放置党政机关网站标识",
            "在首页底部放置党政机关网站标识（红色标识图片，链接到 bszs.conac.cn 的网站注册信息）",
            f"{_GUIDE}要求首页底部展示党政机关网站标识",
        ))

    # 我为政府网站找错
    if not any(_is_zhaocuo(link) for link in links):
        findings.append(_finding(
            "identity-zhaocuo", home_url,
            "首页未设置“我为政府网站找错”入口",
            "在首页底部设置“我为政府网站找错”入口（链接到 zfwzzc.www.gov.cn 的找错页面）",
            f"{_GUIDE}要求首页底部设置“我为政府网站找错”监督举报入口",
        ))
    return findings


# -- meta tags -----------------------------------------------------------------------------

SITE_TAGS = ("SiteName", "SiteDomain", "SiteIDCode")
COLUMN_TAGS = ("ColumnName", "ColumnDescription", "ColumnKeywords", "ColumnType")
ARTICLE_TAGS = ("ArticleTitle", "PubDate", "ContentSource")
ALL_TAGS = SITE_TAGS + COLUMN_TAGS + ARTICLE_TAGS
MAX_EXAMPLES = 3


def required_tags(role: str) -> tuple[str, ...]:
    """The gov meta tags a page of this role must carry (home | list | article | other)."""
    if role == "home":
        return SITE_TAGS
    if role == "article":
        return SITE_TAGS + COLUMN_TAGS + ARTICLE_TAGS
    return SITE_TAGS + COLUMN_TAGS


def check_meta_tags(home_url: str, pages: list[tuple[str, str, set[str]]]) -> list[Finding]:
    """At most one finding summarising the required gov meta tags missing across `pages`.

    `pages` holds (url, role, names of the gov meta tags present); names compare
    case-insensitively. A URL given twice is counted once (its first entry).
    """
    missing: dict[str, list[str]] = {}
    required_on: dict[str, int] = {}
    pages_with_gaps: set[str] = set()
    seen: set[str] = set()
    for url, role, present in pages:
        if url in seen:
            continue
        seen.add(url)
        have = {name.strip().lower() for name in present or ()}
        for tag in required_tags(role):
            required_on[tag] = required_on.get(tag, 0) + 1
            if tag.lower() not in have:
                missing.setdefault(tag, []).append(url)
                pages_with_gaps.add(url)
    if not missing:
        return []
    order = sorted(missing, key=lambda tag: (-len(missing[tag]), ALL_TAGS.index(tag)))
    named = "、".join(order[:2]) + (" 等" if len(order) > 2 else "")
    lines = [f"{_GUIDE}要求每个页面包含 SiteName、SiteDomain、SiteIDCode 元数据，栏目页和文章页还应包含 "
             "ColumnName、ColumnDescription、ColumnKeywords、ColumnType，文章页还应包含 ArticleTitle、PubDate、"
             "ContentSource。缺少情况："]
    for tag in order:
        urls = missing[tag]
        lines.append(f"{tag}：{len(urls)}/{required_on[tag]} 个页面缺少，例如 {'、'.join(urls[:MAX_EXAMPLES])}")
    return [Finding(
        rule="identity-meta",
        category=CATEGORY,
        severity=SEVERITY,
        text=f"{len(pages_with_gaps)} 个页面缺少必备元数据（{named}）",
        suggestion="在页面模板的 <head> 中补充缺少的政府网站元数据标签（<meta name=\"…\" content=\"…\">）",
        note="\n".join(lines),
        url=home_url,
        place=home_url,
        key="identity-meta",
        extra={
            "missing": {tag: {"count": len(missing[tag]), "examples": missing[tag][:MAX_EXAMPLES]}
                        for tag in order},
            "pages_checked": len(seen),
        },
    )]


# -- links to bare IP addresses -----------------------------------------------------------------


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    host = host.strip().strip("[]").split("%", 1)[0]  # drop an IPv6 zone id
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _bare_host(site_host: str) -> str:
    """`site_host` without port or brackets, lowercased; a full URL is accepted too."""
    site_host = (site_host or "").strip()
    if "://" in site_host:
        return _host(site_host)
    if site_host.startswith("["):
        return site_host[1:].split("]", 1)[0].lower()
    if site_host.count(":") == 1:  # host:port (a bare IPv6 address has several colons)
        site_host = site_host.split(":", 1)[0]
    return site_host.lower().rstrip(".")


def check_ip_links(site_host: str, links: Iterable[tuple[str, LinkItem]]) -> list[Finding]:
    """One finding per distinct target URL whose host is a bare IPv4/IPv6 address.

    `links` holds (parent page URL, link) pairs. Links to the site's own host (`site_host`,
    compared without port) are fine even when that host is an IP address.
    """
    own = _bare_host(site_host)
    own_ip = _ip(own)
    findings: list[Finding] = []
    seen: set[str] = set()
    for parent_url, link in links:
        target = link.url
        if target in seen:  # (each target once: a site links the same ones from every page)
            continue
        seen.add(target)
        address = _ip(_host(target))
        if address is None:
            continue
        if (own_ip is not None and address == own_ip) or str(address) == own:
            continue
        findings.append(Finding(
            rule="ip-link",
            category=CATEGORY,
            severity=SEVERITY,
            text=target,
            suggestion="改用域名访问的网址或删除链接",
            note="政府网站不应链接到以IP地址访问的网址",
            url=target,
            parent_url=parent_url,
            place=target,
            key=target,
        ))
    return findings
