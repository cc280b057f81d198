"""Fewer garbage-collector passes during a crawl (a Scrapy extension).

A crawl holds a large, long-lived heap — jieba's prefix dictionary (~350,000 entries), the
lexicons, the URLs scheduled, the site checks' link references — and makes many small
short-lived containers per page (an unchanged page's facts alone are hundreds of lists and
strings). CPython's default thresholds (700, 10, 10) then run a young collection every 700
new containers and keep traversing the old heap: 3 s of a 12-second rescan of a
20,000-page portal went to the collector (bench/crawl.py, docs/performance.md); frozen and
with MONITOR_GC_THRESHOLDS (5000, 10, 10), 0.7–0.9 s. Far larger thresholds cost memory
instead: garbage still holding a page's body and tree waits longer for its collection.

When the spider opens, after the pipelines have loaded the lexicons: one collection,
`gc.freeze()` (what is alive then stays: it is never traversed again) and the thresholds of
MONITOR_GC_THRESHOLDS. The collector still runs — reference cycles are still freed, in
larger batches — and the process's settings are put back when the spider closes (tests run
crawls in-process; the last of overlapping crawls puts them back). A crawl that never opens
changes nothing.
"""

from __future__ import annotations

import gc
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured


#: crawls of this process using the extension now, and the thresholds before the first (crawls
#: may overlap in one process, e.g. in tests: the last one to end puts things back)
_active = 0
_saved: tuple[int, ...] | None = None


class GcTuning:
    def __init__(self, thresholds: tuple[int, ...]) -> None:
        self.thresholds = thresholds
        self._on = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> "GcTuning":
        values = crawler.settings.getlist("MONITOR_GC_THRESHOLDS")
        if not values:
            raise NotConfigured
        try:
            thresholds = tuple(int(v) for v in values)
        except ValueError:
            raise NotConfigured(f"MONITOR_GC_THRESHOLDS: whole numbers, not {values!r}") from None
        if not 1 <= len(thresholds) <= 3 or min(thresholds) < 1:
            raise NotConfigured(f"MONITOR_GC_THRESHOLDS: one to three numbers of at least 1, not {values!r}")
        extension = cls(thresholds)
        # spider_opened is sent after the pipelines' open_spider: the lexicons are loaded
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.restore, signal=signals.spider_closed)
        crawler.signals.connect(extension.restore, signal=signals.engine_stopped)
        return extension

    def spider_opened(self, spider: Any = None) -> None:
        global _active, _saved
        if self._on:
            return
        self._on = True
        if _active == 0:
            _saved = gc.get_threshold()
        _active += 1
        gc.collect()
        gc.freeze()
        gc.set_threshold(*self.thresholds)

    def restore(self, spider: Any = None) -> None:
        global _active, _saved
        if not self._on:
            return
        self._on = False
        _active -= 1
        if _active == 0 and _saved is not None:
            gc.set_threshold(*_saved)
            gc.unfreeze()
            _saved = None
