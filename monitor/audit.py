"""The site audit: what a crawl saw across all pages → the site-level checks.

The `site` spider feeds a SiteAudit as it goes (every HTML page's facts and links, every
fetch result, every attachment read); when the crawl and the link checks are done it asks
for the findings. Keeping this apart from the spider keeps the spider about fetching, and
lets tests drive the audit without a crawl.

Findings made here: columns (stale/blank, veto), home page updates, broken links, identity
(footer items, meta tags, links to bare IP addresses). Attachments are checked like pages
by the check pipeline; here they are only counted.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from .attribution import column_for, department_for
from .checks.freshness import (
    PageFacts, assess_columns, assess_home, column_findings, discover_columns, home_findings, is_list_page,
)
from .checks.identity import check_home_identity, check_ip_links, check_meta_tags
from .checks.links import LinkRef, LinkResult, link_findings, link_summary
from .checks.registry import check_unregistered
from .config import Account, Links, Site, Thresholds
from .finding import Finding
from .checks.privacy import redact
from .extract.listing import is_nav_text, is_paging_text
from .items import LinkItem, PageItem

#: file names at the root of a site that are its home page again (/index.html …)
HOME_ALIASES = frozenset({"index.html", "index.htm", "index.shtml", "index.jsp", "index.php", "index.asp",
                          "index.aspx", "default.html", "default.htm", "default.aspx", "default.asp", "main.htm",
                          "main.html"})

#: attachment types read for terms and personal data (by monitor.readers)
READ_ATTACHMENTS = frozenset({"pdf", "docx", "xlsx", "xls", "csv", "txt", "doc", "wps", "et"})


class SiteAudit:
    """Collects what the crawl saw of one site; `finish()` turns it into site-level findings."""

    def __init__(self, site: Site, home_url: str, thresholds: Thresholds, kind_map: dict[str, list[str]],
                 as_of: date, links: Links, accounts: list[Account] | None = None) -> None:
        self.site = site
        self.home_url = home_url
        self.thresholds = thresholds
        self.kind_map = kind_map
        self.as_of = as_of
        self.links = links
        self.accounts = accounts  # the new-media registry; None: no config, no registry check
        self.netloc = urlsplit(home_url).netloc.lower()
        self.facts: dict[str, PageFacts] = {}
        self.refs: dict[str, LinkRef] = {}
        self.results: dict[str, LinkResult] = {}
        self.link_names: dict[str, str] = {}
        self.paging: dict[str, str] = {}  # page → the list page whose paging link led to it
        self.redirects: dict[str, str] = {}  # requested URL → URL reached
        self.checking: set[str] = set()  # link targets handed out while the crawl went on
        self._new_targets: list[str] = []  # first seen since the last offsite_targets()
        self._skip_hosts = {h.lower() for h in links.skip_hosts}
        self._allow_hosts = {h.lower() for h in links.allow_hosts}
        self.home_key = home_url  # the home page's URL as read (after redirects)
        self.home_text: str | None = None
        self.home_links: list[LinkItem] = []
        self.attachments_read = 0
        self.attachments_failed: Counter[str] = Counter()  # reason → count
        self.attachments_not_read: Counter[str] = Counter()  # extension → count

    # ------------------------------------------------------------------ feeding
    def is_home(self, url: str) -> bool:
        """The home page, or the same page under another root name (/index.html)."""
        if url in (self.home_url, self.home_key):
            return True
        parts = urlsplit(url)
        return parts.netloc.lower() == self.netloc and not parts.query \
            and parts.path.lstrip("/").lower() in HOME_ALIASES

    def page(self, item: PageItem, is_home: bool) -> None:
        """One HTML page that was read."""
        if not is_home and self.is_home(item.url) and self.home_key in self.facts:
            return  # /index.html beside /: the home page again, already counted
        self.facts[item.url] = PageFacts(
            url=item.url, is_home=is_home, depth=item.depth, title=item.title, meta=dict(item.meta),
            published=item.published, entries=list(item.list_entries), blank_notice=item.blank_notice,
            main_chars=item.main_chars if item.main_chars is not None else len(item.main_text),
            scripted=item.scripted,
        )
        if is_home:
            self.home_key = item.url  # where the home page really is (after any redirect)
            self.home_text = "\n".join([item.main_text, *item.chrome_blocks])
            self.home_links = list(item.links) + list(item.attachments)
        self._links(item, is_home)

    def _links(self, item: PageItem, is_home: bool) -> None:
        for link in list(item.links) + list(item.attachments):
            if link.kind == "script":
                continue  # read for identity only
            ref = self.refs.get(link.url)
            if ref is None:
                ref = self.refs[link.url] = LinkRef(url=link.url, kind=link.kind)
                self._new_targets.append(link.url)
            ref.add(item.url, link.text, is_home)
            if link.kind != "page":
                continue
            if link.text and link.url not in self.link_names and len(link.text) <= 20 \
                    and not is_nav_text(link.text):
                self.link_names[link.url] = link.text
            if is_paging_text(link.text) and link.url not in self.facts and link.url not in self.paging:
                self.paging[link.url] = item.url  # 下一页, 2, 尾页: the same list, further on

    def redirect(self, requested: str, reached: str) -> None:
        """A request for `requested` ended at `reached` (configured columns may redirect)."""
        if requested != reached:
            self.redirects[requested] = reached

    def result(self, url: str, status: int | None, error: str | None = None, via: str = "crawl") -> None:
        """What fetching `url` gave (a page, an attachment or a link check)."""
        self.results[url] = LinkResult(status=status, error=error, via=via)

    def attachment(self, extension: str | None, error: str | None) -> None:
        if error:
            self.attachments_failed[error] += 1
        else:
            self.attachments_read += 1

    def attachment_not_read(self, extension: str | None) -> None:
        self.attachments_not_read[extension or "?"] += 1

    # ------------------------------------------------------------------ link checks
    def targets_to_check(self, skip_internal_pages: bool = False) -> list[str]:
        """Link targets not fetched yet that the link check should request.

        Off-site targets only when `links.external`; never a host in `links.skip_hosts`.
        With `skip_internal_pages` (the crawl stopped at max_pages), internal pages it did
        not reach are left alone: checking them would be the crawl the cap stopped."""
        if not self.links.check:
            return []
        out = []
        for url, ref in self.refs.items():
            if url in self.results or url in self.checking or ref.kind == "script":
                continue
            internal = self._allowed(url)
            if internal is None or (internal and skip_internal_pages and ref.kind == "page"):
                continue
            out.append(url)
        return out

    def offsite_targets(self) -> list[str]:
        """Link targets first seen since the last call that are on other hosts and that the
        link check should request: they need not wait for the end of the crawl, which never
        fetches another host's pages. Each is handed out once (`checking`); targets_to_check
        leaves them out."""
        new, self._new_targets = self._new_targets, []
        if not self.links.check:
            return []
        out = [url for url in new if url not in self.results and self._allowed(url) is False]
        self.checking.update(out)
        return out

    def _allowed(self, url: str) -> bool | None:
        """None if the link check must not request `url` (a skipped host, a host not allowed,
        another site's when `links.external` is off), else whether it is on the site's host."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host in self._skip_hosts or (self._allow_hosts and host not in self._allow_hosts):
            return None
        internal = parts.netloc.lower() == self.netloc
        if not internal and not self.links.external:
            return None
        return internal

    # ------------------------------------------------------------------ findings
    def _column_name(self, page: PageFacts) -> str | None:
        column = column_for(self.site, page.url)
        return column.name if column else page.meta_value("ColumnName")

    def _department(self, url: str) -> str | None:
        return department_for(self.site, url, column_for(self.site, url))

    def finish(self) -> tuple[list[Finding], dict[str, Any]]:
        findings: list[Finding] = []
        summary: dict[str, Any] = {}
        home_url = self.home_key
        pages = [p for p in self.facts.values() if p.url == home_url or not self.is_home(p.url)]
        home = self.facts.get(home_url)
        failed = {u: r.describe() for u, r in self.results.items() if r.broken}
        broken = frozenset(failed)

        columns = discover_columns(self.site, pages, self.kind_map, self.thresholds, self.link_names, failed,
                                   self.paging, self.redirects)
        assess_columns(columns, pages, self.as_of, broken)
        findings += column_findings(columns, self.thresholds, self.site.id, home_url,
                                    self.site.department or None)
        summary["columns"] = [c.to_dict() for c in columns]

        if home is not None:
            linked = {ref.url for ref in self.refs.values() if home.url in ref.parents}
            second = [p for p in pages if p.url in linked and is_list_page(p)]
            state = assess_home(home, second, self.as_of, self.thresholds.home_days)
            findings += home_findings(state, self.thresholds, self.as_of, self.site.id, home_url,
                                      self.site.department or None)
            summary["home"] = {"recent_items": state.recent_items, "dated_items": state.dated_items,
                               "newest": state.newest.isoformat() if state.newest else None,
                               "navigation_only": state.navigation_only, "days": self.thresholds.home_days}
            findings += check_home_identity(home_url, self.home_text or "", self.home_links)

        column_pages = {u for c in columns for u in c.pages}
        entry_urls = {e.url for c in columns for u in c.pages for e in self.facts[u].entries}
        roles = []
        for page in pages:
            if page.is_home:
                role = "home"
            elif page.url in column_pages:
                role = "list"
            elif page.is_article or page.url in entry_urls:
                role = "article"
            else:
                role = "other"
            roles.append((page.url, role, {k for k, v in page.meta.items() if v.strip()}))
        findings += check_meta_tags(home_url, roles)
        pairs = [(parent, LinkItem(url=ref.url, text=ref.text, kind=ref.kind))
                 for ref in self.refs.values() for parent in ref.parents[:1]]
        findings += check_ip_links(urlsplit(home_url).hostname or "", pairs)

        if self.accounts:  # without a registry there is nothing to compare with
            unregistered = check_unregistered(pairs, [(home_url, self.home_text or "")], self.accounts)
            for f in unregistered:
                f.department = self._department(f.parent_url or home_url)
            findings += unregistered
        links = link_findings(self.refs, self.results, self.site.id, self._department)
        for f in links:  # the list row names the page to fix: its column, date and title
            parent = self.facts.get(f.parent_url or "")
            if parent is not None:
                f.column = self._column_name(parent)
                f.published = parent.published
                f.page_title = parent.title or None
        findings += links
        summary["links"] = link_summary(self.refs, self.results)
        summary["attachments"] = {
            "read": self.attachments_read,
            "failed": sum(self.attachments_failed.values()),
            "failed_reasons": dict(self.attachments_failed.most_common(5)),
            "not_read": dict(self.attachments_not_read),
        }
        for f in findings:
            f.site = self.site.id
            if f.department is None and f.category != "broken_link":
                f.department = self.site.department or None
            mask_finding(f)
        return findings, redact_all(summary)


def redact_all(value: Any) -> Any:
    """`redact` every string in a nested structure (lists, dicts)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_all(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_all(v) for k, v in value.items()}
    return value


def mask_finding(f: Finding) -> None:
    """Mask personal numbers in every field of a site-level finding, its identity included:
    URLs, titles and column names of 公示 pages may carry ID or phone numbers, and a
    fingerprint must never be a hash of one. (Masking is length-preserving and stable, so
    the fingerprint stays the same from scan to scan.)"""
    for name in ("text", "suggestion", "note", "context", "url", "parent_url", "column", "page_title",
                 "place", "key"):
        value = getattr(f, name)
        if isinstance(value, str):
            setattr(f, name, redact(value))
    f.extra = redact_all(f.extra)
