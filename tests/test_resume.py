"""A scan killed mid-way (the machine rebooted, someone pressed Ctrl+C twice, kill -9): it
marks nothing fixed, and the next scan picks up where it stopped — the pages already read and
stored are not fetched again — and is complete, with every finding."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy import select

from monitor.store import CachedPage, Store
from servers import Reply, Req, dated_entries_page, page, serve, slow, validated
from test_crawl import govmon

pytestmark = pytest.mark.slow

TYPO = "再接再励"
ARTICLES = [f"/tzgg/a{i}.html" for i in range(24)]


def site() -> dict[str, object]:
    routes: dict[str, object] = {
        "/": validated(page("测试县人民政府", "欢迎访问。", links=[("/tzgg/index.html", "通知公告")])),
        "/tzgg/index.html": validated(dated_entries_page(
            "通知公告", [(p, f"第{i}号通知", f"2026-11-{(i % 18) + 1:02d}") for i, p in enumerate(ARTICLES)])),
    }
    for i, path in enumerate(ARTICLES):
        text = f"全县干部{TYPO}，做好第{i}项工作。" if i % 6 == 0 else f"做好第{i}项工作。"
        reply = page(f"第{i}号通知", text)
        routes[path] = slow(0.4, reply)  # slow enough to be killed half-way
    return routes


def write_config(tmp: Path, base: str) -> Path:
    path = tmp / "monitor.yaml"
    path.write_text(yaml.safe_dump({
        "departments": [{"id": "office", "name": "县政府办公室"}],
        "links": {"allow_hosts": ["127.0.0.1"], "timeout": 5, "retries": 0, "per_host": 1},
        "sites": [{"id": "t", "name": "测试", "url": f"{base}/", "department": "office"}],
    }, allow_unicode=True), encoding="utf-8")
    return path


def open_store(tmp: Path) -> Store:
    return Store(f"sqlite:///{tmp / 'govmon.db'}")


def test_a_killed_scan_fixes_nothing_and_the_next_one_resumes(tmp_path, crawl_env):
    with serve(site()) as server:
        config = write_config(tmp_path, server.base)
        # a clean first night, so there is something that a wrong "fixed" could hit
        first = govmon("scan", "--config", str(config), "--as-of", "2026-11-20", "--no-report",
                       cwd=tmp_path, env=crawl_env, timeout=180)
        assert first.returncode == 0, first.stderr
        store = open_store(tmp_path)
        before = {f.fingerprint for f in store.findings(statuses=None)}
        assert len(before) >= 4
        # the page with a problem is fixed on the site; then the night's scan is killed
        server.routes[ARTICLES[0]] = slow(0.4, page("第0号通知", "做好第0项工作。"))
        hits_before = {p: server.count(p) for p in ARTICLES}
        script = Path(sys.executable).with_name("govmon")
        cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from monitor.cli import main; main()"]
        proc = subprocess.Popen(cmd + ["scan", "--config", str(config), "--as-of", "2026-11-21", "--no-report",
                                       "--full"],
                                cwd=tmp_path, env=crawl_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            killed = store.scans("t", limit=1)[0]
            if killed.scan_date == date(2026, 11, 21) and (killed.pages or 0) >= 8:
                break
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)  # the crawl process and govmon itself, no goodbye
        proc.wait()
        requested = {p for p in ARTICLES if server.count(p) > hits_before[p]}
        # what the killed scan stored: whole pages — row, findings and cache entry together
        # (the pages in flight, or waiting for their batch's transaction, are not there)
        read_before_kill = {urlsplit(p.url).path for p in store.pages(killed.id)} & set(ARTICLES)
        assert 4 <= len(read_before_kill) < len(ARTICLES) and read_before_kill <= requested
        with store.session() as s:
            cached = {urlsplit(url).path for url in s.scalars(
                select(CachedPage.url).where(CachedPage.site == "t", CachedPage.scan_id == killed.id))}
        assert cached & set(ARTICLES) == read_before_kill
        sighted = {urlsplit(f.url).path for f in store.findings(scan_ids=[killed.id], statuses=None) if f.text == TYPO}
        assert sighted == {p for i, p in enumerate(ARTICLES) if i % 6 == 0 and i and p in read_before_kill}
        assert all(f.status != "fixed" for f in store.findings(statuses=None))  # killed: nothing fixed
        hits_killed = {p: server.count(p) for p in ARTICLES}
        # the next run the same night resumes: what was read and stored is not read again
        again = govmon("scan", "--config", str(config), "--as-of", "2026-11-21", "--no-report",
                       cwd=tmp_path, env=crawl_env, timeout=180)
        assert again.returncode == 0, again.stderr
        scans = store.scans("t", limit=2)
        assert [s.status for s in scans] == ["complete", "failed"] and "中断" in scans[1].message
        reread = {p for p in read_before_kill if server.count(p) > hits_killed[p]}
        with_problems = {p for i, p in enumerate(ARTICLES) if i % 6 == 0}
        assert reread <= with_problems  # pages with open problems are read every night; no others
        statuses = {f.text + f.url.rsplit("/", 1)[-1]: f.status for f in store.findings(statuses=None)
                    if f.text == TYPO}
        assert statuses.pop(f"{TYPO}a0.html") == "fixed"  # the fix, seen once the scan completed
        assert set(statuses.values()) == {"open"}
        store.close()
