"""Freshness: columns (栏目) that are stale or blank, a home page that is not updated, and the
national checklist's veto conditions over them (RULES.md §1–2). Pure: the crawl hands in
what it saw; nothing here fetches anything.

Columns come from config and from discovery. A page is a column's list page when it is a
configured column URL, or — not the home page, not an article (no ArticleTitle/PubDate
meta) — when its main content is mostly a list of at least MIN_DATED_ENTRIES dated links
(any dated links when it carries a ColumnName meta tag), or it says there is nothing here
(暂无信息), or carries a ColumnName meta tag with no entries and little text. Paging (index_1.html, ?page=2) belongs to the first page's column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable

from ..attribution import department_for
from ..config import Column, Site, Thresholds
from ..extract.links import canonicalize_url, column_base
from ..finding import Finding
from ..items import ListEntry

#: dated entries that make a page a list page (with the text share below)
MIN_DATED_ENTRIES = 3
#: share of the main text that entry titles must make up on a discovered list page
MIN_LIST_SHARE = 0.35
#: a page with a ColumnName tag, no entries and less main text than this is an empty column
EMPTY_TEXT_CHARS = 120
#: a page saying 暂无信息 is an empty column only when it is this short
BLANK_PAGE_CHARS = 600

KIND_LABELS = {"news": "动态要闻类", "notice": "通知公告类", "policy": "政策文件类", "personnel": "人事类",
               "plan": "规划计划类", "other": "其他"}
_ARTICLE_META = ("articletitle", "pubdate")


@dataclass
class PageFacts:
    """What the site-level checks need to know about one crawled HTML page."""

    url: str
    is_home: bool = False
    depth: int = 0
    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    published: date | None = None
    entries: list[ListEntry] = field(default_factory=list)
    blank_notice: bool = False
    main_chars: int = 0
    scripted: bool = False  # inline scripts may build its list where the crawl cannot see it

    def meta_value(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.meta.items() if k.lower() == name and v.strip()), None)

    @property
    def is_article(self) -> bool:
        return any(self.meta_value(name) for name in _ARTICLE_META)


@dataclass
class ColumnState:
    """One column as the checklist sees it."""

    url: str  # its first list page
    name: str
    kind: str
    kind_source: str  # config | meta | keyword | default
    configured: bool
    department: str | None = None
    pages: list[str] = field(default_factory=list)
    entries: int = 0
    dated_entries: int = 0
    newest: date | None = None
    newest_source: str | None = None  # list | article
    max_days: int = 0
    days_since: int | None = None
    stale: bool = False
    blank: bool = False
    blank_reason: str | None = None
    fetch_error: str | None = None
    unverified: str | None = None  # why neither blank nor stale could be decided

    def to_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "pages"}
        out["newest"] = self.newest.isoformat() if self.newest else None
        out["pages"] = len(self.pages)
        return out


def column_kind(name: str, kind_map: dict[str, list[str]], configured: str | None = None,
                column_type: str | None = None) -> tuple[str, str]:
    """(kind, source): the configured kind, else a ColumnType meta naming one of our kinds,
    else the first kind in `kind_map` with a keyword in the name, else other."""
    if configured:
        return configured, "config"
    if column_type and column_type.strip().lower() in KIND_LABELS:
        return column_type.strip().lower(), "meta"
    for kind, words in kind_map.items():
        if any(word and word in name for word in words):
            return kind, "keyword"
    return "other", "default"


def is_list_page(page: PageFacts) -> bool:
    """A discovered list page (see the module docstring)."""
    if page.is_home or page.is_article:
        return False
    dated = [e for e in page.entries if e.date]
    if len(dated) >= MIN_DATED_ENTRIES:
        listed = sum(len(e.text) for e in page.entries)
        return listed >= MIN_LIST_SHARE * max(page.main_chars, 1)
    if page.blank_notice and not dated and page.published is None and page.main_chars < BLANK_PAGE_CHARS:
        return True  # a short page saying 暂无信息, not an article that mentions it
    if dated and page.meta_value("ColumnName"):
        # a short column (one or two items) on a page that names its column
        return sum(len(e.text) for e in page.entries) >= MIN_LIST_SHARE * max(page.main_chars, 1)
    return bool(page.meta_value("ColumnName")) and not page.entries and page.main_chars < EMPTY_TEXT_CHARS \
        and not page.scripted


def _clean_title(title: str, site_name: str) -> str:
    for sep in ("_", "-", "|", "－", "—"):
        if sep in title:
            head = title.split(sep)[0].strip()
            if head and head != site_name:
                return head
    return title.strip()


def discover_columns(site: Site, pages: Iterable[PageFacts], kind_map: dict[str, list[str]],
                     thresholds: Thresholds, link_names: dict[str, str] | None = None,
                     failed: dict[str, str] | None = None, paging: dict[str, str] | None = None,
                     redirects: dict[str, str] | None = None) -> list[ColumnState]:
    """Configured columns first (in config order), then discovered ones (by URL).

    `link_names` maps a URL to the text of a link pointing to it (navigation names);
    `failed` maps URLs whose fetch failed to the reason (a configured column that cannot be
    opened is blank to an inspector); `paging` maps a page to the list page whose paging
    link (下一页, 2, 尾页) led to it; `redirects` maps requested URLs to where they led."""
    link_names = link_names or {}
    failed = failed or {}
    paging = paging or {}
    redirects = redirects or {}
    pages = list(pages)

    def base_of(url: str) -> str:
        seen = set()
        while url in paging and url not in seen:
            seen.add(url)
            url = paging[url]
        return column_base(url)

    by_base: dict[str, list[PageFacts]] = {}
    for page in pages:
        by_base.setdefault(base_of(page.url), []).append(page)
    # a page listed with a date on another list page is an article of that list, whatever
    # dated links it shows itself (a 相关阅读 box)
    listed = {e.url for p in pages for e in p.entries if e.date and e.url != p.url}
    columns: dict[str, ColumnState] = {}
    configured: dict[str, Column] = {}
    for col in site.columns:
        url = canonicalize_url(col.url)
        configured[base_of(redirects.get(url, url))] = col
    order = list(configured) + sorted(b for b, ps in by_base.items()
                                      if b not in configured and b not in listed
                                      and any(is_list_page(p) for p in ps))
    for base in order:
        group = by_base.get(base, [])
        first = next((p for p in group if p.url == base), group[0] if group else None)
        col = configured.get(base)
        meta_name = first.meta_value("ColumnName") if first else None
        name = (col.name if col else None) or meta_name or link_names.get(base) \
            or (_clean_title(first.title, site.name) if first else "") or base
        kind, source = column_kind(name, kind_map, col.kind if col else None,
                                   first.meta_value("ColumnType") if first else None)
        state = ColumnState(url=base, name=name, kind=kind, kind_source=source, configured=col is not None,
                            department=department_for(site, base, col),
                            pages=[p.url for p in group],
                            max_days=(col.max_days if col and col.max_days else thresholds.days_for(kind)))
        if col is not None and not group:
            state.fetch_error = failed.get(base) or "未抓取到该栏目页面"
        columns[base] = state
    return list(columns.values())


def assess_columns(columns: list[ColumnState], pages: Iterable[PageFacts], today: date,
                   broken: set[str] | frozenset[str] = frozenset()) -> list[ColumnState]:
    """Fill in entries, newest date, days since, stale and blank for each column.

    The newest date is the newest entry date on the column's list pages, else the newest
    publication date of its crawled articles. `broken` holds link targets found broken: a
    column whose every entry is broken is blank."""
    by_url = {p.url: p for p in pages}
    for col in columns:
        entries: dict[str, ListEntry] = {}
        for url in col.pages:
            for entry in by_url[url].entries:
                entries.setdefault(entry.url, entry)
        col.entries = len(entries)
        dated = [e.date for e in entries.values() if e.date and e.date <= today + timedelta(days=1)]
        col.dated_entries = len(dated)
        if dated:
            col.newest, col.newest_source = max(dated), "list"
        else:
            published = [by_url[u].published for u in entries if u in by_url and by_url[u].published]
            if published:
                col.newest, col.newest_source = max(published), "article"
        blank_notice = any(by_url[u].blank_notice for u in col.pages)
        scripted = any(by_url[u].scripted for u in col.pages)
        if not entries and scripted and not blank_notice and not col.fetch_error:
            col.unverified = "栏目列表由网页脚本加载，无法自动读取，请人工检查"
            continue
        if col.fetch_error:
            col.blank, col.blank_reason = True, f"栏目页面无法打开（{col.fetch_error}）"
        elif not entries:
            col.blank = True
            col.blank_reason = "栏目显示“暂无信息”类提示" if blank_notice else "栏目无任何信息条目"
        elif all(url in broken for url in entries):
            col.blank, col.blank_reason = True, "栏目中的信息链接全部无法打开"
        if col.newest:
            col.days_since = (today - col.newest).days
        col.stale = not col.blank and (col.newest is None or col.days_since > col.max_days)
    return columns


def column_findings(columns: list[ColumnState], thresholds: Thresholds, site_id: str, home_url: str,
                    default_department: str | None) -> list[Finding]:
    """stale_column and blank_column findings per column, and the site-level veto ones."""
    findings: list[Finding] = []
    for col in columns:
        label = KIND_LABELS[col.kind]
        if col.blank:
            findings.append(Finding(
                rule="blank-column", category="blank_column", severity="major",
                text=f"空白栏目：{col.name}", suggestion="补充栏目内容，或整合、撤销该栏目",
                note=f"{col.blank_reason}（{label}栏目）",
                url=col.url, column=col.name, department=col.department, key="blank-column",
                extra={"kind": col.kind, "reason": col.blank_reason},
            ))
        elif col.stale:
            if col.newest is None:
                text = f"栏目「{col.name}」无法确认更新日期"
                note = (f"{label}栏目应在 {col.max_days} 天内更新；列表和文章均未显示发布日期，"
                        f"无日期的信息按未更新计")
            else:
                overdue = col.days_since - col.max_days
                text = f"栏目「{col.name}」{col.days_since} 天未更新"
                note = (f"{label}栏目应在 {col.max_days} 天内更新；最后更新 {col.newest.isoformat()}，"
                        f"已 {col.days_since} 天，超期 {overdue} 天")
            findings.append(Finding(
                rule="stale-column", category="stale_column", severity="major", text=text,
                suggestion="及时更新栏目内容，或整合、撤销长期不更新的栏目", note=note,
                url=col.url, column=col.name, department=col.department, key="stale-column",
                extra={"kind": col.kind, "last_update": col.newest.isoformat() if col.newest else None,
                       "days_since": col.days_since, "max_days": col.max_days},
            ))
    stale = [c for c in columns if c.stale]
    timely = [c for c in stale if c.kind in ("news", "notice", "policy")]
    blank = [c for c in columns if c.blank]
    site_level = dict(url=home_url, site=site_id, department=default_department,
                      page_title="全站栏目（单项否决）")
    if len(timely) >= thresholds.stale_veto_columns or len(stale) >= thresholds.stale_veto_any:
        why = (f"动态要闻类（{thresholds.news} 天）和通知公告、政策文件类（{thresholds.notice}/{thresholds.policy} 天）"
               f"未按时更新的栏目共 {len(timely)} 个（达到 {thresholds.stale_veto_columns} 个即否决）"
               if len(timely) >= thresholds.stale_veto_columns else
               f"应更新而未更新的栏目共 {len(stale)} 个（达到 {thresholds.stale_veto_any} 个即否决）")
        findings.append(Finding(
            rule="columns-not-updated", category="stale_column", severity="veto",
            text=f"栏目不更新：{len(stale)} 个栏目未按时更新", suggestion="逐一更新或整合、撤销下列栏目",
            note=why + "：" + "、".join(c.name for c in stale), place=f"site:{site_id}:columns",
            key="columns-not-updated", extra={"columns": [c.name for c in stale]}, **site_level,
        ))
    if len(blank) >= thresholds.blank_veto:
        findings.append(Finding(
            rule="blank-columns", category="blank_column", severity="veto",
            text=f"空白栏目 {len(blank)} 个（达到 {thresholds.blank_veto} 个即否决）",
            suggestion="补充内容，或整合、撤销空白栏目", note="空白栏目：" + "、".join(c.name for c in blank),
            place=f"site:{site_id}:blank-columns", key="blank-columns",
            extra={"columns": [c.name for c in blank]}, **site_level,
        ))
    return findings


@dataclass
class HomeState:
    """What the home page shows of updates."""

    dated_items: int = 0  # distinct dated entries looked at
    recent_items: int = 0  # of those, dated within home_days
    newest: date | None = None
    navigation_only: bool = False  # no dated entry on the home page: second-level columns used
    source_pages: int = 1


def assess_home(home: PageFacts, second_level: Iterable[PageFacts], today: date, days: int) -> HomeState:
    """Recent items on the home page; a navigation-only home page (no dated entry at all)
    is judged by the list pages it links to (its second-level columns)."""
    state = HomeState()
    entries = [e for e in home.entries if e.date]
    if not entries:
        state.navigation_only = True
        pages = [p for p in second_level if not p.is_home]
        state.source_pages = len(pages)
        seen: dict[str, ListEntry] = {}
        for page in pages:
            for entry in page.entries:
                if entry.date:
                    seen.setdefault(entry.url, entry)
        entries = list(seen.values())
    since = today - timedelta(days=days)
    valid = [e.date for e in entries if e.date and e.date <= today + timedelta(days=1)]
    state.dated_items = len({e.url for e in entries})
    state.recent_items = len({e.url for e in entries if e.date and since <= e.date <= today + timedelta(days=1)})
    state.newest = max(valid) if valid else None
    return state


def home_findings(state: HomeState, thresholds: Thresholds, today: date, site_id: str, home_url: str,
                  department: str | None) -> list[Finding]:
    where = ("首页的二级栏目" if state.navigation_only else "首页栏目")
    common = dict(url=home_url, site=site_id, department=department, page_title="网站首页")
    findings = []
    if state.recent_items == 0:
        newest = f"最新信息日期 {state.newest.isoformat()}（{(today - state.newest).days} 天前）" if state.newest \
            else "首页信息均无发布日期（无日期按未更新计）"
        findings.append(Finding(
            rule="site-not-updated", category="site_not_updated", severity="veto",
            text=f"网站不更新：{where}近 {thresholds.home_days} 天无新信息",
            suggestion="及时在首页栏目发布信息", note=f"{newest}；首页 {thresholds.home_days} 天内无更新属单项否决",
            place=f"site:{site_id}:home-updates", key="site-not-updated", **common,
        ))
    elif state.recent_items < thresholds.home_min_items:
        findings.append(Finding(
            rule="home-few-updates", category="site_not_updated", severity="major",
            text=f"首页近 {thresholds.home_days} 天更新信息 {state.recent_items} 条",
            suggestion=f"首页近两周更新量应不少于 {thresholds.home_min_items} 条",
            note=f"{where}近 {thresholds.home_days} 天新信息少于 {thresholds.home_min_items} 条（扣分项）",
            place=f"site:{site_id}:home-updates", key="home-few-updates", **common,
        ))
    return findings
