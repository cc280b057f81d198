"""AutoThrottle that learns from 304 Not Modified answers too (incremental scans).

Scrapy's AutoThrottle lowers a host's delay only on 200 answers: error pages and redirects
are small and quick, and a server in trouble would otherwise be asked faster. A 304 is
neither: it is the whole answer to a conditional request (If-None-Match /
If-Modified-Since), and the time the server takes to give it shows how busy it is as well
as a 200 does. Counted like a 200, a nightly rescan — almost nothing but 304s — no longer
keeps the delay it started with, or the highest it ever reached, for the whole crawl
(docs/performance.md). Raising the delay on a slow answer works as before, for every status.
"""

from __future__ import annotations

from typing import Any

from scrapy.extensions.throttle import AutoThrottle as ScrapyAutoThrottle

#: answers whose latency may lower the delay
_FULL_ANSWERS = (200, 304)


class AutoThrottle(ScrapyAutoThrottle):
    """Scrapy's AutoThrottle (same settings, same policy), a 304 counted like a 200."""

    def _adjust_delay(self, slot: Any, latency: float, response: Any) -> None:
        # Scrapy's policy (scrapy/extensions/throttle.py), with _FULL_ANSWERS for its `!= 200`:
        # aim at `target_concurrency` requests in flight, move half-way towards the target
        # delay, at once when the target is higher; within DOWNLOAD_DELAY..AUTOTHROTTLE_MAX_DELAY
        target_delay = latency / self.target_concurrency
        new_delay = max(target_delay, (slot.delay + target_delay) / 2.0)
        new_delay = min(max(self.mindelay, new_delay), self.maxdelay)
        if response.status not in _FULL_ANSWERS and new_delay <= slot.delay:
            return
        slot.delay = new_delay
