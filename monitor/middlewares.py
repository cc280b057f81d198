"""Downloader middlewares of govmon."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Request, Response

from .extract.encoding import decode_html


def _codec(name: str | None) -> str | None:
    import codecs

    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


class CharsetMiddleware:
    """Decode HTML as it really is encoded.

    County portals serve GBK pages with no charset, declare gb2312 while using GBK-only
    characters, or declare utf-8 over GBK bytes. Scrapy's default guess would turn those
    into mojibake (and every check would miss). We decide with `decode_html` and hand on a
    response that carries the right encoding.
    """

    @classmethod
    def from_crawler(cls, crawler: Any) -> "CharsetMiddleware":
        if not crawler.settings.getbool("MONITOR_CHARSET_ENABLED"):
            raise NotConfigured
        return cls()

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, HtmlResponse):
            return response
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        declared = None
        if "charset=" in content_type.lower():
            declared = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
        _, encoding = decode_html(response.body, declared)
        if _codec(encoding) and _codec(encoding) != _codec(response.encoding):
            return response.replace(encoding=encoding)
        return response


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date (RFC 9110)."""
    import time
    from email.utils import parsedate_to_datetime

    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    """Honour `Retry-After` on 429 Too Many Requests and 503 Service Unavailable.

    A small county server that asks for a pause gets it: the request is retried after the
    time it names, and the whole host (Scrapy's download slot) waits as long — not just the
    one request — until the host answers normally again. A wait longer than
    MONITOR_RETRY_AFTER_MAX seconds, or past MONITOR_RETRY_AFTER_TIMES retries, is not
    honoured: the answer is recorded as it is (and RetryMiddleware, behind this one, applies
    its own retries).
    """

    def __init__(self, crawler: Any, max_wait: float, max_times: int) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        self.max_times = max_times
        self._slowed: dict[str, tuple[float, bool]] = {}  # download slot → (delay, randomize) before

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RetryAfterMiddleware":
        settings = crawler.settings
        if not settings.getbool("MONITOR_RETRY_AFTER_ENABLED"):
            raise NotConfigured
        return cls(crawler, settings.getfloat("MONITOR_RETRY_AFTER_MAX"), settings.getint("MONITOR_RETRY_AFTER_TIMES"))

    def _slot(self, request: Request) -> Any:
        engine = getattr(self.crawler, "engine", None)
        key = request.meta.get("download_slot")
        return engine.downloader.slots.get(key) if engine is not None and key is not None else None

    def process_response(self, request: Request, response: Response) -> Request | Response:
        key = request.meta.get("download_slot")
        if response.status not in (429, 503):
            if key in self._slowed:  # the host answers normally again: back to its own pace
                slot = self._slot(request)
                if slot is not None:
                    slot.delay, slot.randomize_delay = self._slowed[key]
                del self._slowed[key]
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        times = request.meta.get("retry_after_times", 0)
        if wait is None or wait > self.max_wait or times >= self.max_times:
            return response
        slot = self._slot(request)
        if slot is not None:
            self._slowed.setdefault(key, (slot.delay, slot.randomize_delay))
            # at least as long as asked: Scrapy's randomised delay could make it half
            slot.delay, slot.randomize_delay = max(slot.delay, wait), False
        self.crawler.stats.inc_value("monitor/retry_after")
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = times + 1
        return retry


class HostDown(IgnoreRequest):
    """A link check not made: its host could not be reached for other links of this crawl.
    `cause` is the failure those links ended with (describe_failure words it)."""

    def __init__(self, host: str, cause: BaseException) -> None:
        super().__init__(f"{host} unreachable: {cause}")
        self.host, self.cause = host, cause


class HostDownMiddleware:
    """Link checks: a host that cannot be reached is not tried link after link.

    A closed site that old articles still link to answers every link the same way: a refused
    connection, or no such domain. Each link was tried 1 + `links.retries` times, four at a
    time: dozens of links to a dead host made the whole tail of a rescan. After
    MONITOR_HOST_DOWN_AFTER links to a host failed so, every retry spent, with no answer at
    all from that host in this crawl (any answer, even a 404, means the host is up), the
    other link checks to it are not made: they fail at once with the same error, and the
    findings read the same. Timeouts do not count: a live server can be slow on some
    pages and quick on others. Pages of the site itself are never skipped (only requests
    marked `linkcheck`).
    """

    def __init__(self, crawler: Any, after: int) -> None:
        from scrapy import exceptions as sx
        from twisted.internet import error as terr

        self.crawler = crawler
        self.after = after
        # failures that say the host, not the URL, cannot be reached
        self.host_errors: tuple[type[BaseException], ...] = (
            terr.DNSLookupError, terr.ConnectionRefusedError, sx.CannotResolveHostError,
            sx.DownloadConnectionRefusedError)
        self._up: set[str] = set()  # hosts that answered something in this crawl
        self._failed: dict[str, set[str]] = {}  # host → link targets that could not reach it
        self.down: dict[str, BaseException] = {}  # host → what its links failed with

    @classmethod
    def from_crawler(cls, crawler: Any) -> "HostDownMiddleware":
        after = crawler.settings.getint("MONITOR_HOST_DOWN_AFTER")
        if after < 1:
            raise NotConfigured
        return cls(crawler, after)

    @staticmethod
    def _host(request: Request) -> str:
        """Scheme, host and port: a refused connection says nothing of the host's other port
        (many county sites answer http:// and refuse https://)."""
        from urllib.parse import urlsplit

        parts = urlsplit(request.url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    def process_request(self, request: Request) -> None:
        if self.down and request.meta.get("linkcheck"):
            host = self._host(request)
            if host in self.down:
                self.crawler.stats.inc_value("monitor/link_checks_host_down")
                raise HostDown(host, self.down[host])

    def process_response(self, request: Request, response: Response) -> Response:
        host = self._host(request)
        self._up.add(host)
        if host in self.down:  # it answers after all (it refused for a while): try its links again
            del self.down[host]
            self._failed.pop(host, None)
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        # called once a request's retries are spent (RetryMiddleware, closer to the downloader,
        # returns the retry before this one sees the failure)
        if not request.meta.get("linkcheck") or not isinstance(exception, self.host_errors):
            return
        host = self._host(request)
        if host in self._up or host in self.down:
            return
        failed = self._failed.setdefault(host, set())
        failed.add(request.meta["linkcheck"])
        if len(failed) >= self.after:
            import logging

            self.down[host] = exception
            logging.getLogger(__name__).info("链接检查：%s 的 %d 个链接均无法连接（%s），该主机的其余链接不再逐一尝试",
                                             host, len(failed), type(exception).__name__)
