"""The `accounts` spider: read every registered new-media account's feed.

    scrapy crawl accounts -a config=monitor.yaml [-a account=ID] [-O findings.jsonl]

One request per account with a feed (RSS, Atom, JSON Feed or the Weibo mobile API); each
yields one AccountItem with the parsed posts, or the reason the feed could not be read.
Accounts without a feed are yielded too (nothing can be checked; the report says so). The
check pipeline checks every post's text and judges the account (dormant, zombie); the store
pipeline records it.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, AsyncIterator
from zoneinfo import ZoneInfo

import scrapy
from scrapy.exceptions import UsageError
from scrapy.http import Request, Response

from monitor.checks.privacy import redact
from monitor.config import ConfigError, load_config
from monitor.feeds import MAX_FEED_BYTES, FeedError, parse_feed
from monitor.items import AccountItem
from monitor.scanning import check_config_digest, describe_failure, refuse_crawl

class AccountsSpider(scrapy.Spider):
    name = "accounts"
    custom_settings = {"DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter"}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "AccountsSpider":
        try:
            return super().from_crawler(crawler, *args, **kwargs)
        except UsageError as exc:
            refuse_crawl(cls.name, exc)

    def __init__(self, config: str | None = None, account: str | None = None, scan_id: str | None = None,
                 as_of: str | None = None, config_sha256: str | None = None, node: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not config:
            raise UsageError("请指定配置文件：-a config=monitor.yaml（账号清单在其中的 accounts 下）")
        try:
            cfg = load_config(config)
            check_config_digest(cfg, config, config_sha256, scan_id, node)
            self.as_of = date.fromisoformat(as_of) if as_of else datetime.now(ZoneInfo(cfg.timezone)).date()
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        except ValueError as exc:
            raise UsageError(f"参数有误：{exc}") from None
        accounts = list(cfg.accounts)
        if account is not None:
            accounts = [a for a in accounts if a.id == account]
            if not accounts:
                known = ", ".join(a.id for a in cfg.accounts) or "（无）"
                raise UsageError(f"配置文件 {config} 中没有 id 为 {account!r} 的账号（已配置：{known}）")
        self.config = cfg
        self.accounts = accounts
        self.tz = ZoneInfo(cfg.timezone)
        self.thresholds = cfg.thresholds
        self.database_url = cfg.database_url
        self.lexicon_dirs = [str(p) for p in cfg.lexicon_paths]
        self.whitelist = list(cfg.whitelist)
        self.scan_id = int(scan_id) if scan_id else None
        self.timeout, self.retries = cfg.links.timeout, cfg.links.retries  # as for link checks
        self.site = None  # the check pipeline's per-site options do not apply
        # relative times in a feed (5分钟前) count back from now, or from the end of an earlier
        # scan date given with as_of
        now = datetime.now(self.tz)
        self.now = now if now.date() == self.as_of else datetime.combine(self.as_of, time(23, 59), self.tz)
        self.feeds_read = 0
        self.full_run = account is None  # every registered account: may close removed ones

    async def start(self) -> AsyncIterator[Any]:
        for account in self.accounts:
            if not account.feed:
                yield AccountItem(account=account.id, error="未配置订阅源（feed），无法检查")
                continue
            yield Request(account.feed, callback=self.parse_feed, errback=self.feed_failed, dont_filter=True,
                          meta={"account": account.id, "download_maxsize": MAX_FEED_BYTES,
                                "download_warnsize": 0, "download_timeout": self.timeout,
                                "max_retry_times": self.retries})

    def parse_feed(self, response: Response) -> Any:
        item = AccountItem(account=response.meta["account"], feed_url=response.meta.get("redirect_urls",
                                                                                         [response.url])[0],
                           status=response.status)
        if response.status >= 400:
            item.error = f"HTTP {response.status}"
            yield item
            return
        try:
            item.feed = parse_feed(response.body, self.tz, self.now)
            self.feeds_read += 1
        except FeedError as exc:
            item.error = redact(str(exc))  # a platform's message may quote a phone number
        yield item

    def feed_failed(self, failure: Any) -> Any:
        request = failure.request
        status = getattr(getattr(failure.value, "response", None), "status", None)
        yield AccountItem(account=request.meta["account"], feed_url=request.meta.get("redirect_urls",
                                                                                     [request.url])[0],
                          status=status, error=describe_failure(failure))

    def closed(self, reason: str) -> None:
        self.logger.info("账号检查结束（%s）：%d 个账号", reason, len(self.accounts))
