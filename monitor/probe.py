"""Availability (RULES.md §1): request each site's home page, record whether it opened.

`govmon probe` runs one round; the scheduler runs it many times a day. A probe fails when
the home page has not arrived within PROBE_TIMEOUT seconds, or answers with an error. Over
`thresholds.availability_days`, failures ≥ `availability_veto_percent` of at least
`availability_min_probes` probes make an `availability` veto finding (at the next scan).
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .config import Config, Site, Thresholds
from .extract.links import canonicalize_url
from .finding import Finding
from .settings import USER_AGENT
from .store import Store

#: seconds within which the home page must have arrived (the national checklist's 15 s)
PROBE_TIMEOUT = 15.0
#: read at most this much of the home page (enough to know it is being served)
PROBE_READ_BYTES = 2 * 1024 * 1024


@dataclass
class ProbeResult:
    site: Site
    ok: bool
    status: int | None
    error: str | None
    elapsed_ms: int


def probe_site(site: Site, timeout: float = PROBE_TIMEOUT) -> ProbeResult:
    """One request for the home page: the whole answer must arrive within `timeout`."""
    started = time.monotonic()
    request = urllib.request.Request(site.url, headers={"User-Agent": USER_AGENT})
    status, error = None, None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxies: reach the site itself
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
            remaining = PROBE_READ_BYTES
            while remaining > 0:
                if time.monotonic() - started > timeout:
                    raise TimeoutError
                chunk = response.read(min(65536, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except http.client.HTTPException as exc:  # a garbled answer: the page did not open
        error = f"无法访问：服务器应答无效（{type(exc).__name__}）"
    except (TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason).lower():
            error = f"{timeout:g} 秒内未打开"
        elif isinstance(reason, ConnectionRefusedError):
            error = "连接被拒绝"
        else:
            error = f"无法访问：{reason}"
    elapsed = int((time.monotonic() - started) * 1000)
    if error is None and elapsed > timeout * 1000:
        error = f"{timeout:g} 秒内未打开"
    ok = error is None and status is not None and status < 400
    return ProbeResult(site, ok, status, error, elapsed)


def probe_all(config: Config, store: Store, sites: list[Site], timeout: float = PROBE_TIMEOUT) -> list[ProbeResult]:
    results = []
    for site in sites:
        result = probe_site(site, timeout)
        store.record_probe(site.id, result.ok, result.status, result.error, result.elapsed_ms)
        results.append(result)
    return results


def availability(store: Store, site: Site, thresholds: Thresholds,
                 now: datetime | None = None) -> tuple[int, int]:
    """(probes, failed) over the last `availability_days`."""
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    return store.availability(site.id, now - timedelta(days=thresholds.availability_days))


def availability_finding(site: Site, thresholds: Thresholds, probes: int, failed: int) -> Finding | None:
    """The veto finding when enough probes failed, else None."""
    if probes < thresholds.availability_min_probes or probes == 0:
        return None
    percent = failed * 100 / probes
    if percent < thresholds.availability_veto_percent:
        return None
    return Finding(
        rule="availability", category="availability", severity="veto",
        text=f"首页近 {thresholds.availability_days} 天访问失败率 {percent:.1f}%",
        suggestion="排查服务器、网络和域名解析，保障网站稳定访问",
        note=(f"{probes} 次探测中 {failed} 次未能在 {PROBE_TIMEOUT:g} 秒内打开首页；"
              f"失败率达到 {thresholds.availability_veto_percent:g}% 属单项否决"),
        url=canonicalize_url(site.url), site=site.id, department=site.department, page_title="网站首页",
        place=f"site:{site.id}:availability", key="availability",
        extra={"probes": probes, "failed": failed, "percent": round(percent, 1)},
    )
