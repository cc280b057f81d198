"""Broken links: every distinct link target of a site, checked once per scan (RULES.md §2).

Pure: the crawl records where each target is linked from (LinkRef) and what fetching it
gave (LinkResult); this module decides what is broken and words the findings. A link is
broken when its target answers 4xx/5xx (after a GET, never on a HEAD alone) or cannot be
fetched (refused, timed out after retries, DNS, redirect loop). 401, 403 and 429 are not
called broken, nor 412/418/521 (anti-bot services): servers answer them to robots while
people see the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..finding import Finding

#: answers that say "not for robots" rather than "gone": reported as unverified, not broken
#: (412 and 521 are what the 瑞数 and 加速乐 anti-bot services answer without their cookie)
UNVERIFIABLE_STATUSES = frozenset({401, 403, 412, 418, 429, 521})
#: parent pages kept per target (the home page first)
MAX_PARENTS = 5

RESOURCE_LABELS = {"page": "网页", "attachment": "附件", "image": "图片", "external": "外部链接",
                   "other": "其他"}


@dataclass
class LinkRef:
    """Where one link target is linked from."""

    url: str
    kind: str = "page"
    text: str = ""
    parents: list[str] = field(default_factory=list)
    pages: int = 0  # how many pages link to it
    on_home: bool = False

    def add(self, parent: str, text: str, is_home: bool) -> None:
        self.pages += 1
        if not self.text and text:
            self.text = text
        if is_home:
            self.on_home = True
            if parent in self.parents:
                self.parents.remove(parent)
            self.parents.insert(0, parent)
            del self.parents[MAX_PARENTS:]
        elif len(self.parents) < MAX_PARENTS and parent not in self.parents:
            self.parents.append(parent)


@dataclass
class LinkResult:
    """What fetching a target gave: an HTTP status, or an error in words."""

    status: int | None = None
    error: str | None = None
    via: str = "crawl"  # crawl | HEAD | GET

    @property
    def broken(self) -> bool:
        if self.status is not None and self.status in UNVERIFIABLE_STATUSES:
            return False
        if self.status is not None and self.status >= 400:
            return True
        return self.status is None and self.error is not None

    @property
    def unverifiable(self) -> bool:
        return self.status in UNVERIFIABLE_STATUSES

    def describe(self) -> str:
        if self.status is not None and self.status >= 400:
            return f"HTTP {self.status}"
        return self.error or (f"HTTP {self.status}" if self.status else "未知错误")


def link_findings(refs: dict[str, LinkRef], results: dict[str, LinkResult], site_id: str,
                  department_of: Callable[[str], str | None]) -> list[Finding]:
    """One broken_link finding per broken target, placed on its most important parent page
    (the home page when the home page links to it). `department_of(parent_url)` names the
    department that owns the parent page."""
    findings = []
    for url, ref in refs.items():
        result = results.get(url)
        if result is None or not result.broken:
            continue
        parent = ref.parents[0] if ref.parents else None
        label = RESOURCE_LABELS.get(ref.kind, "其他")
        where = "首页" if ref.on_home else "页面"
        more = f"，共 {ref.pages} 个页面含此链接" if ref.pages > 1 else ""
        findings.append(Finding(
            rule="broken-link", category="broken_link", severity="major",
            text=ref.text or url, suggestion="修复链接地址，或删除该链接",
            note=f"{where}{label}链接无法访问：{result.describe()}{more}",
            url=url, parent_url=parent, site=site_id, department=department_of(parent) if parent else None,
            place=url, key=url,
            extra={"status": result.status, "error": result.error, "resource_type": ref.kind,
                   "on_home": ref.on_home, "pages": ref.pages, "parents": ref.parents},
        ))
    return findings


def link_summary(refs: dict[str, LinkRef], results: dict[str, LinkResult]) -> dict[str, int]:
    """Counts for the report: targets, checked, broken (home / other), unverified, not checked."""
    checked = [u for u in refs if u in results]
    broken = [u for u in checked if results[u].broken]
    return {
        "targets": len(refs),
        "checked": len(checked),
        "broken": len(broken),
        "broken_home": sum(1 for u in broken if refs[u].on_home),
        "unverified": sum(1 for u in checked if results[u].unverifiable),
        "not_checked": len(refs) - len(checked),
    }
