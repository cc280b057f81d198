"""Availability: `govmon probe` against local servers, and the 5 % veto over 7 days."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from monitor.config import Site, Thresholds
from monitor.probe import availability, availability_finding, probe_site
from monitor.store import Store
from servers import closed_port, page, serve, server_error, slow
from test_crawl import govmon


def site(url: str) -> Site:
    return Site(id="t", name="测试", url=url, department="office")


def test_probe_results_for_up_down_slow_and_refused():
    with serve({"/": page("首页", "欢迎"), "/err": server_error(), "/slow": slow(2.0)}) as srv:
        up = probe_site(site(f"{srv.base}/"))
        assert up.ok and up.status == 200 and up.error is None
        err = probe_site(site(f"{srv.base}/err"))
        assert not err.ok and err.status == 500 and err.error == "HTTP 500"
        late = probe_site(site(f"{srv.base}/slow"), timeout=0.5)
        assert not late.ok and "秒内未打开" in late.error
    refused = probe_site(site(f"http://127.0.0.1:{closed_port()}/"))
    assert not refused.ok and "拒绝" in refused.error


def record(store: Store, ok: int, failed: int, days_ago: float = 1) -> None:
    at = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=days_ago)
    for i in range(ok + failed):
        store.record_probe("t", ok=i >= failed, at=at)


def test_five_percent_failed_probes_over_seven_days_is_a_veto(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    try:
        s, limits = site("http://127.0.0.1:1/"), Thresholds()
        record(store, ok=95, failed=4)
        record(store, ok=0, failed=50, days_ago=8)  # older than the window: not counted
        assert availability(store, s, limits) == (99, 4)
        assert availability_finding(s, limits, 99, 4) is None  # 4.0 %
        record(store, ok=0, failed=1)  # 5 of 100
        probes, failed = availability(store, s, limits)
        finding = availability_finding(s, limits, probes, failed)
        assert finding.severity == "veto" and finding.category == "availability"
        assert "5.0%" in finding.text and finding.extra["failed"] == 5
    finally:
        store.close()


def test_a_handful_of_probes_is_not_evidence():
    limits = Thresholds()
    assert availability_finding(site("http://x/"), limits, 19, 19) is None
    assert availability_finding(site("http://x/"), Thresholds(availability_min_probes=3), 3, 1) is not None


def test_probe_command_records_and_the_next_scan_reports_the_veto(tmp_path: Path, crawl_env):
    with serve({"/": page("首页", "欢迎访问")}) as srv:
        config = tmp_path / "monitor.yaml"
        config.write_text(yaml.safe_dump({
            "database": "sqlite:///govmon.db", "departments": [{"id": "office", "name": "县政府办公室"}],
            "links": {"allow_hosts": ["127.0.0.1"]},
            "thresholds": {"availability_min_probes": 2},
            "sites": [{"id": "t", "name": "测试", "url": f"{srv.base}/", "department": "office"},
                      {"id": "down", "name": "停机站点", "url": f"http://127.0.0.1:{closed_port()}/",
                       "department": "office"}],
        }, allow_unicode=True), encoding="utf-8")
        for _ in range(2):
            proc = govmon("probe", "--config", str(config), cwd=tmp_path, env=crawl_env)
            assert proc.returncode == 1 and "停机站点（down）：无法访问" in proc.stdout, proc.stdout + proc.stderr
            assert "测试（t）：可访问" in proc.stdout
        proc = govmon("scan", "--config", str(config), cwd=tmp_path, env=crawl_env)
        assert proc.returncode == 1  # the down site's scan failed
    store = Store(f"sqlite:///{tmp_path / 'govmon.db'}")
    try:
        (veto,) = store.findings(category="availability")
        assert veto.site == "down" and veto.severity == "veto"
    finally:
        store.close()
    index = next((tmp_path / "reports").rglob("index.html")).read_text(encoding="utf-8")
    assert "失败率 <span class=\"percent\">100.0%</span>" in index and "失败率 <span class=\"percent\">0.0%</span>" in index


def test_a_garbled_answer_is_a_failed_probe_not_a_crash():
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def answer() -> None:
        conn, _ = listener.accept()
        conn.recv(1024)
        conn.sendall(b"NONSENSE\r\n\r\n")
        conn.close()

    threading.Thread(target=answer, daemon=True).start()
    try:
        result = probe_site(site(f"http://127.0.0.1:{listener.getsockname()[1]}/"), timeout=3)
    finally:
        listener.close()
    assert not result.ok and "应答无效" in result.error
