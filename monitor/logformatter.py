"""A LogFormatter that never writes item contents to the log.

Scrapy's default logs every scraped item at DEBUG; our items carry page text, which may
hold personal numbers. We log the URL and the number of findings instead.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import logformatter


class QuietLogFormatter(logformatter.LogFormatter):
    def __init__(self, debug: bool = True) -> None:
        self.debug = debug  # whether DEBUG lines reach the log at all

    @classmethod
    def from_crawler(cls, crawler: Any) -> "QuietLogFormatter":
        settings = crawler.settings
        level = settings.get("LOG_LEVEL") or logging.DEBUG
        if isinstance(level, str):
            level = logging.getLevelName(level.upper())
        return cls(debug=settings.getbool("LOG_ENABLED") and isinstance(level, int) and level <= logging.DEBUG)

    def scraped(self, item: Any, response: Any, spider: Any) -> logformatter.LogFormatterResult | None:
        if not self.debug:  # a line per page that the log level drops anyway: not even made
            return None
        return {
            "level": logging.DEBUG,
            "msg": "Scraped %(url)s (%(findings)d findings)",
            "args": {"url": getattr(item, "url", "?"), "findings": len(getattr(item, "findings", []) or [])},
        }

    def dropped(self, item: Any, exception: BaseException, response: Any,
                spider: Any) -> logformatter.LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "Dropped %(url)s: %(exception)s",
            "args": {"url": getattr(item, "url", "?"), "exception": exception},
        }

    def item_error(self, item: Any, exception: BaseException, response: Any,
                   spider: Any) -> logformatter.LogFormatterResult:
        return {
            "level": logging.ERROR,
            "msg": "Error processing %(url)s",
            "args": {"url": getattr(item, "url", "?")},
        }
