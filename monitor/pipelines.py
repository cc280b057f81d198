"""Item pipelines: adapt page items to the checks, then write pages and findings to the store."""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import date
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from .attribution import column_for, department_for
from .checks.privacy import redact
from .checks.text import check_text
from .finding import Finding
from .items import AccountItem, PageItem, SiteAuditItem, UnchangedPages
from .lexicon import shared_matcher

log = logging.getLogger(__name__)

#: the close reason of a crawl stopped because the store kept refusing writes
STORE_UNAVAILABLE = "store_unavailable"


class CheckPipeline:
    """Run the checks over each page's main text, and over each chrome block once per crawl."""

    def __init__(self, chrome_once: bool = True) -> None:
        self.chrome_once = chrome_once
        self.crawler: Any = None
        self.matcher: Any = None
        self._chrome_seen: set[str] = set()
        self.whitelist: list[Any] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> "CheckPipeline":
        if not crawler.settings.getbool("MONITOR_CHECKS_ENABLED"):
            raise NotConfigured
        pipeline = cls(chrome_once=crawler.settings.getbool("MONITOR_CHROME_ONCE"))
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        dirs = tuple(str(p) for p in getattr(spider, "lexicon_dirs", ()) or ())
        self.matcher = shared_matcher(dirs)
        site = getattr(spider, "site", None)
        self.whitelist = list(getattr(spider, "whitelist", ()) or ()) + list(site.whitelist if site else ())

    def process_item(self, item: Any) -> Any:
        if isinstance(item, AccountItem):
            return self._account(item)
        if isinstance(item, SiteAuditItem):
            for f in item.findings:  # URLs of 公示 pages may carry numbers
                f.url = redact(f.url) if f.url else f.url
                f.parent_url = redact(f.parent_url) if f.parent_url else f.parent_url
                f.text = redact(f.text)
            return item
        if isinstance(item, UnchangedPages):  # each page attributed, none checked again
            for page in item.pages:
                self.process_item(page)
            return item
        if not isinstance(item, PageItem):
            return item
        item.title = redact(item.title)  # a 公示 page's title may carry a number too
        if item.error:
            return item
        spider = self.crawler.spider
        site = getattr(spider, "site", None)
        today: date = getattr(spider, "as_of", None) or date.today()
        # an attachment belongs where the page that links to it belongs
        owner_url = item.parent_url if item.is_attachment and item.parent_url else item.url
        column = column_for(site, owner_url) if site else None
        where = {
            "url": redact(item.url),  # a 公示 link may carry an ID number in its query
            "parent_url": redact(item.parent_url) if item.parent_url else None,
            "site": site.id if site else None,
            "column": column.name if column else item.column_name,
            "department": department_for(site, owner_url, column),
            "page_title": item.title or None,
            "published": item.published,
        }
        item.column, item.department = where["column"], where["department"]
        if item.cached:  # unchanged since it was checked: the store carries its findings over
            return item
        findings = []
        for f in check_text(item.main_text, self.matcher, item.published, today, self.whitelist):
            self._place(f, where)
            findings.append(f)
        for block in item.chrome_blocks:
            digest = hashlib.sha1(block.encode("utf-8")).hexdigest()
            if self.chrome_once and digest in self._chrome_seen:
                continue
            self._chrome_seen.add(digest)
            # Chrome is what the site shows today, so today's date applies to it.
            for f in check_text(block, self.matcher, today, today, self.whitelist):
                # The same header/footer shows on every page: pin it to the home page and the
                # site's default owner, so it does not move with whichever page came first.
                self._place(f, where)
                f.url = redact(getattr(spider, "home_url", None) or item.url)
                f.column, f.published = None, None
                f.department = (site.department or None) if site else None
                f.page_title = "全站公共区域（页头、导航、页脚）"
                f.place = f"site:{where['site'] or f.url}:chrome"
                f.note = (f.note + "；" if f.note else "") + "位于页面公共区域（页头/导航/页脚），各页面均显示"
                findings.append(f)
        item.findings = findings
        return item

    def _account(self, item: AccountItem) -> AccountItem:
        """Judge the account (dormant, zombie, local rules) and check every post's text."""
        from .checks.accounts import PLATFORMS, account_findings, assess_account

        spider = self.crawler.spider
        account = next(a for a in spider.accounts if a.id == item.account)
        label = f"{PLATFORMS.get(account.platform, account.platform)}「{account.name}」"
        if item.feed is None and item.feed_url is None:  # no feed configured: nothing to judge
            return item
        item.state = assess_account(account, item.feed, item.error, spider.as_of, spider.tz, spider.thresholds)
        place = redact(item.feed_url or "")
        findings = account_findings(item.state, account, spider.thresholds, place)
        for post in (item.feed.posts if item.feed else []):
            published = post.published.astimezone(spider.tz).date() if post.published else None
            # a Weibo post's "title" is its first line: check the text once
            text = post.text if post.title and post.text.startswith(post.title) else \
                "\n".join(t for t in (post.title, post.text) if t)
            where = {"url": redact(post.link or f"{item.feed_url}#{post.id}"), "department": account.department,
                     "page_title": redact(post.title[:80]) or label, "column": label, "published": published}
            for f in check_text(text, self.matcher, published, spider.as_of, self.whitelist):
                self._place(f, where)
                f.extra = {**f.extra, "account_name": account.name, "platform": account.platform}
                findings.append(f)
        for f in findings:
            f.account = account.id
        item.findings = findings
        return item

    @staticmethod
    def _place(finding: Finding, where: dict[str, Any]) -> None:
        for key, value in where.items():
            setattr(finding, key, value)


class StorePipeline:
    """Write pages and their findings to the store, many pages per transaction.

    Active when the spider crawls a configured site (`-a config=… -a site=…`). With a
    `scan_id` from `govmon scan` it only records; run directly it also opens and closes
    the scan itself. Either way the crawl's summary is written to the scan at the end.

    Pages wait in a batch, written in one transaction (each page with its findings and its
    cache entry, so a killed crawl leaves whole pages or none): when MONITOR_STORE_BATCH_PAGES
    pages wait, when MONITOR_STORE_BATCH_SECONDS have passed since the last write (a page
    after a quiet spell is written at once, so a slow crawl writes page by page), and when
    the crawl closes. A batch that fails is written again page by page, so one page the
    database refuses does not take the others with it. After MONITOR_STORE_MAX_FAILURES
    failed writes in a row the database is taken to be unavailable: the crawl stops
    (close reason `store_unavailable`) instead of waiting out the busy timeout page after page.
    """

    def __init__(self, batch_pages: int, batch_seconds: float, max_failures: int) -> None:
        self.batch_pages = max(1, batch_pages)
        self.batch_seconds = max(0.0, batch_seconds)
        self.max_failures = max_failures  # 0: never stop the crawl
        self.crawler: Any = None
        self.store: Any = None
        self.own_scan = False
        self._batch: list[tuple[Any, str]] = []  # (PageRecord, URL for the log)
        self._last_write = float("-inf")  # time.monotonic() at the end of the last write
        self._timer: Any = None
        self._failures = 0  # failed writes in a row
        self.gave_up = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> "StorePipeline":
        settings = crawler.settings
        if not settings.getbool("MONITOR_STORE_ENABLED"):
            raise NotConfigured
        pipeline = cls(batch_pages=settings.getint("MONITOR_STORE_BATCH_PAGES"),
                       batch_seconds=settings.getfloat("MONITOR_STORE_BATCH_SECONDS"),
                       max_failures=settings.getint("MONITOR_STORE_MAX_FAILURES"))
        pipeline.crawler = crawler
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        url = getattr(spider, "database_url", None)
        if not url:
            return
        from .store import Store

        self.store = Store(url)
        if getattr(spider, "scan_id", None) is None:
            if getattr(spider, "name", "") == "accounts":
                from .store import ACCOUNTS_TARGET

                spider.scan_id = self.store.start_scan(ACCOUNTS_TARGET, spider.as_of, kind="accounts")
            else:
                spider.scan_id = self.store.start_scan(spider.site.id, spider.as_of)
            self.own_scan = True

    def process_item(self, item: Any) -> Any:
        if self.store is not None and isinstance(item, AccountItem):
            try:
                self._record_account(item)
            except Exception:  # one account must not stop the others; the scan becomes partial
                log.exception("could not record account %s", item.account)
                self.crawler.spider.store_errors = getattr(self.crawler.spider, "store_errors", 0) + 1
            return item
        if self.store is None or not isinstance(item, (PageItem, UnchangedPages, SiteAuditItem)):
            return item
        if isinstance(item, PageItem):
            self._queue(self._record_of(item), item.url)
            return item
        if isinstance(item, UnchangedPages):
            for page in item.pages:
                self._queue(self._record_of(page), page.url)
            return item
        if self.gave_up:
            self._store_failed(1, "站点级检查结果", logged=False)
            return item
        try:
            self.store.record_findings(self.crawler.spider.scan_id, item.findings)
        except Exception:
            # A write that failed (the database locked past its busy timeout, the connection
            # lost, the disk full) must not stop the crawl — the next write may work — nor go
            # unnoticed: the scan becomes partial and fixes nothing.
            self._write_failed("站点级检查结果")
        else:
            self._failures = 0
            # only now may the scan count as complete: stored, the site-level findings can
            # be compared with the previous ones (a failed write leaves the scan partial)
            self.crawler.spider.audit_recorded = True
        return item

    # ------------------------------------------------------------------ pages, in batches
    def _record_of(self, item: PageItem) -> Any:
        """What the store keeps of a page: its row and findings; for a fresh read its cache
        entry (saved with the findings it vouches for), for an unchanged page what to carry over."""
        from .store import PageRecord

        spider = self.crawler.spider
        record = PageRecord(redact(item.url), item.status, title=redact(item.title) or None,
                            published=item.published, column=item.column, department=item.department)
        if item.cached:
            record.unchanged, record.source_scan = True, int(item.cache_scan or 0)
            record.revalidated = item.url if item.revalidated else None
            return record
        record.error, record.findings = item.error, list(item.findings)
        if item.cache_kind and getattr(spider, "checks_key", None):
            from .extract.links import canonicalize_url
            from .incremental import facts_of

            url = canonicalize_url(item.url)
            if item.cache_kind == "drop":
                record.drop_cache = url
            elif item.digest:
                record.cache = {"url": url, "kind": item.cache_kind, "status": item.status, "etag": item.etag,
                                "last_modified": item.last_modified, "digest": item.digest,
                                "checks_key": spider.checks_key, "fetched_on": spider.as_of,
                                "facts": facts_of(item), "scan_id": spider.scan_id}
        return record

    def _queue(self, record: Any, url: str) -> None:
        if self.gave_up:  # the database is away: the page is counted as not stored, not tried
            self._store_failed(1, url, logged=False)
            return
        self._batch.append((record, url))
        wait = self._last_write + self.batch_seconds - time.monotonic()
        if len(self._batch) >= self.batch_pages or wait <= 0:
            self._flush()
        elif self._timer is None:
            from scrapy.utils.asyncio import call_later

            self._timer = call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._flush()

    def _flush(self) -> None:
        """Write the waiting pages in one transaction; if that fails, page by page."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._batch = self._batch, []
        if not batch:
            return
        if self.gave_up:
            self._store_failed(len(batch), f"{len(batch)} 个页面", logged=False)
            return
        spider = self.crawler.spider
        site = getattr(getattr(spider, "site", None), "id", None)
        try:
            self._wrote(self.store.record_pages(spider.scan_id, [r for r, _ in batch], site=site))
        except Exception:
            if len(batch) == 1:
                self._write_failed(batch[0][1])
            else:
                log.warning("%d 个页面未能一并写入数据库，改为逐页写入", len(batch), exc_info=True)
                self._count_failure()
                for done, (record, url) in enumerate(batch):
                    if self.gave_up:  # the database is taken to be away: the rest is not tried
                        self._store_failed(len(batch) - done, f"{len(batch) - done} 个页面", logged=False)
                        break
                    try:
                        self._wrote(self.store.record_pages(spider.scan_id, [record], site=site))
                    except Exception:
                        self._write_failed(url)
        self._last_write = time.monotonic()

    def _wrote(self, carried: int) -> None:
        self._failures = 0
        if carried:
            self.crawler.stats.inc_value("monitor/findings_carried_over", carried)

    def _write_failed(self, what: str) -> None:
        """One page (or the site-level findings) could not be written: counted, and logged
        with the reason (call it inside the `except`)."""
        self._store_failed(1, what)
        self._count_failure()

    def _count_failure(self) -> None:
        """After too many failed writes in a row the database is taken to be unavailable:
        the crawl stops, rather than wait out the busy timeout on every page to come."""
        self._failures += 1
        if self.max_failures and self._failures >= self.max_failures and not self.gave_up:
            self.gave_up = True
            log.error("数据库连续 %d 次写入失败，判定数据库无法使用，停止抓取（本次扫描不完整）", self._failures)
            from scrapy.utils.defer import deferred_from_coro

            closing = deferred_from_coro(self.crawler.engine.close_spider_async(reason=STORE_UNAVAILABLE))
            closing.addErrback(lambda failure: log.error("could not stop the crawl: %s", failure.value))

    def _store_failed(self, pages: int, what: str, logged: bool = True) -> None:
        spider = self.crawler.spider
        spider.store_errors = getattr(spider, "store_errors", 0) + pages
        self.crawler.stats.inc_value("monitor/store_errors", pages)
        if logged:
            log.exception("未能写入数据库：%s", redact(what))

    def _record_account(self, item: AccountItem) -> None:
        """The feed and every post in it as pages (so a later complete scan can tell a fixed
        post from one that left the feed), their findings, the account's state, and after
        several failed scans in a row the unreachable finding."""
        from .checks.accounts import unreachable_finding

        spider = self.crawler.spider
        scan_id = spider.scan_id
        by_url: dict[str, list[Finding]] = {}
        for f in item.findings:
            by_url.setdefault(f.url or "", []).append(f)
        if item.feed_url:
            feed_url = redact(item.feed_url)
            # a feed that failed is no page that was read, whatever its status (404 included):
            # nothing about the account may be marked fixed from it
            self.store.record_page(scan_id, feed_url, None if item.error else item.status,
                                   error=item.error, findings=by_url.pop(feed_url, []))
        for url, findings in by_url.items():
            self.store.record_page(scan_id, url, 200, findings=findings)
        for post in (item.feed.posts if item.feed else []):
            url = redact(post.link or f"{item.feed_url}#{post.id}")
            if url not in by_url:
                self.store.record_page(scan_id, url, 200)
        state = item.state
        if state is None:  # no feed configured
            self.store.record_account(scan_id, item.account, ok=False, status="no_feed", error=item.error)
            return
        failures = self.store.record_account(
            scan_id, item.account, ok=item.feed is not None, status=state.status, error=item.error,
            newest=state.newest, days_silent=state.days_silent, recent_posts=state.recent_posts, posts=state.posts)
        account = next(a for a in spider.accounts if a.id == item.account)
        finding = unreachable_finding(account, redact(item.feed_url or ""), failures, item.error, spider.thresholds)
        if finding is not None:
            finding.account = account.id
            self.store.record_findings(scan_id, [finding])
            item.findings.append(finding)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.store is None:
            return
        from .scanning import accounts_summary, crawl_summary, scan_outcome

        self._flush()
        if getattr(spider, "name", "") == "accounts":
            summary = accounts_summary(spider, reason)
            if getattr(spider, "full_run", False) and reason == "finished" and not summary.get("store_errors"):
                # accounts taken out of the registry (closed, as zombie findings advise): their
                # findings are done with
                self.store.close_removed_accounts(spider.scan_id, [a.id for a in spider.accounts])
        else:
            summary = crawl_summary(spider, self.crawler.stats.get_stats(), reason)
        try:
            self.store.set_scan_stats(spider.scan_id, summary)
            if self.own_scan:
                status, message = scan_outcome(summary, returncode=0)
                self.store.finish_scan(spider.scan_id, status, message)
        finally:
            self.store.close()
