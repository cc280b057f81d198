"""Running scans: one crawl subprocess per site, and the verdict on how the scan went.

The Twisted reactor cannot be restarted inside one process, so every crawl is
`python -m scrapy crawl site …` in a subprocess with a timeout (as Scrapyd does). The
subprocess records pages and findings in the store as it goes and writes its summary to
the scan row when it closes; this side decides whether the scan is complete, partial or
failed, and only a complete scan marks findings fixed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, NoReturn

from sqlalchemy.exc import SQLAlchemyError

from .config import Config, Site
from .store import ACCOUNTS_TARGET, Store

#: seconds a single site's crawl may take before it is stopped (partial scan)
DEFAULT_CRAWL_TIMEOUT = 6 * 3600
#: seconds a crawl that was told to stop (SIGTERM) gets to close before it is killed
STOP_GRACE = 30
#: the message of a scan whose crawl was stopped because govmon itself was stopped
STOPPED_MESSAGE = "扫描被中止（govmon 收到停止信号），本次未抓取全部页面"


#: what a crawl that cannot start logs before the reason (read back from a node's log)
REFUSED_MARK = "无法开始抓取："


def refuse_crawl(spider_name: str, exc: Exception) -> NoReturn:
    """A crawl that cannot start (a usage or configuration error): said plainly on the real
    stderr (Twisted may have replaced sys.stderr; raised inside the running crawl, the error
    would only show as an asyncio traceback) and in the crawl log — on a Scrapyd node the log
    is what the scan's message points to — then exit 2, like other usage errors."""
    import logging

    print(f"错误：{exc}", file=sys.__stderr__ or sys.stderr, flush=True)
    logging.getLogger(spider_name).error("%s%s", REFUSED_MARK, exc)
    raise SystemExit(2)


def describe_failure(failure: Any) -> str:
    """A Scrapy/Twisted download failure in words for the office (Chinese)."""
    from scrapy import exceptions as sx
    from scrapy.exceptions import IgnoreRequest
    from twisted.internet import error as terr

    from .middlewares import HostDown

    value = failure.value
    if isinstance(value, HostDown):  # not tried: other links to its host failed with this
        value = value.cause
    text = str(value)
    # Scrapy ≥ 2.13 wraps Twisted's errors in its own (CannotResolveHostError, …): check both.
    if isinstance(value, (terr.DNSLookupError, sx.CannotResolveHostError)):
        return "域名解析失败"
    if isinstance(value, (terr.TimeoutError, terr.TCPTimedOutError, sx.DownloadTimeoutError)) \
            or "timed out" in text.lower() \
            or type(value).__name__ in ("TimeoutError", "ResponseNeverReceived") and "timeout" in text.lower():
        return "连接超时"
    if isinstance(value, (terr.ConnectionRefusedError, sx.DownloadConnectionRefusedError)):
        return "连接被拒绝（网站无法访问）"
    if isinstance(value, (terr.ConnectionLost, terr.ConnectionDone, sx.ResponseDataLossError, sx.DownloadFailedError)) \
            or "ConnectionLost" in text or "Connection was closed" in text:
        return "连接中断"
    if isinstance(value, IgnoreRequest) and "max redirections" in text.lower():
        return "重定向次数过多（可能是重定向循环）"
    if "maxsize" in text.lower() or "warnsize" in text.lower() or "Cancelled" in type(value).__name__:
        return "页面超过大小上限，已停止下载"
    return f"无法获取页面：{type(value).__name__}: {text[:200]}"


def pages_handed_on(stats: dict[str, Any]) -> int:
    """Items the crawl handed on, counting each page of an UnchangedPages batch as one."""
    return (stats.get("item_scraped_count", 0) - stats.get("monitor/replayed_batches", 0)
            + stats.get("monitor/replayed_in_batches", 0))


def crawl_summary(spider: Any, stats: dict[str, Any], reason: str) -> dict[str, Any]:
    """What the crawl subprocess reports about itself at the end (stored on the scan)."""
    return {
        "finish_reason": reason,
        "pages": pages_handed_on(stats),
        "responses": stats.get("response_received_count", 0),
        "requests": stats.get("downloader/request_count", 0),
        "trap_skipped": stats.get("monitor/trap_skipped", 0),
        "non_html": stats.get("monitor/non_html", 0),
        "capped": bool(getattr(spider, "capped", False)),
        "max_pages": getattr(getattr(spider, "site", None), "max_pages", None),
        "time_budget_minutes": getattr(getattr(spider, "site", None), "time_budget_minutes", None),
        "home_status": getattr(spider, "home_status", None),
        "home_error": getattr(spider, "home_error", None),
        "link_checks": stats.get("monitor/link_checks", 0),
        # link checks not made: their host refused or did not resolve for others (HostDownMiddleware)
        "link_checks_host_down": stats.get("monitor/link_checks_host_down", 0),
        # pages whose results could not be written to the store (the scan is then partial)
        "store_errors": stats.get("monitor/store_errors", 0),
        # incremental scans: pages not read again (off their rota day) and pages the server
        # confirmed unchanged; their findings were carried over, not re-checked
        "incremental": bool(getattr(spider, "incremental", False)),
        "unchanged_skipped": stats.get("monitor/unchanged_skipped", 0),
        "unchanged_revalidated": stats.get("monitor/unchanged_revalidated", 0),
        "findings_carried_over": stats.get("monitor/findings_carried_over", 0),
        "audit": getattr(spider, "audit_summary", None) if getattr(spider, "audit_recorded", False) else None,
    }


def accounts_summary(spider: Any, reason: str) -> dict[str, Any]:
    """What the accounts crawl reports about itself at the end."""
    return {"kind": "accounts", "finish_reason": reason, "accounts": len(getattr(spider, "accounts", [])),
            "store_errors": getattr(spider, "store_errors", 0),
            "feeds": sum(1 for a in getattr(spider, "accounts", []) if a.feed),
            "feeds_read": getattr(spider, "feeds_read", 0)}


def scan_outcome(summary: dict[str, Any] | None, returncode: int | None,
                 timed_out: bool = False) -> tuple[str, str | None]:
    """(status, message for people) of a finished crawl."""
    if timed_out:
        return "partial", "抓取超时，已中止；本次未抓取全部页面"
    if summary is None:
        code = "" if returncode is None else f"（返回码 {returncode}）"
        return "failed", f"抓取进程异常退出{code}，未写入结果摘要"
    if summary.get("error"):  # the crawl refused to run (e.g. another copy of the config on its node)
        return "failed", summary["error"]
    if summary.get("kind") == "accounts":  # no home page: the run either finished or not
        if returncode not in (0, None) or summary.get("finish_reason") != "finished":
            return "partial", f"账号检查未正常结束（{summary.get('finish_reason')}）"
        if (summary.get("feeds") or 0) > 1 and summary.get("feeds_read") == 0:
            return "partial", "所有账号的订阅源均无法获取（可能是本机网络或订阅服务故障），本次结果不作为账号无法访问的依据"
        if summary.get("store_errors"):
            return "partial", f"{summary['store_errors']} 个账号的结果未能保存，详见抓取日志"
        return "complete", None
    if summary.get("home_error") or (summary.get("home_status") or 0) >= 400:
        error = summary.get("home_error") or f"HTTP {summary.get('home_status')}"
        return "failed", f"首页无法访问：{error}"
    if summary.get("home_status") is None:
        return "failed", "首页未能抓取"
    if returncode not in (0, None):
        return "partial", f"抓取进程异常退出（返回码 {returncode}）"
    if summary.get("finish_reason") == "store_unavailable":  # pipelines.STORE_UNAVAILABLE
        return "failed", (f"数据库连续多次写入失败（无法连接、被其他程序锁定或磁盘已满），已停止抓取；"
                          f"{summary.get('store_errors') or 0} 个页面或检查结果未能写入，本次结果不完整。"
                          "请检查数据库后重新扫描（详见抓取日志）")
    if summary.get("store_errors"):
        return "partial", (f"{summary['store_errors']} 个页面或检查结果未能写入数据库（详见抓取日志），"
                           "本次结果不完整")
    if summary.get("finish_reason") == "closespider_timeout":
        return "partial", (f"达到站点抓取时间上限（time_budget_minutes={summary.get('time_budget_minutes'):g}），"
                           "未抓取全部页面")
    if summary.get("finish_reason") != "finished":
        return "partial", f"抓取未正常结束（{summary.get('finish_reason')}）"
    if summary.get("capped"):
        return "partial", f"达到页面上限 max_pages={summary.get('max_pages')}，未抓取全部页面"
    if "audit" in summary and summary["audit"] is None:
        # without the site-level checks, their absence says nothing: nothing may be fixed
        return "partial", "站点级检查（栏目、链接、网站标识）未完成，详见抓取日志"
    return "complete", None


@dataclass
class SiteScanResult:
    site: Site
    scan_id: int
    status: str
    message: str | None
    pages: int
    findings: int
    log_file: Path | str  # a local file, or the crawl log's address on a Scrapyd node


def crawl_command(config_path: Path, site_id: str | None, scan_id: int, as_of: date, log_file: Path,
                  spider: str = "site", full: bool = False) -> list[str]:
    target = ["-a", f"site={site_id}"] if site_id else []
    if full:
        target += ["-a", "full=1"]
    return [
        sys.executable, "-m", "scrapy", "crawl", spider,
        "-a", f"config={config_path}", *target,
        "-a", f"scan_id={scan_id}", "-a", f"as_of={as_of.isoformat()}",
        "-s", f"LOG_FILE={log_file}", "-s", "LOG_FILE_APPEND=False",
    ]


def config_digest(path: Path | str) -> str:
    """sha256 of a configuration file as stored: a crawl on another machine checks that its
    copy is the same file (runner.node_config)."""
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_config_digest(config: Config, path: str, expected: str | None, scan_id: str | None,
                        node: str | None = None) -> None:
    """In a crawl process given `-a config_sha256=…`: refuse to crawl with a different copy of
    the configuration (another site list, other lexicons, another database). The refusal is
    written to the scan, so whoever handed out the job can say why it failed. `node`: the
    node's address as runner.nodes names it (`-a node=…`), shown with the machine's name."""
    if not expected or config_digest(path) == expected:
        return
    from scrapy.exceptions import UsageError

    host = os.uname().nodename
    where = f"{node}（主机 {host}）" if node else host
    message = (f"节点 {where} 上的配置文件 {path} 与调度端的不一致（内容不同），拒绝抓取；"
               "请把同一份配置文件复制到每个节点（runner.node_config）")
    if scan_id:
        store = Store(config.database_url, migrate=False)
        try:
            store.set_scan_stats(int(scan_id), {"error": message})
        finally:
            store.close()
    raise UsageError(message)


def begin_crawl(store: Store, target: str, kind: str, as_of: date) -> int:
    """Open the scan of one crawl (a scan left running by a killed process is failed)."""
    return store.start_scan(target, as_of, kind=kind)


def end_crawl(config: Config, store: Store, scan_id: int, target: str, kind: str, returncode: int | None,
              timed_out: bool = False, stopped: bool = False, detail: str | None = None,
              lost: str | None = None) -> tuple[Any, str, str | None]:
    """Close the scan of a crawl that has ended (here or on another machine): the availability
    probes' verdict for a site, then complete, partial or failed from the crawl's own summary.
    `detail`: what else is known when the crawl wrote no summary (its last error line, the node);
    `lost`: why it wrote none, when the crawl was lost with the machine it ran on."""
    if kind == "site":
        from .probe import availability, availability_finding

        site = config.site(target)
        thresholds = config.thresholds_for(site)
        probes, failed = availability(store, site, thresholds)
        finding = availability_finding(site, thresholds, probes, failed)
        if finding is not None:
            store.record_findings(scan_id, [finding])
    scan = store.get_scan(scan_id)
    status, message = scan_outcome(scan.stats if scan else None, returncode, timed_out)
    if stopped:
        status, message = "partial", STOPPED_MESSAGE
    elif scan is not None and scan.stats is None and lost:
        message = f"{lost}（{detail}）" if detail else lost
    elif scan is not None and scan.stats is None and detail:
        message = f"{message}：{detail}"
    return store.finish_scan(scan_id, status, message), status, message


def _run_crawl(config: Config, store: Store, target: str, kind: str, as_of: date, timeout: float,
               on_progress: Callable[[int], None] | None,
               stop: threading.Event | None = None, full: bool = False) -> tuple[Any, str, str | None, Path]:
    """One crawl subprocess for one scan: start the scan, run, watch, close it rightly.
    `full`: read and check every page, whatever the incremental cache says.
    When `stop` is set the crawl is stopped like one that timed out (its scan is partial).
    Returns (scan, status, message, log file)."""
    if config.source is None:
        raise ValueError("config must have been loaded from a file")
    scan_id = begin_crawl(store, target, kind, as_of)
    log_dir = config.log_path
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"scan-{scan_id}-{target}.log"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="monitor.settings")
    spider = "accounts" if kind == "accounts" else "site"
    command = crawl_command(config.source.resolve(), None if kind == "accounts" else target, scan_id, as_of,
                            log_file, spider, full=full)
    started = time.monotonic()
    timed_out = stopped = False
    stderr_file = log_file.with_suffix(".stderr")
    # stderr goes to a file, not a pipe: a chatty crawl must never block on a full pipe.
    with open(stderr_file, "wb") as err, \
            subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err) as proc:
        while True:
            try:
                proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if on_progress:
                    try:
                        scan = store.get_scan(scan_id)
                    except SQLAlchemyError:
                        # the database is away for a moment (a restart): the display waits; the
                        # crawl records what it could not store, and the scan says so
                        pass
                    else:
                        on_progress(scan.pages if scan else 0)
                stopped = stop is not None and stop.is_set()
                if stopped or time.monotonic() - started > timeout:
                    timed_out = not stopped
                    proc.terminate()
                    try:
                        proc.wait(timeout=STOP_GRACE)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                    break
    stderr = stderr_file.read_text(encoding="utf-8", errors="replace")
    if not stderr.strip():
        stderr_file.unlink(missing_ok=True)
    detail = stderr.strip().splitlines()[-1][:300] if stderr.strip() else None
    scan, status, message = end_crawl(config, store, scan_id, target, kind, proc.returncode, timed_out, stopped,
                                      detail)
    if on_progress:
        on_progress(scan.pages)
    return scan, status, message, log_file


def scan_site(config: Config, store: Store, site: Site, as_of: date,
              timeout: float = DEFAULT_CRAWL_TIMEOUT,
              on_progress: Callable[[int], None] | None = None,
              stop: threading.Event | None = None, full: bool = False) -> SiteScanResult:
    """Crawl and check one site in a subprocess; close its scan with the right status.
    Setting `stop` (from another thread) stops the crawl: the scan is then partial.
    `full`: no incremental shortcuts (every page read and checked)."""
    scan, status, message, log_file = _run_crawl(config, store, site.id, "site", as_of, timeout, on_progress, stop,
                                                 full)
    findings = len(store.findings(scan_ids=[scan.id]))
    return SiteScanResult(site, scan.id, status, message, scan.pages, findings, log_file)


@dataclass
class AccountsScanResult:
    scan_id: int
    status: str
    message: str | None
    accounts: int
    findings: int
    log_file: Path | str  # a local file, or the crawl log's address on a Scrapyd node


def scan_accounts(config: Config, store: Store, as_of: date, timeout: float = DEFAULT_CRAWL_TIMEOUT,
                  on_progress: Callable[[int], None] | None = None,
                  stop: threading.Event | None = None) -> AccountsScanResult:
    """Read every registered account's feed in a subprocess (`scrapy crawl accounts`)."""
    scan, status, message, log_file = _run_crawl(config, store, ACCOUNTS_TARGET, "accounts", as_of, timeout,
                                                 on_progress, stop)
    findings = len(store.findings(scan_ids=[scan.id]))
    return AccountsScanResult(scan.id, status, message, len(config.accounts), findings, log_file)
