"""How a crawl's summary becomes the scan's status: only a complete scan may fix findings."""

from __future__ import annotations

from monitor.scanning import scan_outcome

DONE = {"finish_reason": "finished", "home_status": 200, "home_error": None, "capped": False,
        "audit": {"columns": []}}


def test_a_finished_crawl_with_its_site_checks_is_complete():
    assert scan_outcome(DONE, returncode=0) == ("complete", None)


def test_a_crawl_whose_site_checks_did_not_run_is_partial():
    status, message = scan_outcome({**DONE, "audit": None}, returncode=0)
    assert status == "partial" and "站点级检查" in message


def test_home_page_down_cap_timeout_and_a_dead_process():
    assert scan_outcome({**DONE, "home_error": "连接被拒绝"}, 0)[0] == "failed"
    assert scan_outcome({**DONE, "capped": True, "max_pages": 10}, 0)[0] == "partial"
    assert scan_outcome(DONE, 0, timed_out=True)[0] == "partial"
    assert scan_outcome(None, -9)[0] == "failed"


def test_results_that_could_not_be_stored_make_the_scan_partial():
    status, message = scan_outcome({**DONE, "store_errors": 2}, returncode=0)
    assert status == "partial" and "2 个页面或检查结果未能写入数据库" in message


def test_the_summary_table_keeps_a_long_log_address_whole_in_80_columns():
    import io
    from datetime import date

    from rich.console import Console

    from monitor.config import Site
    from monitor.progress import _print_table
    from monitor.scanning import SiteScanResult

    url = "http://10.0.0.11:6800/logs/govmon/site/jiaoyuju-portal-12345.log"
    site = Site(id="jyj", name="示例县教育局", url="http://127.0.0.1:8000/", department="office")
    result = SiteScanResult(site, 12345, "failed", f"抓取进程异常退出，未写入结果摘要（节点 {url}，日志 {url}）",
                            0, 0, url)
    out = io.StringIO()
    _print_table(Console(file=out, width=80), [result], date(2026, 11, 20))
    cells = "".join(line.strip(" │┃|") for line in out.getvalue().splitlines())
    assert url in cells.replace(" ", "").replace("│", "") and "…" not in out.getvalue()
