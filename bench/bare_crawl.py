"""A bare Scrapy crawl of one site: the baseline of bench/crawl.py.

    python bench/bare_crawl.py URL [--max-depth 8] [--max-pages 5000] [--per-host 4]

The same Scrapy settings as govmon's crawl — monitor.settings (concurrency, timeouts,
retries, size caps, breadth-first depth priority, queues) and what the `site` spider sets
on top (no duplicate filter: it deduplicates URLs itself; CONCURRENT_REQUESTS_PER_DOMAIN from
`links.per_host`) — but none of govmon's components: no charset middleware, no pipelines,
no checks, no store. The spider follows every same-host `<a href>` (pages and attachments
alike, as govmon does), found with lxml in the page text as Scrapy decoded it, once per URL,
up to --max-depth clicks and --max-pages requests. Prints one JSON line with its figures.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, AsyncIterator
from urllib.parse import urljoin, urlsplit

import lxml.html
import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Request, Response, TextResponse
from scrapy.settings import Settings


class BareSpider(scrapy.Spider):
    name = "bare"
    custom_settings = {"DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter"}  # as the site spider

    def __init__(self, url: str, max_depth: int, max_pages: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url = url
        self.netloc = urlsplit(url).netloc.lower()
        self.max_depth = max_depth
        self.max_pages = max_pages
        self.seen = {url}
        self.html = self.other = self.failed = 0

    async def start(self) -> AsyncIterator[Any]:
        yield Request(self.start_url, callback=self.parse, errback=self.error, meta={"depth": 0})

    def parse(self, response: Response) -> Any:
        content_type = response.headers.get(b"Content-Type", b"").lower()
        if not isinstance(response, TextResponse) or b"html" not in content_type or response.status >= 400:
            self.other += 1
            return
        self.html += 1
        depth = response.meta.get("depth", 0)
        if depth >= self.max_depth:
            return
        tree = lxml.html.document_fromstring(response.text)
        for a in tree.iter("a"):
            href = a.get("href")
            if not href:
                continue
            url = urljoin(response.url, href.strip()).split("#", 1)[0]
            if url in self.seen or urlsplit(url).netloc.lower() != self.netloc:
                continue
            if len(self.seen) >= self.max_pages:
                continue
            self.seen.add(url)
            yield Request(url, callback=self.parse, errback=self.error, meta={"depth": depth + 1})

    def error(self, failure: Any) -> None:
        self.failed += 1


def bare_settings(per_host: int) -> Settings:
    """monitor.settings without govmon's own components."""
    settings = Settings()
    settings.setmodule("monitor.settings", priority="project")
    settings.set("SPIDER_MODULES", [], priority="project")
    settings.set("ITEM_PIPELINES", {}, priority="project")
    settings.set("DOWNLOADER_MIDDLEWARES", {}, priority="project")
    settings.set("LOG_FORMATTER", "scrapy.logformatter.LogFormatter", priority="project")
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", per_host, priority="spider")
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--max-depth", type=int, default=8)
    parser.add_argument("--max-pages", type=int, default=5000)
    parser.add_argument("--per-host", type=int, default=4, help="CONCURRENT_REQUESTS_PER_DOMAIN (govmon: links.per_host)")
    parser.add_argument("--log-file", default=None)
    args = parser.parse_args()

    settings = bare_settings(args.per_host)
    if args.log_file:
        settings.set("LOG_FILE", args.log_file, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    started = time.perf_counter()
    process.crawl(crawler, url=args.url, max_depth=args.max_depth, max_pages=args.max_pages)
    process.start()
    spider = crawler.spider
    stats = crawler.stats.get_stats()
    print(json.dumps({
        "seconds": time.perf_counter() - started,
        "elapsed": stats.get("elapsed_time_seconds"),
        "responses": stats.get("response_received_count", 0),
        "requests": stats.get("downloader/request_count", 0),
        "html": spider.html, "other": spider.other, "failed": spider.failed,
        "finish_reason": stats.get("finish_reason"),
        "concurrent_requests": settings.getint("CONCURRENT_REQUESTS"),
        "per_host": settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
    }))


if __name__ == "__main__":
    main()
