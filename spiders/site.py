"""The `site` spider: crawl one government portal and yield a PageItem per HTML page.

    scrapy crawl site -a url=http://127.0.0.1:8000/ -O findings.jsonl
    scrapy crawl site -a config=monitor.yaml -a site=portal

Thin by design: fetch, extract (monitor.extract), follow links; checks and storage are
pipelines. It stays on the site's host, respects max_pages and max_depth, skips trap URLs
(endless calendars and paging), and records pages that fail instead of dying on them.

Incremental (monitor/incremental.py): with a config and a store, unchanged pages are not
read or checked again — list pages and pages with open problems are revalidated every night
(If-None-Match / If-Modified-Since), other articles and attachments on their rota day; an
unchanged page's facts are replayed from the cache and its findings carried over. `-a full=1`
(govmon scan --full) reads everything.

Three phases, moved on by the spider_idle signal:
  1. crawl — pages, and the site's own attachments (read into text, checked like pages);
     links to other hosts are link-checked as they turn up (the crawl never fetches them);
  2. links — every other link target not fetched in phase 1, once: HEAD, then GET before a
     link is called broken (a GET stops after the headers);
  3. audit — one SiteAuditItem with the site-level findings (monitor.audit.SiteAudit).
"""

from __future__ import annotations

from collections import deque
from datetime import date, datetime
from typing import Any, AsyncIterator
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, StopDownload, UsageError
from scrapy.http import Request, Response, TextResponse
from sqlalchemy.exc import SQLAlchemyError

from monitor.audit import READ_ATTACHMENTS, SiteAudit
from monitor.config import DEFAULT_COLUMN_KINDS, Attachments, ConfigError, Links, Site, Thresholds, load_config
from monitor.extract.links import canonicalize_url, is_trap
from monitor.checks.privacy import redact
from monitor.extract.page import extract_page
from monitor.incremental import (CacheEntry, body_digest, cacheable, checks_key, is_due, item_from_facts,
                                 page_kind)
from monitor.items import PageItem, SiteAuditItem, UnchangedPages
from monitor.scanning import check_config_digest, describe_failure, pages_handed_on, refuse_crawl


class SiteSpider(scrapy.Spider):
    name = "site"
    # The spider deduplicates canonical URLs itself (_request). Scrapy's duplicate filter
    # would also drop a redirect back to a URL already fetched, silently: a redirect loop
    # (/a → /b → /a) then left no trace. Without it, REDIRECT_MAX_TIMES ends the loop and
    # the errback records it against the page's URL.
    custom_settings = {"DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter"}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "SiteSpider":
        try:
            spider = super().from_crawler(crawler, *args, **kwargs)
        except UsageError as exc:
            refuse_crawl(cls.name, exc)
        crawler.signals.connect(spider._on_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._on_headers, signal=signals.headers_received)
        # Settings are frozen after the spider is made: the config's per-host limit applies.
        crawler.settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", spider.links.per_host, priority="spider")
        if spider.site.time_budget_minutes:  # the site's time budget: the crawl closes gracefully
            crawler.settings.set("CLOSESPIDER_TIMEOUT", spider.site.time_budget_minutes * 60, priority="spider")
        return spider

    def __init__(self, url: str | None = None, config: str | None = None, site: str | None = None,
                 scan_id: str | None = None, as_of: str | None = None, max_pages: str | None = None,
                 max_depth: str | None = None, allow_hosts: str | None = None, full: str | None = None,
                 config_sha256: str | None = None, node: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.database_url: str | None = None
        self.lexicon_dirs: list[str] = []
        self.whitelist: list[Any] = []  # the config's global whitelist; the site's own is on self.site
        self.links, self.attachments = Links(), Attachments()
        registry = None  # the new-media account registry (from a config)
        thresholds: Thresholds | None = None
        kind_map = {k: list(v) for k, v in DEFAULT_COLUMN_KINDS.items()}
        timezone = "Asia/Shanghai"
        # incremental: use the cache of last reads; the cache itself is kept up to date on every
        # scan with a store (also --full and with incremental scans off), so that it always
        # describes the page as last read, which is what the stored findings describe too
        self.incremental, self.revisit_days = False, 7
        try:
            if config:
                cfg = load_config(config)
                check_config_digest(cfg, config, config_sha256, scan_id, node)
                timezone = cfg.timezone
                if site is None and len(cfg.sites) == 1:
                    site = cfg.sites[0].id
                if site is None:
                    raise UsageError(f"配置文件 {config} 中有多个站点，请用 -a site=ID 指定："
                                     f"{', '.join(s.id for s in cfg.sites)}")
                self.site: Site = cfg.site(site)
                self.database_url = cfg.database_url
                self.lexicon_dirs = [str(p) for p in cfg.lexicon_paths]
                self.whitelist = list(cfg.whitelist)
                self.links, self.attachments = cfg.links, cfg.attachments
                thresholds, kind_map = cfg.thresholds_for(self.site), dict(cfg.column_kinds)
                registry = list(cfg.accounts)
                self.incremental = cfg.incremental.enabled and full not in ("1", "true", "yes")
                self.revisit_days = cfg.incremental.revisit_days
            elif url:
                host = urlsplit(url).hostname or "site"
                self.site = Site(id=host.replace(":", "_")[:64], name=host, url=url, department="")
            else:
                raise UsageError("请指定要抓取的站点：-a url=网址，或 -a config=monitor.yaml -a site=站点ID")
            updates: dict[str, int] = {}
            if max_pages:
                updates["max_pages"] = int(max_pages)
            if max_depth:
                updates["max_depth"] = int(max_depth)
            if updates:
                self.site = self.site.model_copy(update=updates)
            if allow_hosts is not None:  # -a allow_hosts=127.0.0.1,intranet: link checks go nowhere else
                hosts = [h.strip() for h in allow_hosts.split(",") if h.strip()]
                self.links = self.links.model_copy(update={"allow_hosts": hosts})
            self.as_of = date.fromisoformat(as_of) if as_of else datetime.now(ZoneInfo(timezone)).date()
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        except ValueError as exc:  # pydantic ValidationError is a ValueError too
            raise UsageError(f"参数有误：{exc}") from None
        self.scan_id = int(scan_id) if scan_id else None
        self.home_url = canonicalize_url(self.site.url)
        home = urlsplit(self.home_url)
        self.netloc = home.netloc.lower()
        self.allowed_domains = [home.hostname] if home.hostname else []
        self._scheduled: set[str] = set()
        self._parsed: set[str] = set()
        self.capped = False
        self.home_status: int | None = None
        self.home_error: str | None = None
        self.phase = "crawl"
        self.audit = SiteAudit(self.site, self.home_url, thresholds or Thresholds(), kind_map, self.as_of,
                               self.links, registry)
        self.audit_summary: dict[str, Any] | None = None
        # incremental scans: the cache of the last reads (opened in start())
        self.cache: dict[str, CacheEntry] = {}
        self.must_read: set[str] = set()  # pages with open problems: read every night
        self.checks_key: str | None = None
        self.column_urls = {canonicalize_url(c.url) for c in self.site.columns}
        self._cache_store: Any = None
        self._prefetched: dict[str, dict[str, Any]] = {}  # facts read ahead (_neighbours)
        self._folders: dict[str, list[str]] | None = None  # folder → cached URLs in it
        self._folder_cursor: dict[str, int] = {}
        # one bound method per callback for the whole crawl: Scrapy inspects every callback's
        # source once per distinct callable (cached weakly), and a fresh bound method per
        # request made it parse the source again on every response
        self._cb = {name: getattr(self, name) for name in
                    ("parse", "parse_attachment", "errback", "parse_link", "link_failed")}

    # ------------------------------------------------------------------ requests
    async def start(self) -> AsyncIterator[Any]:
        self._open_cache()
        for url in [self.home_url] + [canonicalize_url(c.url) for c in self.site.columns]:
            for output in self._follow(url, depth=0):
                yield output

    def _open_cache(self) -> None:
        if not self.database_url:
            self.incremental = False
            return
        from monitor.lexicon import shared_matcher
        from monitor.store import Store

        matcher = shared_matcher(tuple(str(p) for p in self.lexicon_dirs))
        self.checks_key = checks_key(matcher.digest, [*self.whitelist, *self.site.whitelist])
        self._cache_store = Store(self.database_url, migrate=False)
        self.cache = {url: CacheEntry(*row) for url, row in self._cache_store.cache_index(self.site.id).items()}
        if self.incremental:
            self.must_read = self._cache_store.open_text_finding_urls(self.site.id)
        self.crawler.stats.set_value("monitor/cache_entries", len(self.cache))

    def _entry(self, url: str) -> CacheEntry | None:
        """The cache entry of `url` when it can stand for tonight's read (same checks)."""
        if not self.incremental or url == self.home_url:
            return None
        entry = self.cache.get(url)
        if entry is None or entry.checks_key != self.checks_key or entry.status != 200:
            return None
        return entry

    def _skip(self, url: str, entry: CacheEntry | None) -> bool:
        """Not requested tonight: an unchanged article or attachment off its rota day."""
        return (entry is not None and entry.kind in ("article", "attachment") and url not in self.must_read
                and not is_due(url, entry.fetched_on, self.as_of, self.revisit_days))

    @staticmethod
    def _conditional(headers: dict[str, str], entry: CacheEntry | None) -> dict[str, str]:
        if entry is not None:
            if entry.etag:
                headers["If-None-Match"] = entry.etag
            if entry.last_modified:
                headers["If-Modified-Since"] = entry.last_modified
        return headers

    def _follow(self, url: str, depth: int, referer: str | None = None) -> list[Any]:
        """A request for a page of the site, or (an unchanged page off its rota day) the
        page's item rebuilt from the cache and what follows from it; [] when out of scope."""
        if url in self._scheduled:
            return []
        if urlsplit(url).netloc.lower() != self.netloc:
            return []
        if len(self._scheduled) >= self.site.max_pages:
            self.capped = True
            self._prefetched.clear()  # what is left of it will not be asked for
            return []
        reason = is_trap(url, self.as_of)
        if reason:
            self.crawler.stats.inc_value("monitor/trap_skipped")
            self.logger.debug("skipping trap URL %s: %s", url, reason)
            return []
        self._scheduled.add(url)
        entry = self._entry(url)
        if self._skip(url, entry):
            return list(self._unchanged(url, entry, depth, referer, revalidated=False))
        return [self._page_request(url, depth, referer, entry)]

    def _page_request(self, url: str, depth: int, referer: str | None, entry: CacheEntry | None) -> Request:
        headers = self._conditional({"Referer": referer} if referer else {}, entry)
        return Request(url, callback=self._cb["parse"], errback=self._cb["errback"], headers=headers or None,
                       dont_filter=True, meta={"depth": depth, "home": url == self.home_url, "cache": entry})

    def _unchanged(self, url: str, entry: CacheEntry, depth: int, referer: str | None,
                   revalidated: bool) -> Any:
        """An unchanged page: its facts into the site checks, its item (the store carries its
        findings over). Its links are followed as if it had been read: by _children."""
        facts = self._cached_facts(url)
        if facts is None:  # gone from the cache meanwhile (or unreadable): read it after all
            self._parsed.discard(url)  # a revalidated page was parsed already: parse the full read
            yield self._page_request(url, depth, referer, None)
            return
        item = item_from_facts(facts, url, entry.status, depth, referer)
        item.revalidated, item.cache_kind, item.cache_scan = revalidated, entry.kind, entry.scan_id
        stats = self.crawler.stats
        stats.inc_value("monitor/unchanged_revalidated" if revalidated else "monitor/unchanged_skipped")
        self.audit.result(url, entry.status)
        self.audit.page(item, False)
        self._check_offsite()
        yield item

    def _cached_facts(self, url: str) -> dict[str, Any] | None:
        """The facts the cache holds for `url`; None when they are gone, or when the store
        cannot be read just now (a database restart) — the page is then read in full."""
        facts = self._prefetched.pop(url, None)
        if facts is not None:
            return facts
        try:
            found = self._cache_store.cache_facts_many(self.site.id, [url, *self._neighbours(url)])
        except SQLAlchemyError:
            self.logger.warning("无法读取页面缓存，改为重新读取页面：%s", redact(url), exc_info=True)
            return None
        facts = found.pop(url, None)
        self._prefetched.update(found)
        return facts

    #: facts read along with a page's, at most (_neighbours)
    PREFETCH = 200

    def _neighbours(self, url: str) -> list[str]:
        """Unchanged pages of `url`'s folder not reached yet, whose facts are read with its own:
        the articles of a folder are usually replayed one after the other (上一篇/下一篇 lead
        from one to the next), and one query for many is much cheaper than one each."""
        if self.capped or len(self._prefetched) >= 10 * self.PREFETCH:
            return []
        if self._folders is None:
            self._folders = {}
            for cached in self.cache:
                self._folders.setdefault(cached[:cached.rfind("/") + 1], []).append(cached)
        folder = url[:url.rfind("/") + 1]
        urls = self._folders.get(folder) or []
        found: list[str] = []
        # what lies before the cursor was taken, or is reached already, or is not to be replayed
        i = self._folder_cursor.get(folder, 0)
        while i < len(urls) and len(found) < self.PREFETCH:
            other = urls[i]
            i += 1
            if other != url and other not in self._scheduled and other not in self._prefetched \
                    and self._skip(other, self._entry(other)):
                found.append(other)
        self._folder_cursor[folder] = i
        return found

    #: replayed pages handed on in one UnchangedPages item, at most
    REPLAY_BATCH = 500

    def _children(self, item: PageItem, page_url: str, replayed: list[PageItem] | None = None) -> Any:
        """What a page read (or replayed) leads to: its attachments, then its links — and what
        the unchanged pages among those lead to, level by level as the crawl itself goes
        (breadth-first). Not by recursion: unchanged articles chained by 上一篇/下一篇 would
        nest a generator per article, copying every item up the chain, and a chain of a few
        hundred would exceed Python's recursion limit. The pages replayed on the way (and
        `replayed`, the page itself when it is one) go out together: UnchangedPages."""
        batch: list[PageItem] = list(replayed or ())
        pages = deque([(item, page_url)])
        try:
            yield from self._expand(pages, batch)
        except Exception:  # what was replayed before the error is still handed on, then the error
            if batch:
                yield self._replayed(batch)
            raise
        if batch:
            yield self._replayed(batch)

    def _expand(self, pages: deque, batch: list[PageItem]) -> Any:
        """_children's walk: requests yielded, replayed pages added to `batch` (handed on, and
        the list emptied in place, every REPLAY_BATCH pages)."""
        while pages:
            page, url = pages.popleft()
            if self.attachments.read:
                for link in page.attachments:
                    for output in self._attachment(link, page):
                        if isinstance(output, PageItem):  # an unchanged attachment, replayed
                            batch.append(output)
                        else:
                            yield output
            if page.depth < self.site.max_depth:
                scheduled = self._scheduled
                for link in page.links:
                    if link.kind != "page" or link.url in scheduled:  # (most links, on most pages)
                        continue
                    for output in self._follow(link.url, depth=page.depth + 1, referer=url):
                        if isinstance(output, PageItem):  # replayed from the cache: its links next
                            batch.append(output)
                            pages.append((output, output.url))
                        else:
                            yield output
            if len(batch) >= self.REPLAY_BATCH:
                yield self._replayed(list(batch))
                batch.clear()

    def _replayed(self, pages: list[PageItem]) -> UnchangedPages:
        stats = self.crawler.stats
        stats.inc_value("monitor/replayed_batches")
        stats.inc_value("monitor/replayed_in_batches", len(pages))
        return UnchangedPages(pages=pages)

    def _on_scheduled(self, request: Request, spider: Any = None) -> None:
        """Keep redirects on the site: Scrapy's offsite check ignores the port, and a request
        dropped there leaves no trace. Raising IgnoreRequest here drops the request unfetched."""
        if request.meta.get("linkcheck") or request.meta.get("audit"):
            return  # a link check may leave the site; the audit request is local (data:)
        url = canonicalize_url(request.url)
        if urlsplit(url).netloc.lower() == self.netloc:
            self._scheduled.add(url)  # a redirect target is not fetched again as a link
            return
        original = (request.meta.get("redirect_urls") or [request.url])[0]
        self.crawler.stats.inc_value("monitor/offsite_redirect")
        self.logger.debug("not following redirect from %s to another site: %s", original, request.url)
        if request.meta.get("home"):
            self.home_error = f"首页重定向到站外网址：{request.url}"
        # the link works (it leads somewhere else); the other site is not crawled
        self.audit.result(canonicalize_url(original), 301, None)
        raise IgnoreRequest(f"redirect to another site: {request.url}")

    # ------------------------------------------------------------------ responses
    def parse(self, response: Response) -> Any:
        is_home = response.meta.get("home", False)
        if is_home:
            self.home_status = response.status
        url = canonicalize_url(response.url)
        self._record_result(response, url)
        if url in self._parsed:  # reached again through a redirect
            return
        self._parsed.add(url)
        entry = response.meta.get("cache")
        if entry is not None and not response.meta.get("redirect_urls") and (
                response.status == 304 or (response.status == 200 and body_digest(response.body) == entry.digest)):
            referer = response.request.headers.get("Referer") if response.request else None
            for output in self._unchanged(url, entry, response.meta.get("depth", 0),
                                          referer.decode("latin-1") if referer else None, revalidated=True):
                if isinstance(output, PageItem):  # with what it leads to
                    yield from self._children(output, url, replayed=[output])
                else:
                    yield output
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        if not isinstance(response, TextResponse) or "html" not in (content_type or "text/html").lower():
            # Recorded all the same: the store must know this URL was read (or failed).
            self.crawler.stats.inc_value("monitor/non_html")
            error = f"HTTP {response.status}" if response.status >= 400 else None
            if is_home:
                self.home_error = error or "首页不是 HTML 页面"
            yield PageItem(url=response.url, status=response.status, error=error, content_type=content_type,
                           depth=response.meta.get("depth", 0))
            return
        item = extract_page(response.text, response.url, response.status, today=self.as_of)
        item.depth = response.meta.get("depth", 0)
        referer = response.request.headers.get("Referer") if response.request else None
        item.referer = referer.decode("latin-1") if referer else None
        item.encoding = response.encoding
        item.content_type = content_type
        if response.status >= 400:
            item.error = item.error or f"HTTP {response.status}"
            if is_home:
                self.home_error = item.error
            yield item
            return
        if self.checks_key and not is_home and not item.error and response.status == 200:
            self._remember(item, response, page_kind(item, url in self.column_urls or item.depth <= 1))
        yield item
        if item.error:
            return
        self.audit.page(item, is_home)
        self._check_offsite()
        yield from self._children(item, response.url)

    def errback(self, failure: Any) -> Any:
        request = failure.request
        url = (request.meta.get("redirect_urls") or [request.url])[0]  # the page's own URL
        message = describe_failure(failure)
        if request.meta.get("home"):
            self.home_error = message
        status = getattr(getattr(failure.value, "response", None), "status", None)
        if "大小上限" in message:
            # too large to read is not broken: the link works, the content is not checked
            self.audit.result(canonicalize_url(url), 200)
            if request.meta.get("attachment"):
                self.audit.attachment_not_read(
                    f"{request.meta.get('extension') or '?'}（超过 {self.attachments.max_mb:g} MB）")
                message = f"附件超过大小上限（{self.attachments.max_mb:g} MB），未读取"
        else:
            self.audit.result(canonicalize_url(url), status, message)
        referer = request.headers.get("Referer")
        yield PageItem(url=url, status=status or 0, error=message,
                       depth=request.meta.get("depth", 0),
                       referer=referer.decode("latin-1") if referer else None)

    def _record_result(self, response: Response, url: str) -> None:
        """The fetch result for the link check: under the URL linked (before redirects) and
        the URL reached."""
        self.audit.result(url, response.status)
        for original in response.meta.get("redirect_urls") or ():
            self.audit.result(canonicalize_url(original), response.status)
            self.audit.redirect(canonicalize_url(original), url)

    # ------------------------------------------------------------------ attachments
    def _remember(self, item: PageItem, response: Response, kind: str) -> None:
        """Mark a fresh read for the cache (the store pipeline saves it after the findings).
        A page that cannot be cached drops its old entry: the entry would describe content
        the stored findings no longer describe."""
        if not cacheable(item):
            item.cache_kind = "drop" if canonicalize_url(item.url) in self.cache else None
            return
        item.digest = body_digest(response.body)
        item.etag = (response.headers.get(b"ETag") or b"").decode("latin-1") or None
        item.last_modified = (response.headers.get(b"Last-Modified") or b"").decode("latin-1") or None
        item.cache_kind = kind

    def _attachment(self, link: Any, page: PageItem) -> list[Any]:
        """A request for one of the site's attachments, or an unchanged one off its rota day."""
        if link.url in self._scheduled:
            return []
        entry = self._entry(link.url)
        if urlsplit(link.url).netloc.lower() == self.netloc and (link.extension or "") in READ_ATTACHMENTS \
                and self._skip(link.url, entry):
            self._scheduled.add(link.url)
            return list(self._unchanged_attachment(link, self._parent(page), entry, revalidated=False))
        request = self._attachment_request(link, page, entry)
        return [request] if request is not None else []

    @staticmethod
    def _parent(page: PageItem) -> dict[str, Any]:
        """What an attachment needs of the page linking to it (not the page itself: requests
        wait in the queue, and a page's text has no business waiting with them)."""
        return {"url": page.url, "depth": page.depth, "published": page.published, "column": page.column_name}

    def _unchanged_attachment(self, link: Any, parent: dict[str, Any], entry: CacheEntry, revalidated: bool) -> Any:
        facts = self._cached_facts(link.url)
        if facts is None:
            yield self._attachment_fetch(link, parent, None)
            return
        item = item_from_facts(facts, link.url, entry.status, parent["depth"] + 1, parent["url"], is_attachment=True)
        item.revalidated, item.cache_kind, item.cache_scan = revalidated, entry.kind, entry.scan_id
        item.parent_url, item.published = parent["url"], parent["published"]
        if parent["column"]:
            item.meta["ColumnName"] = parent["column"]
        self.crawler.stats.inc_value("monitor/unchanged_revalidated" if revalidated else "monitor/unchanged_skipped")
        self.audit.result(link.url, entry.status)
        self.audit.attachment(link.extension, None)
        yield item

    def _attachment_request(self, link: Any, page: PageItem, entry: CacheEntry | None = None) -> Request | None:
        if link.url in self._scheduled:
            return None
        if urlsplit(link.url).netloc.lower() != self.netloc:
            self._scheduled.add(link.url)
            self.audit.attachment_not_read("站外附件")  # on a file server or CDN: link-checked only
            return None
        if (link.extension or "") not in READ_ATTACHMENTS:
            self.audit.attachment_not_read(link.extension)
            return None  # checked as a link only
        self._scheduled.add(link.url)
        return self._attachment_fetch(link, self._parent(page), entry)

    def _attachment_fetch(self, link: Any, parent: dict[str, Any], entry: CacheEntry | None) -> Request:
        return Request(link.url, callback=self._cb["parse_attachment"], errback=self._cb["errback"], dont_filter=True,
                       headers=self._conditional({"Referer": parent["url"]}, entry),
                       meta={"depth": parent["depth"] + 1, "attachment": True, "parent": parent["url"],
                             "published": parent["published"], "extension": link.extension,
                             "link_text": link.text, "parent_column": parent["column"], "cache": entry,
                             "link": link, "parent_info": parent,
                             "download_maxsize": int(self.attachments.max_mb * 1024 * 1024),
                             "download_warnsize": 0})

    def parse_attachment(self, response: Response) -> Any:
        from monitor.readers import ReaderError, read_document

        url = canonicalize_url(response.url)
        self._record_result(response, url)
        meta = response.meta
        entry = meta.get("cache")
        if entry is not None and not meta.get("redirect_urls") and (
                response.status == 304 or (response.status == 200 and body_digest(response.body) == entry.digest)):
            yield from self._unchanged_attachment(meta["link"], meta["parent_info"], entry, revalidated=True)
            return
        item = PageItem(url=response.url, status=response.status, depth=meta.get("depth", 0),
                        parent_url=meta.get("parent"), referer=meta.get("parent"), is_attachment=True,
                        published=meta.get("published"),
                        content_type=response.headers.get(b"Content-Type", b"").decode("latin-1") or None)
        if meta.get("parent_column"):  # the attachment belongs to its page's column
            item.meta["ColumnName"] = meta["parent_column"]
        if response.status >= 400:
            item.error = f"HTTP {response.status}"
            yield item
            return
        name = urlsplit(response.url).path.rsplit("/", 1)[-1] or "file"
        if "." not in name:
            name += "." + (meta.get("extension") or "bin")
        try:
            document = read_document(response.body, name)
        except ReaderError as exc:
            item.error = f"附件无法读取：{exc}"
            if "不支持" in str(exc):  # an old binary .doc/.wps: a type no reader here reads
                self.audit.attachment_not_read(meta.get("extension"))
            else:
                self.audit.attachment(meta.get("extension"), str(exc))
        except Exception as exc:  # a reader bug must not stop the crawl
            item.error = f"附件无法读取：{type(exc).__name__}"
            self.audit.attachment(meta.get("extension"), type(exc).__name__)
        else:
            item.main_text = document.text
            item.title = f"附件：{meta.get('link_text') or document.title or name}"
            self.audit.attachment(meta.get("extension"), None)
            if self.checks_key and response.status == 200:
                self._remember(item, response, "attachment")
        yield item

    # ------------------------------------------------------------------ link checks and audit
    def _on_headers(self, headers: Any, body_length: int, request: Request, spider: Any = None) -> None:
        """A link check's GET needs the status only: stop before the body."""
        if request.meta.get("linkcheck"):
            raise StopDownload(fail=False)

    def _link_request(self, url: str, method: str = "HEAD") -> Request:
        return Request(url, method=method, callback=self._cb["parse_link"], errback=self._cb["link_failed"],
                       dont_filter=True,
                       meta={"linkcheck": url,
                             "download_timeout": self.links.timeout, "max_retry_times": self.links.retries,
                             # a link that fails is a finding (broken-link), not an error of the
                             # crawl: Scrapy's "Gave up retrying" at INFO, not ERROR
                             "give_up_log_level": "INFO"})

    def parse_link(self, response: Response) -> Any:
        url = response.meta["linkcheck"]
        if response.status >= 400 and response.request.method == "HEAD":
            yield self._link_request(url, "GET")  # servers that reject HEAD (or bots) get a GET
            return
        self.audit.result(url, response.status, via=response.request.method)

    def link_failed(self, failure: Any) -> Any:
        request = failure.request
        url = request.meta["linkcheck"]
        message = describe_failure(failure)
        # a GET gets a second chance where HEAD itself may be the problem; not after a
        # timeout, a refused connection or a DNS failure (retried already, and slow)
        if request.method == "HEAD" and not any(w in message for w in ("超时", "拒绝", "域名解析")):
            yield self._link_request(url, "GET")
            return
        status = getattr(getattr(failure.value, "response", None), "status", None)
        self.audit.result(url, status, message, via=request.method)

    def _check_offsite(self) -> None:
        """Links to other hosts are checked as soon as they turn up, while the crawl goes on (it
        never fetches them): waiting for a dead host's timeouts and retries then overlaps with
        the crawl instead of following it."""
        targets = self.audit.offsite_targets()
        if targets:
            self.crawler.stats.inc_value("monitor/link_checks", len(targets))
            for url in targets:
                self.crawler.engine.crawl(self._link_request(url))

    def _on_idle(self, spider: Any = None) -> None:
        """Crawl done → check the links not fetched yet; links done → audit; audit done → close.
        (Links to other hosts were handed out as the crawl went: _check_offsite.)"""
        engine = self.crawler.engine
        if self.phase == "crawl":
            self.phase = "links"
            targets = self.audit.targets_to_check(skip_internal_pages=self.capped)
            self.crawler.stats.inc_value("monitor/link_checks", len(targets))
            for url in targets:
                engine.crawl(self._link_request(url))
            if targets:
                raise DontCloseSpider
        if self.phase == "links":
            self.phase = "audit"
            engine.crawl(Request("data:,audit", callback=self.run_audit, dont_filter=True, meta={"audit": True}))
            raise DontCloseSpider

    def run_audit(self, response: Response) -> Any:
        if self.home_error or self.home_status is None or self.home_status >= 400:
            # the site is down (the scan fails): its columns, links and identity were not
            # seen, which says nothing about them — no site-level findings from this crawl
            self.logger.info("首页无法访问，不做站点级检查")
            return
        try:
            findings, summary = self.audit.finish()
        except Exception:  # logged with its traceback; the scan becomes partial (no audit summary)
            self.logger.exception("站点级检查出错")
            return
        self.audit_summary = summary
        yield SiteAuditItem(findings=findings, summary=summary)

    def closed(self, reason: str) -> None:
        """One line for the person who ran the crawl: what was crawled, or why not."""
        stats = self.crawler.stats
        pages = pages_handed_on(stats.get_stats())
        if self.home_error or self.home_status is None:
            self.logger.error("首页无法访问（%s）：%s", self.home_url, self.home_error or "未能抓取")
        else:
            note = f"，达到页面上限 max_pages={self.site.max_pages}" if self.capped else ""
            self.logger.info("抓取结束（%s）：%d 个页面%s", reason, pages, note)
