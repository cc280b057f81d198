"""A department's rectification list (整改清单) as rows: pure functions, no I/O.

Every open finding gets a deadline (`deadlines` days by severity, counted from the day it was
first found or found again after a fix) and the days it has been open, and falls into one
section: overdue, new, still open; beside them the findings fixed by the latest scans and
the ones marked false positives. The HTML, XLSX and JSON lists and the emails all read
these rows, so they always agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable
from urllib.parse import urlsplit

from .checks.links import RESOURCE_LABELS as RESOURCE_TYPES
from .config import Config
from .finding import CATEGORIES, SEVERITIES, SEVERITY_RANK, STATUSES, Finding

UNASSIGNED = "unassigned"

#: section id → heading, in the order a list shows them
SECTIONS: dict[str, str] = {
    "overdue": "逾期未整改",
    "new": "新发现",
    "open": "未整改（整改期限内）",
    "fixed": "最近一次扫描确认已整改",
    "ignored": "已忽略（确认为误报）",
}
TODO_SECTIONS = ("overdue", "new", "open")

COLUMN_KINDS = {"news": "动态要闻", "notice": "通知公告", "policy": "政策文件", "personnel": "人事",
                "plan": "规划计划", "other": "其他"}


@dataclass
class Row:
    """One finding in a list, with what the department needs to act on it."""

    finding: Finding
    section: str
    deadline: date | None  # None for fixed and ignored findings
    days_open: int  # days since it was (re)opened, up to the scan date (连续未整改天数)
    days_left: int | None  # days until the deadline (negative: overdue by that many)

    @property
    def overdue(self) -> bool:
        return self.section == "overdue"

    @property
    def id(self) -> int | None:
        return self.finding.id


def safe_url(url: str | None) -> str:
    """Only http(s) URLs become links; anything else (javascript:, data:) is not clickable."""
    if url and urlsplit(url).scheme.lower() in ("http", "https"):
        return url
    return "#"


def sort_key(f: Finding) -> tuple[Any, ...]:
    return (SEVERITY_RANK.get(f.severity, 9), list(CATEGORIES).index(f.category), f.url or "", f.start or 0)


def make_row(f: Finding, config: Config, today: date) -> Row:
    """Place one finding: overdue beats new (a finding nobody rescanned can be both)."""
    opened = f.opened_on or f.first_seen or today
    days_open = max((today - opened).days, 0)
    if f.status == "fixed":
        return Row(f, "fixed", None, max(((f.fixed_on or today) - opened).days, 0), None)
    if f.status == "ignored":
        return Row(f, "ignored", None, days_open, None)
    deadline = opened + timedelta(days=config.deadlines.days_for(f.severity))
    days_left = (deadline - today).days
    # new: first seen (or back) by the latest scans — by date, so a second scan the same
    # day (a rerun after a failed night) does not turn tonight's new problems into old ones
    fresh = f.status in ("new", "reopened") or opened == today
    section = "overdue" if days_left < 0 else "new" if fresh else "open"
    return Row(f, section, deadline, days_open, days_left)


@dataclass
class DepartmentList:
    """One department's list for one scan date."""

    id: str
    name: str
    emails: list[str]
    rows: list[Row]
    filename: str  # the HTML list's file name; .xlsx and .json beside it share the stem
    accounts: list[dict[str, Any]] = field(default_factory=list)

    def section(self, name: str) -> list[Row]:
        return [r for r in self.rows if r.section == name]

    @property
    def todo(self) -> list[Row]:
        """Everything still to fix: overdue first, then new, then the rest (each most serious first)."""
        order = {s: i for i, s in enumerate(TODO_SECTIONS)}
        return sorted((r for r in self.rows if r.section in order),
                      key=lambda r: (order[r.section], sort_key(r.finding)))

    @property
    def findings(self) -> list[Finding]:
        return [r.finding for r in self.todo]

    @property
    def counts(self) -> Counter:
        """Findings still to fix by severity."""
        return Counter(r.finding.severity for r in self.todo)

    @property
    def section_counts(self) -> Counter:
        return Counter(r.section for r in self.rows)

    @property
    def next_deadline(self) -> date | None:
        deadlines = [r.deadline for r in self.todo if r.deadline is not None and not r.overdue]
        return min(deadlines, default=None)

    @property
    def stem(self) -> str:
        return self.filename.rsplit(".", 1)[0]


def department_lists(config: Config, findings: Iterable[Finding], today: date) -> list[DepartmentList]:
    """One list per configured department (in config order), plus one for findings whose
    department is not configured. `findings`: open ones, those fixed by the latest scans and
    the ignored ones."""
    names = {d.id: d for d in config.departments}
    rows: dict[str, list[Row]] = {d.id: [] for d in config.departments}
    for f in sorted(findings, key=sort_key):
        dept = f.department if f.department in names else UNASSIGNED
        rows.setdefault(dept, []).append(make_row(f, config, today))
    lists = []
    for dept, items in rows.items():
        if dept == UNASSIGNED and not items:
            continue
        d = names.get(dept)
        lists.append(DepartmentList(dept, d.name if d else "未归属部门", list(d.email) if d else [],
                                    items, f"{dept}.html"))
    return lists


# ---------------------------------------------------------------------------------- row fields

#: the list's columns (RULES.md §7), as (key, heading); the XLSX and JSON exports use these keys
FIELDS: list[tuple[str, str]] = [
    ("id", "问题编号"),
    ("section", "整改状态"),
    ("category", "问题类型"),
    ("severity", "问题级别"),
    ("text", "疑似错误"),
    ("suggestion", "推荐修改"),
    ("note", "修改说明"),
    ("context", "所在上下文"),
    ("page_title", "页面标题"),
    ("url", "页面链接"),
    ("parent_url", "父页面链接"),
    ("column", "栏目"),
    ("published", "发布时间"),
    ("site_name", "网站名称"),
    ("site_code", "网站标识码"),
    ("account", "新媒体账号"),
    ("department", "责任单位"),
    ("first_seen", "首次发现"),
    ("last_seen", "最近发现"),
    ("days_open", "连续未整改天数"),
    ("deadline", "整改期限"),
    ("location", "快照/定位"),
    ("http_status", "HTTP 状态"),
    ("resource_type", "资源类型"),
    ("column_kind", "栏目类别"),
    ("last_update", "最后更新日期"),
    ("days_since_update", "未更新天数"),
    ("fixed_on", "整改确认日期"),
    ("ignored", "忽略理由"),
    ("fingerprint", "问题指纹"),
]


def row_fields(row: Row, config: Config, department_name: str) -> dict[str, Any]:
    """The row as plain values (str, int, date or None), keyed as in FIELDS."""
    f = row.finding
    extra = f.extra or {}
    site = next((s for s in config.sites if s.id == f.site), None)
    account = next((a for a in config.accounts if a.id == f.account), None) if f.account else None
    location = None
    if f.start is not None and f.end is not None:
        location = f"字符位置 {f.start}–{f.end}"
    ignored = None
    if f.status == "ignored":
        ignored = "；".join(x for x in (f.ignored_reason, f"操作人：{f.ignored_by}" if f.ignored_by else None,
                                       f"日期：{f.ignored_on}" if f.ignored_on else None) if x)
    return {
        "id": f.id,
        "section": SECTIONS[row.section],
        "category": CATEGORIES.get(f.category, f.category),
        "severity": SEVERITIES.get(f.severity, f.severity),
        "text": f.text,
        "suggestion": f.suggestion,
        "note": f.note,
        "context": f.context or None,
        "page_title": f.page_title,
        "url": f.url,
        "parent_url": f.parent_url,
        "column": f.column,
        "published": f.published,
        "site_name": site.name if site else ("政务新媒体" if f.account else f.site),
        "site_code": site.code if site else None,
        "account": f"{account.name}（{account.id}）" if account else f.account,
        "department": department_name,
        "first_seen": f.first_seen,
        "last_seen": f.last_seen,
        "days_open": row.days_open,
        "deadline": row.deadline,
        "location": location,
        "http_status": extra.get("status") if f.category == "broken_link" else None,
        "resource_type": RESOURCE_TYPES.get(extra.get("resource_type", ""), extra.get("resource_type"))
        if f.category == "broken_link" else None,
        "column_kind": COLUMN_KINDS.get(extra.get("kind", ""), None) if f.category in ("stale_column",
                                                                                     "blank_column") else None,
        "last_update": extra.get("last_update") if f.category == "stale_column" else None,
        "days_since_update": extra.get("days_since") if f.category == "stale_column" else None,
        "fixed_on": f.fixed_on,
        "ignored": ignored,
        "fingerprint": f.fingerprint,
        "status": STATUSES.get(f.status or "", f.status),
    }
