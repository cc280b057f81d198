"""Items yielded by the spiders, read through itemadapter.ItemAdapter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class LinkItem:
    """A link found on a page."""

    url: str  # absolute, canonicalised
    text: str = ""
    kind: str = "page"  # page | attachment | image | external | script | other
    extension: str | None = None  # for attachments: pdf, docx, xlsx, …


@dataclass
class ListEntry:
    """One entry of a list page (栏目列表): a link in the main content with its date."""

    url: str  # absolute, canonicalised
    text: str = ""
    date: date | None = None  # the date shown next to the link, if any


@dataclass
class PageItem:
    """One fetched HTML page, extracted. The spider yields one per page."""

    url: str
    status: int
    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)  # gov meta tags: SiteName, PubDate, …
    published: date | None = None
    published_source: str | None = None  # meta | visible | url
    main_text: str = ""  # the page's own content
    chrome_blocks: list[str] = field(default_factory=list)  # nav/header/footer text blocks
    links: list[LinkItem] = field(default_factory=list)
    attachments: list[LinkItem] = field(default_factory=list)
    list_entries: list[ListEntry] = field(default_factory=list)  # links in the main content, dated where shown
    blank_notice: bool = False  # the main content says there is nothing here (暂无信息 …)
    scripted: bool = False  # inline scripts may build content the crawl cannot see
    depth: int = 0
    referer: str | None = None
    encoding: str | None = None
    content_type: str | None = None
    error: str | None = None  # set when the page could not be fetched or parsed
    parent_url: str | None = None  # for an attachment: the page that links to it
    is_attachment: bool = False  # a document (PDF, DOCX, XLSX …) read into main_text
    main_chars: int | None = None  # length of the main text, when the text itself is not at hand
    # incremental scans (monitor/incremental.py)
    cached: bool = False  # unchanged since the last read: rebuilt from the cache, not re-checked
    revalidated: bool = False  # ... and the server confirmed it tonight (304, or the same body)
    etag: str | None = None  # validators and digest of a fresh read, for the cache
    last_modified: str | None = None
    digest: str | None = None
    cache_kind: str | None = None  # list | article | attachment
    cache_scan: int | None = None  # unchanged pages: the scan that read this content
    # filled by the check pipeline
    column: str | None = None  # configured column name, else the ColumnName meta tag
    department: str | None = None  # 责任单位 id
    findings: list[Any] = field(default_factory=list)

    @property
    def column_name(self) -> str | None:
        return self.meta.get("ColumnName") or None


@dataclass
class UnchangedPages:
    """Pages replayed from the cache (incremental scans), handed on together rather than one
    item each: a nightly rescan replays thousands of unchanged articles, and Scrapy's handling
    of an item (spider middlewares, item pipelines, signals) cost more than replaying it.
    The pipelines treat each page as they treat a cached PageItem."""

    pages: list[PageItem] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)  # none of their own (exporters read it)


@dataclass
class SiteAuditItem:
    """The site-level findings of one crawl (columns, home page, links, identity), yielded
    once at the end of the crawl, and the figures behind them for the report."""

    findings: list[Any] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class AccountItem:
    """One new-media account as its feed showed it this scan (the `accounts` spider)."""

    account: str  # the account id in the registry
    feed_url: str | None = None
    status: int | None = None  # HTTP status of the feed
    error: str | None = None  # why the feed could not be read
    feed: Any = None  # monitor.feeds.Feed when it was read
    state: Any = None  # monitor.checks.accounts.AccountState
    findings: list[Any] = field(default_factory=list)
