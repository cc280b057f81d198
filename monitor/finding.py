"""The Finding record shared by checks, the store, reports and exports.

Field names follow the contract in docs/architecture.md ("Finding"). Checks fill in
what they know about the text (rule, category, severity, text, offsets, context);
the pipeline adds where it was found (url, site, department, page title, date).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: category id → label shown to people (Simplified Chinese)
CATEGORIES: dict[str, str] = {
    "severe_error": "严重错误",
    "sensitive": "违规/敏感内容",
    "outdated": "过时表述",
    "typo": "错别字",
    "privacy": "个人隐私",
    "stale_column": "栏目不更新",
    "blank_column": "空白栏目",
    "site_not_updated": "网站不更新",
    "broken_link": "链接不可用",
    "identity": "网站标识/备案",
    "availability": "站点无法访问",
    "dormant_account": "新媒体不更新",
    "unregistered_account": "未备案新媒体",
    "interaction": "互动回应",
}

#: severity id → label, most serious first
SEVERITIES: dict[str, str] = {
    "veto": "单项否决",
    "major": "扣分",
    "minor": "一般",
    "info": "提示",
}

#: finding status id → label
STATUSES: dict[str, str] = {
    "new": "新发现",
    "open": "未整改",
    "reopened": "再次出现",
    "fixed": "已整改",
    "ignored": "已忽略",
}

SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

#: categories the text checks (terms, personal data) produce: a page's own findings, which
#: an unchanged page still has (incremental scans carry them over without re-checking)
TEXT_CATEGORIES = ("severe_error", "sensitive", "outdated", "typo", "privacy")


@dataclass
class Finding:
    """One problem at one place."""

    rule: str
    category: str
    severity: str
    text: str  # the suspect text; for personal data always the masked form
    suggestion: str | None = None
    context: str = ""  # surrounding text, personal numbers masked
    start: int | None = None  # offsets of `text` in the checked text as given
    end: int | None = None
    context_start: int | None = None  # offsets of the hit inside `context`
    context_end: int | None = None
    note: str | None = None  # 修改说明: why this is a problem
    # where — filled in by the pipeline, not by checks
    url: str | None = None
    parent_url: str | None = None
    site: str | None = None
    column: str | None = None
    department: str | None = None
    page_title: str | None = None
    published: date | None = None
    account: str | None = None  # new-media account id (account findings)
    # lifecycle — filled in by the store
    status: str | None = None
    first_seen: date | None = None
    last_seen: date | None = None
    opened_on: date | None = None  # first seen, or seen again after a fix: the deadline runs from here
    fixed_on: date | None = None
    fixed_scan_id: int | None = None
    ignored_on: date | None = None
    ignored_reason: str | None = None
    ignored_by: str | None = None
    id: int | None = None
    # identity: what the fingerprint is made of, beyond rule and place (already masked)
    key: str | None = None
    place: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # the fingerprint as stored, for findings read back from the store
    stored_fingerprint: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown finding category {self.category!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown finding severity {self.severity!r}")

    @property
    def fingerprint(self) -> str:
        """Stable identity across scans: rule + place + normalised matched text."""
        if self.stored_fingerprint:
            return self.stored_fingerprint
        place = self.place or self.url or ""
        key = self.key if self.key is not None else self.text
        raw = "\x1f".join([self.rule, place, key])
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO strings)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "stored_fingerprint":
                continue
            value = getattr(self, f.name)
            if isinstance(value, date):
                value = value.isoformat()
            out[f.name] = value
        out["fingerprint"] = self.fingerprint
        return out


def make_context(text: str, start: int, end: int, width: int = 30,
                 replacement: str | None = None) -> tuple[str, int, int]:
    """Cut `width` characters either side of text[start:end].

    Returns (context, hit_start, hit_end) with the hit's offsets inside the context.
    With `replacement`, the hit itself is replaced (used to mask personal numbers).
    Line breaks are folded to spaces so a context reads as one line.
    """
    left = text[max(0, start - width):start]
    right = text[end:end + width]
    hit = text[start:end] if replacement is None else replacement
    prefix = ("…" if start - width > 0 else "") + left
    suffix = right + ("…" if end + width < len(text) else "")
    prefix, suffix = _fold_ws(prefix), _fold_ws(suffix)
    context = prefix + hit + suffix
    return context, len(prefix), len(prefix) + len(hit)


_WS = re.compile(r"\s+")


def _fold_ws(s: str) -> str:
    return _WS.sub(" ", s)
