"""Politeness to small county servers: Retry-After is honoured, a site's time budget ends
its crawl gracefully, AutoThrottle is on."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor import settings
from monitor.middlewares import retry_after_seconds
from monitor.store import Store
from servers import Reply, Req, page, serve, slow
from test_crawl import govmon

TYPO = "再接再励"


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now.timestamp()) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now.timestamp()) == 0.0
    for bad in (None, b"", b"soon", b"-5", b"1.5"):
        assert retry_after_seconds(bad) is None


def test_autothrottle_and_retry_after_are_on_by_default():
    assert settings.AUTOTHROTTLE_ENABLED is True and settings.MONITOR_RETRY_AFTER_ENABLED is True
    assert settings.CONCURRENT_REQUESTS_PER_DOMAIN == 4


def test_autothrottle_learns_from_304_answers_as_from_200_and_not_from_errors():
    """An incremental rescan gets mostly 304 Not Modified: they lower the delay when the server
    answers fast, as 200s do (Scrapy's AutoThrottle only lets a 200 lower it); an error page
    still cannot lower it, and a slow answer of any kind raises it."""
    from types import SimpleNamespace

    from scrapy.extensions.throttle import AutoThrottle as ScrapyAutoThrottle
    from scrapy.utils.test import get_crawler

    from monitor.throttle import AutoThrottle

    crawler = get_crawler(settings_dict={"AUTOTHROTTLE_ENABLED": True})
    assert settings.EXTENSIONS["scrapy.extensions.throttle.AutoThrottle"] is None  # Scrapy's: off
    assert settings.EXTENSIONS["monitor.throttle.AutoThrottle"] == 0  # govmon's instead
    assert issubclass(AutoThrottle, ScrapyAutoThrottle)
    throttle = AutoThrottle(crawler)
    throttle.mindelay, throttle.maxdelay = 0.0, 30.0

    def after(status: int, latency: float, delay: float = 1.0) -> float:
        slot = SimpleNamespace(delay=delay)
        throttle._adjust_delay(slot, latency, SimpleNamespace(status=status))
        return slot.delay

    assert after(200, 0.01) == after(304, 0.01) < 1.0  # a fast server: the delay comes down
    assert after(404, 0.01) == after(503, 0.01) == 1.0  # error pages are quick: no evidence
    assert after(304, 8.0) == after(500, 8.0) == after(200, 8.0) > 1.0  # a slow server: up


def busy_then_ready(wait: str) -> tuple[Any, list[float]]:
    """429 with Retry-After on the first request, the page after that; request times kept."""
    times: list[float] = []
    lock = threading.Lock()

    def handler(req: Req) -> Reply:
        with lock:
            times.append(time.monotonic())
            first = len(times) == 1
        if first:
            return Reply(429, b"busy", {"Retry-After": wait, "Content-Type": "text/plain"})
        return page("通知", f"全县干部{TYPO}。")

    return handler, times


def write_config(tmp: Path, base: str, **site: Any) -> Path:
    path = tmp / "monitor.yaml"
    path.write_text(yaml.safe_dump({
        "departments": [{"id": "office", "name": "县政府办公室"}],
        "links": {"allow_hosts": ["127.0.0.1"], "timeout": 5, "retries": 0},
        "sites": [{"id": "t", "name": "测试", "url": f"{base}/", "department": "office", **site}],
    }, allow_unicode=True), encoding="utf-8")
    return path


def scan(config: Path, env: dict[str, str]) -> Any:
    proc = govmon("scan", "--config", str(config), "--as-of", "2026-11-20", "--no-report", cwd=config.parent, env=env)
    store = Store(f"sqlite:///{config.parent / 'govmon.db'}")
    try:
        latest = store.scans("t", limit=1)[0]
        return proc, latest, [f.text for f in store.findings(scan_ids=[latest.id])]
    finally:
        store.close()


@pytest.mark.slow
def test_a_server_asking_for_a_pause_gets_it_and_the_page_is_read_after(tmp_path, crawl_env):
    handler, times = busy_then_ready("1")
    with serve({"/": page("首页", "欢迎", links=["/notice.html"]), "/notice.html": handler}) as site:
        proc, latest, texts = scan(write_config(tmp_path, site.base), crawl_env)
    assert proc.returncode == 0, proc.stderr
    assert latest.status == "complete" and TYPO in texts
    assert len(times) == 2 and times[1] - times[0] >= 0.9  # waited as asked (a lower bound, not a speed)


@pytest.mark.slow
def test_a_pause_longer_than_the_limit_is_not_waited_for(tmp_path, crawl_env):
    # an hour is not honoured: Scrapy's own retry asks again at once (the scan would not
    # finish within the test's time limit otherwise)
    handler, times = busy_then_ready("3600")
    with serve({"/": page("首页", "欢迎", links=["/notice.html"]), "/notice.html": handler}) as site:
        proc, latest, texts = scan(write_config(tmp_path, site.base), crawl_env)
    assert latest.status == "complete" and TYPO in texts and len(times) == 2


@pytest.mark.slow
def test_the_time_budget_ends_the_crawl_and_the_scan_is_partial(tmp_path, crawl_env):
    pages = {f"/p{i}.html": slow(1.0, page(f"第{i}页", "正文", links=[f"/p{i + 1}.html"])) for i in range(40)}
    with serve({"/": page("首页", "欢迎", links=["/p0.html"]), **pages}) as site:
        proc, latest, _ = scan(write_config(tmp_path, site.base, time_budget_minutes=0.05), crawl_env)
    assert latest.status == "partial" and "达到站点抓取时间上限" in latest.message
    assert latest.pages < 20
