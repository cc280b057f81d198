"""`govmon schedule`: the nightly job (scan → reports → email) and the availability probe.

APScheduler 3 runs in the foreground (`BlockingScheduler`, for systemd and containers) with
its jobs in a `SQLAlchemyJobStore` on the configured database, so a nightly run missed
while the process was down still happens when it comes back within
`schedule.misfire_grace_hours` (once, however many were missed: `coalesce`). Jobs are added
at every start with fixed ids and `replace_existing=True`, so a changed crontab replaces the
stored one; a missed run that is still owed is kept (APScheduler alone would recompute the
next run time from now and drop it).

The nightly job runs under the run lock "nightly" (monitor/locking.py): two schedulers, or a
scheduler and `govmon schedule --once` from cron, never scan at the same time. Each crawl is
a subprocess stopped after `schedule.crawl_timeout_hours`; a site that fails does not stop
the others. Job functions are module-level and take the config path only (they are pickled
into the job store) and read the configuration afresh at every run.

Messages for the office are Chinese; they go to stderr and `<log_dir>/schedule.log`.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, EVENT_SCHEDULER_STARTED, JobEvent,
)
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete, select

from .config import Config, ConfigError, load_config
from .crontab import crontab_trigger
from .locking import LockHeld, current, holder_id, is_stale, run_lock
from .store import Store, make_engine

NIGHTLY_JOB = "govmon-nightly"
PROBE_JOB = "govmon-probe"
NIGHTLY_LOCK = "nightly"
JOB_NAMES = {NIGHTLY_JOB: "夜间任务", PROBE_JOB: "可用性探测"}
#: `govmon schedule --once` exit code when another process holds the nightly lock
EXIT_LOCKED = 3
LOG_FILE = "schedule.log"

log = logging.getLogger("govmon.schedule")

STATUS_LABELS = {"complete": "完成", "partial": "部分完成", "failed": "失败"}

# Set when `govmon schedule` is asked to stop (see request_stop): a running nightly job stops
# before its next step; with _abort, the crawl running now is stopped too (its scan: partial).
_stopping = threading.Event()
_abort = threading.Event()
# Jobs running in this process, so that a stopping scheduler can wait for them.
_active = 0
_active_changed = threading.Condition()


def request_stop(stop_crawl: bool = True) -> None:
    """Ask the running jobs of this process to stop (from a signal handler or another thread)."""
    _stopping.set()
    if stop_crawl:
        _abort.set()


def _reset_stop() -> None:
    _stopping.clear()
    _abort.clear()


@contextmanager
def _tracked() -> Iterator[None]:
    global _active
    with _active_changed:
        _active += 1
    try:
        yield
    finally:
        with _active_changed:
            _active -= 1
            _active_changed.notify_all()


def wait_for_jobs(timeout: float | None = None) -> bool:
    """Wait until no job of this process is running; False if `timeout` passed first."""
    with _active_changed:
        return _active_changed.wait_for(lambda: _active == 0, timeout)


def nightly_ttl(config: Config) -> float:
    """Seconds the nightly lock is held at most: every crawl (sites and accounts) running up
    to its timeout, plus an hour for reports and email. A lock older than that is stale."""
    return (config.schedule.crawl_timeout_hours * (len(config.sites) + 1) + 1) * 3600


# --------------------------------------------------------------------------- the nightly job

@dataclass
class NightlyResult:
    as_of: date
    sites: list[Any] = field(default_factory=list)  # scanning.SiteScanResult
    accounts: Any = None  # scanning.AccountsScanResult
    report: Path | None = None  # index.html
    email: Any = None  # what monitor.notify.deliver returned
    errors: list[str] = field(default_factory=list)
    stopped: bool = False

    @property
    def scans(self) -> list[Any]:
        return [*self.sites, *([self.accounts] if self.accounts is not None else [])]

    @property
    def failed(self) -> list[Any]:
        return [r for r in self.scans if r.status == "failed"]

    @property
    def ok(self) -> bool:
        """No scan failed, nothing went wrong, and the job was not stopped part-way."""
        return not self.failed and not self.errors and not self.stopped


def nightly(config_path: str | Path, as_of: date | None = None) -> NightlyResult:
    """Under the lock "nightly": scan every site and the accounts, write the reports, email
    them. LockHeld when another live process holds the lock."""
    return run_nightly(load_config(config_path), as_of)


def run_nightly(config: Config, as_of: date | None = None) -> NightlyResult:
    today = datetime.now(ZoneInfo(config.timezone)).date()
    store = Store(config.database_url)
    try:
        previous = current(store, NIGHTLY_LOCK)
        stale = previous is not None and is_stale(store, previous)
        with run_lock(store, NIGHTLY_LOCK, nightly_ttl(config)):
            if previous is not None and stale:
                log.warning("上一次夜间任务未正常结束（%s 自 %s 起持有运行锁，该进程已不存在或锁已过期），"
                            "已接管运行锁", previous.holder, _local(previous.acquired_at, config))
            return _nightly(config, store, as_of or today, today)
    finally:
        store.close()


def _nightly(config: Config, store: Store, as_of: date, today: date) -> NightlyResult:
    result = NightlyResult(as_of)
    started = time.monotonic()
    timeout = config.schedule.crawl_timeout_hours * 3600
    accounts = f"、{len(config.accounts)} 个政务新媒体账号" if config.accounts else ""
    log.info("夜间任务开始（%s）：%d 个站点%s，扫描日期 %s", holder_id(), len(config.sites), accounts, as_of)
    if config.runner.kind == "scrapyd":
        _crawl_on_nodes(config, store, as_of, timeout, result)
    else:
        _crawl_here(config, store, as_of, timeout, result)
    if _stopping.is_set():
        result.stopped = True
        log.warning("夜间任务已中止（收到停止信号）：未生成报告，未发送邮件。如需补做，请运行 "
                    "govmon schedule --once --config %s", config.source)
        return result
    report = None
    try:
        from .report import build_report

        report = build_report(config, store, generated=today)
        result.report = Path(report.index)
        log.info("报告：%s", report.index)
    except Exception as exc:
        log.exception("生成报告出错：%s", exc)
        result.errors.append(f"报告：{exc}")
    if report is not None and config.smtp is not None and config.schedule.email:
        try:
            result.email = deliver_email(config, store, report)
            _log_delivery(result.email.attempts, result.email.abandoned)
            failed = [a for a in result.email.attempts if a.status != "sent"]
            if failed:
                result.errors.append(f"邮件：{len(failed)} 封发送失败，将按退避时间重试")
        except ConfigError as exc:  # e.g. the password's environment variable is not set
            log.error("邮件未发送：%s", exc)
            result.errors.append(f"邮件：{exc}")
        except Exception as exc:
            log.exception("发送邮件出错：%s", exc)
            result.errors.append(f"邮件：{exc}")
    elif config.smtp is None:
        log.info("未配置 smtp，不发送邮件")
    elif not config.schedule.email:
        log.info("schedule.email 为 false，不发送邮件")
    counts = {label: sum(1 for r in result.scans if r.status == status) for status, label in STATUS_LABELS.items()}
    minutes = (time.monotonic() - started) / 60
    summary = "，".join(f"{label} {n}" for label, n in counts.items())
    if result.ok:
        log.info("夜间任务结束：%s；用时 %.1f 分钟", summary, minutes)
    else:
        log.warning("夜间任务结束：%s%s；用时 %.1f 分钟", summary,
                    f"；出错 {len(result.errors)} 处" if result.errors else "", minutes)
    return result


def _crawl_here(config: Config, store: Store, as_of: date, timeout: float, result: NightlyResult) -> None:
    """runner.kind: local — one crawl subprocess after another on this machine."""
    from .scanning import scan_accounts, scan_site

    for site in config.sites:
        if _stopping.is_set():
            break
        try:
            r = scan_site(config, store, site, as_of, timeout=timeout, stop=_abort)
        except Exception as exc:  # a store or process error: log it, go on with the next site
            log.exception("站点 %s（%s）扫描出错：%s", site.name, site.id, exc)
            result.errors.append(f"站点 {site.id}：{exc}")
            continue
        result.sites.append(r)
        _log_scan(f"站点 {site.name}（{site.id}）", r.status, f"{r.pages} 页，问题 {r.findings} 个", r.message,
                  r.log_file)
    if config.accounts and not _stopping.is_set():
        try:
            r = scan_accounts(config, store, as_of, timeout=timeout, stop=_abort)
        except Exception as exc:
            log.exception("政务新媒体账号检查出错：%s", exc)
            result.errors.append(f"账号检查：{exc}")
        else:
            result.accounts = r
            _log_scan("政务新媒体账号", r.status, f"{r.accounts} 个账号，问题 {r.findings} 个", r.message, r.log_file)


def _crawl_on_nodes(config: Config, store: Store, as_of: date, timeout: float, result: NightlyResult) -> None:
    """runner.kind: scrapyd — every site and the accounts as jobs on the Scrapyd nodes."""
    from .distributed import run_crawls, scan_results, targets_for

    def ended(r: Any) -> None:
        [scan] = scan_results(config, store, [r])
        if r.kind == "accounts":
            result.accounts = scan
            _log_scan("政务新媒体账号", scan.status, f"{scan.accounts} 个账号，问题 {scan.findings} 个", scan.message,
                      scan.log_file)
        else:
            result.sites.append(scan)
            _log_scan(f"站点 {scan.site.name}（{scan.site.id}）", scan.status,
                      f"{scan.pages} 页，问题 {scan.findings} 个", scan.message, scan.log_file)

    try:
        run_crawls(config, store, targets_for(config.sites, bool(config.accounts)), as_of, timeout, stop=_abort,
                   drain=_stopping, on_result=ended)
    except ConfigError as exc:  # a node set up wrongly, the password not set: said plainly
        log.error("未能在 Scrapyd 节点上扫描：%s", exc)
        result.errors.append(f"Scrapyd 节点：{exc}")
    except Exception as exc:  # the store away for too long: logged, the night goes on to the report
        log.exception("在 Scrapyd 节点上扫描出错：%s", exc)
        result.errors.append(f"Scrapyd 节点：{exc}")


def _log_scan(what: str, status: str, figures: str, message: str | None, log_file: Path) -> None:
    level = logging.INFO if status == "complete" else logging.WARNING
    note = f"（{message}）" if message else ""
    log.log(level, "%s：%s%s，%s；抓取日志 %s", what, STATUS_LABELS.get(status, status), note, figures, log_file)


def deliver_email(config: Config, store: Store, report: Any) -> Any:
    """Email the night's lists through monitor.notify (imported only when mail is configured)."""
    from .notify import deliver

    return deliver(config, store, report)


def _log_delivery(attempts: list[Any], abandoned: list[Any] = ()) -> None:
    """One line per message tried, then the totals."""
    for a in attempts:
        if a.status == "sent":
            log.info("邮件已发送：%s（%s）：%s", a.name, "、".join(a.recipients), a.reply or "")
        else:
            log.warning("邮件%s：%s（%s）：%s", a.status_label, a.name, "、".join(a.recipients), a.error or "")
    for a in abandoned:
        log.error("邮件已放弃（多次发送失败）：%s：%s；请检查后用 govmon email --resend 重发", a.name, a.error or "")
    sent = sum(1 for a in attempts if a.status == "sent")
    log.info("邮件：本次发送 %d 封，失败 %d 封", sent, len(attempts) - sent)


def retry_email(config: Config, store: Store) -> list[Any]:
    """Retry the mail whose back-off has passed (from the probe job; nothing new is queued)."""
    from .notify import retry_due

    attempts = retry_due(config, store)
    if attempts:
        _log_delivery(attempts)
    return attempts


def _local(moment: datetime, config: Config) -> str:
    """A naive-UTC store time in the configured time zone, for people."""
    return moment.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(config.timezone)).strftime("%Y-%m-%d %H:%M:%S")


def nightly_job(config_path: str) -> None:
    """The scheduled nightly job (module-level, one picklable argument: the config path)."""
    with _tracked():
        if _stopping.is_set():  # handed over just as the scheduler was stopping
            return
        try:
            config = load_config(config_path)
        except ConfigError as exc:
            log.error("夜间任务未运行：%s", exc)
            return
        try:
            run_nightly(config)
        except LockHeld as exc:
            log.warning("夜间任务未运行：另一进程正在运行夜间任务。%s", exc.describe(ZoneInfo(config.timezone)))
        except Exception as exc:
            log.exception("夜间任务出错：%s", exc)


# --------------------------------------------------------------------------- the probe job

def probe(config_path: str | Path) -> list[Any]:
    """One availability probe of every configured site (`govmon probe`)."""
    from .probe import PROBE_TIMEOUT, probe_all

    config = load_config(config_path)
    store = Store(config.database_url)
    try:
        results = probe_all(config, store, list(config.sites), PROBE_TIMEOUT) if config.sites else []
        if config.smtp is not None and config.schedule.email:
            try:
                retry_email(config, store)
            except ConfigError as exc:
                log.error("邮件重试未进行：%s", exc)
    finally:
        store.close()
    down = [r for r in results if not r.ok]
    for r in down:
        log.warning("可用性探测：%s（%s）无法访问：%s", r.site.name, r.site.id, r.error or f"HTTP {r.status}")
    if not down:
        log.info("可用性探测：%d 个站点均可访问", len(results))
    return results


def probe_job(config_path: str) -> None:
    """The scheduled probe job (module-level, one picklable argument: the config path)."""
    with _tracked():
        try:
            probe(config_path)
        except ConfigError as exc:
            log.error("可用性探测未运行：%s", exc)
        except Exception as exc:
            log.exception("可用性探测出错：%s", exc)


# --------------------------------------------------------------------------- the scheduler

def build_scheduler(config: Config, config_path: str | Path,
                    scheduler_class: type[BaseScheduler] = BlockingScheduler,
                    now: datetime | None = None) -> BaseScheduler:
    """A scheduler (not started) with the nightly job and, unless `probe_minutes` is 0, the
    probe job, both in the database job store and replacing what is stored under their ids.

    A stored run time that has passed (the process was down) is kept when it is at most
    `misfire_grace_hours` old, so that the run still happens at start; an older one is
    skipped, saying so."""
    tz = ZoneInfo(config.timezone)
    grace = int(config.schedule.misfire_grace_hours * 3600)
    now = now or datetime.now(timezone.utc)
    # our engine (SQLite: WAL and a busy timeout, like the store) on the same database
    jobstore = _JobStore(engine=make_engine(config.database_url))
    jobstore.jobs_t.create(jobstore.engine, checkfirst=True)
    scheduler = scheduler_class(jobstores={"default": jobstore}, timezone=tz,
                                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace})
    path = str(Path(config_path).resolve())
    jobs: list[tuple[str, Callable[[str], None], Any]] = [
        (NIGHTLY_JOB, nightly_job, crontab_trigger(config.schedule.scan, timezone=tz))]
    if config.schedule.probe_minutes:
        jobs.append((PROBE_JOB, probe_job, IntervalTrigger(minutes=config.schedule.probe_minutes, timezone=tz)))
    else:
        with jobstore.engine.begin() as conn:  # switched off: forget a probe job stored earlier
            conn.execute(delete(jobstore.jobs_t).where(jobstore.jobs_t.c.id == PROBE_JOB))
    for job_id, func, trigger in jobs:
        owed = _owed_run(jobstore, job_id, config, grace, now, trigger)
        extra = {"next_run_time": owed} if owed is not None else {}
        scheduler.add_job(func, trigger, args=[path], id=job_id, name=JOB_NAMES[job_id], replace_existing=True,
                          coalesce=True, max_instances=1, misfire_grace_time=grace, **extra)
    _add_listeners(scheduler, config)
    return scheduler


class _JobStore(SQLAlchemyJobStore):
    """The SQLAlchemy job store, closed for good once shut down: APScheduler's main loop looks
    for due jobs once more after `shutdown()`; a job due just then would be handed to the
    stopped executor and its run time moved on (lost), and the look-up would open a new
    connection that nobody closes. Here it finds nothing, and the run stays stored."""

    _closed = False

    def start(self, scheduler: Any, alias: str) -> None:
        self._closed = False
        super().start(scheduler, alias)

    def shutdown(self) -> None:
        self._closed = True
        super().shutdown()

    def get_due_jobs(self, now: datetime) -> list[Any]:
        return [] if self._closed else super().get_due_jobs(now)

    def get_next_run_time(self) -> datetime | None:
        return None if self._closed else super().get_next_run_time()


def _owed_run(jobstore: SQLAlchemyJobStore, job_id: str, config: Config, grace: int,
              now: datetime, trigger: Any = None) -> datetime | None:
    """The latest run of `job_id` missed while the process was down, when it is still within
    the grace time; None otherwise. After several missed nights that is the last of them
    (runs are coalesced into one), not the oldest."""
    table = jobstore.jobs_t
    with jobstore.engine.connect() as conn:
        stamp = conn.execute(select(table.c.next_run_time).where(table.c.id == job_id)).scalar()
    if stamp is None:
        return None
    due = datetime.fromtimestamp(stamp, timezone.utc)
    if due > now:
        return None
    if trigger is not None:  # walk on to the last fire time at or before now
        for _ in range(100_000):
            following = trigger.get_next_fire_time(due, due + timedelta(microseconds=1))
            if following is None or following > now:
                break
            due = following
    name = JOB_NAMES[job_id]
    when = due.astimezone(ZoneInfo(config.timezone)).strftime("%Y-%m-%d %H:%M")
    if now - due <= timedelta(seconds=grace):
        if job_id == NIGHTLY_JOB:
            log.info("计划于 %s 的%s在本程序停止期间错过，现在补做", when, name)
        return due
    if job_id == NIGHTLY_JOB:
        log.warning("计划于 %s 的%s在本程序停止期间错过，已超过补做时限（schedule.misfire_grace_hours = %g 小时），"
                    "不再补做；如需补扫，请运行 govmon schedule --once --config %s",
                    when, name, config.schedule.misfire_grace_hours, config.source)
    return None


def _describe_trigger(job_id: str, config: Config) -> str:
    if job_id == NIGHTLY_JOB:
        return f"crontab「{config.schedule.scan}」，时区 {config.timezone}"
    return f"每 {config.schedule.probe_minutes} 分钟"


def _add_listeners(scheduler: BaseScheduler, config: Config) -> None:
    tz = ZoneInfo(config.timezone)

    def fmt(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "（无）"

    def started(_event: Any) -> None:
        now = datetime.now(tz)
        for job in scheduler.get_jobs():
            late = "（错过的运行，现在补做）" if job.next_run_time and job.next_run_time <= now else ""
            log.info("已安排：%s（%s，%s），下次运行 %s%s", job.name, job.id, _describe_trigger(job.id, config),
                     fmt(job.next_run_time), late)
        if _stopping.is_set():  # a signal came while starting
            scheduler.shutdown(wait=False)

    def missed(event: JobEvent) -> None:
        name = JOB_NAMES.get(event.job_id, event.job_id)
        if event.code == EVENT_JOB_MISSED:
            log.warning("计划于 %s 的%s已超过补做时限，未运行", fmt(event.scheduled_run_time), name)
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            runs = getattr(event, "scheduled_run_times", None) or [None]
            log.warning("%s的上一次运行尚未结束，计划于 %s 的这一次不再运行", name, fmt(runs[-1]))
        elif event.code == EVENT_JOB_ERROR:
            log.error("%s出错：%s", name, getattr(event, "exception", ""))

    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    scheduler.add_listener(missed, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_ERROR)


# --------------------------------------------------------------------------- running it

class _Formatter(logging.Formatter):
    """`2026-11-20 02:00:01 [信息] …`, times in the configured time zone."""

    LEVELS = {"DEBUG": "调试", "INFO": "信息", "WARNING": "警告", "ERROR": "错误", "CRITICAL": "严重"}

    def __init__(self, tz: ZoneInfo) -> None:
        super().__init__("%(asctime)s [%(level_zh)s] %(message)s")
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, self.tz).strftime("%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        record.level_zh = self.LEVELS.get(record.levelname, record.levelname)
        return super().format(record)


@contextmanager
def logging_to(config: Config) -> Iterator[Path]:
    """Log govmon's messages (INFO and up) and APScheduler's errors to stderr and
    `<log_dir>/schedule.log` for the duration of the block."""
    log_dir = config.log_path
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / LOG_FILE
    formatter = _Formatter(ZoneInfo(config.timezone))
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr),
                                       logging.handlers.WatchedFileHandler(path, encoding="utf-8")]
    for handler in handlers:
        handler.setFormatter(formatter)
    loggers = {"govmon": logging.INFO, "apscheduler": logging.ERROR}
    saved = {}
    for name, level in loggers.items():
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.setLevel(level)
        for handler in handlers:
            logger.addHandler(handler)
    try:
        yield path
    finally:
        for name in loggers:
            logger = logging.getLogger(name)
            for handler in handlers:
                logger.removeHandler(handler)
            logger.setLevel(saved[name])
        for handler in handlers:
            handler.close()


@contextmanager
def _signals(on_signal: Callable[[int], None]) -> Iterator[None]:
    """SIGTERM and SIGINT call `on_signal(signum)` for the duration of the block."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        yield
        return
    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, lambda s, _frame: on_signal(s))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_on(signum: int) -> bool:
    """Handle a stop signal; True the first time. SIGTERM (systemd, docker stop) stops the
    running crawl too; Ctrl+C reaches the crawl itself (same terminal process group), so it
    only stops what comes after; a second signal stops the crawl in any case."""
    first = not _stopping.is_set()
    request_stop(stop_crawl=signum != signal.SIGINT or not first)
    return first


def run_once(config: Config, as_of: date | None = None) -> int:
    """`govmon schedule --once`: the nightly job now. Exit code: 0 no scan failed, 1 a scan
    failed or a step went wrong or the job was stopped, 3 another process holds the lock."""
    _reset_stop()

    def on_signal(signum: int) -> None:
        if _stop_on(signum):
            log.warning("收到停止信号，正在中止夜间任务……")

    with logging_to(config), _signals(on_signal):
        try:
            result = run_nightly(config, as_of)
        except LockHeld as exc:
            log.error("另一进程正在运行夜间任务，本次未运行：%s。如确认该进程已不存在，见 docs/operations.md 的“运行锁”一节",
                      exc.describe(ZoneInfo(config.timezone)))
            return EXIT_LOCKED
    return 0 if result.ok else 1


def _check_runner(config: Config) -> None:
    """Ask the Scrapyd nodes now, so that a setup error is said at start, not at 02:00."""
    from .distributed import check_nodes

    try:
        away = check_nodes(config)
    except ConfigError as exc:
        log.error("夜间扫描将无法在 Scrapyd 节点上运行：%s", "；".join(exc.problems) or exc)
        return
    except Exception:  # whatever it was, the scheduler starts: the night tries again
        log.exception("无法检查 Scrapyd 节点（夜间扫描时再试）")
        return
    for problem in away:
        log.warning("%s（夜间扫描时再试）", problem)
    if not away:
        log.info("Scrapyd 节点均已就绪：%s", "、".join(config.runner.nodes))


def run_forever(config: Config) -> int:
    """`govmon schedule`: run the scheduler in the foreground until SIGTERM or Ctrl+C."""
    from apscheduler.schedulers import SchedulerNotRunningError

    _reset_stop()
    with logging_to(config) as log_file:
        store = Store(config.database_url)  # brings the schema up to date before any job runs
        try:
            held = current(store, NIGHTLY_LOCK)
            stale = held is not None and is_stale(store, held)
        finally:
            store.close()
        if held is not None and stale:
            log.warning("上一次夜间任务（%s，始于 %s）未正常结束；下一次夜间任务会接管其运行锁。"
                        "如需现在补扫，请运行 govmon schedule --once --config %s",
                        held.holder, _local(held.acquired_at, config), config.source)
        smtp = config.smtp
        if smtp is not None and config.schedule.email and smtp.username and not os.environ.get(smtp.password_env):
            # said now, not at 02:00 when the first mail would fail
            log.error("邮件将无法发送：环境变量 %s（smtp.password_env）未设置。请在服务的环境中设置邮件密码，"
                      "例如 systemd 的 EnvironmentFile=", smtp.password_env)
        if config.runner.kind == "scrapyd":
            _check_runner(config)
        scheduler = build_scheduler(config, config.source or "monitor.yaml")
        stopper: list[threading.Thread] = []

        def shutdown() -> None:
            log.info("收到停止信号，正在停止……")
            try:
                scheduler.shutdown(wait=False)
            except SchedulerNotRunningError:
                pass  # not started yet: the start listener stops it

        def on_signal(signum: int) -> None:
            if _stop_on(signum):
                thread = threading.Thread(target=shutdown, name="govmon-stop", daemon=True)
                stopper.append(thread)
                thread.start()

        with _signals(on_signal):
            log.info("govmon schedule 已启动（%s，配置 %s，日志 %s）", holder_id(), config.source, log_file)
            scheduler.start()  # returns once shut down
            for thread in stopper:
                thread.join()
            with _active_changed:
                running = _active
            if running:
                log.info("等待正在运行的任务结束……")
            wait_for_jobs()
        log.info("govmon schedule 已停止")
    return 0


__all__ = [
    "EXIT_LOCKED", "NIGHTLY_JOB", "PROBE_JOB", "NightlyResult", "build_scheduler", "deliver_email", "nightly",
    "nightly_job", "nightly_ttl", "probe", "probe_job", "request_stop", "run_forever", "run_nightly", "run_once",
]
