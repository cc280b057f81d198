"""Downloader middlewares of govmon."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured
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
