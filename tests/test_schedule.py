"""`govmon schedule`: the nightly job (scan every site and the accounts → reports) under the
run lock, and the APScheduler jobs in the database job store: ids, trigger, coalescing, one
instance, the misfire grace time, a run missed while the scheduler was down (run at the next
start when within the grace time, skipped when older), and a clean stop on SIGTERM.

Everything is real: a small site and an account feed on 127.0.0.1, `govmon` in a subprocess,
crawls in their own subprocesses, a SQLite file (and PostgreSQL for the job store)."""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
import yaml
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import insert

from monitor.config import load_config
from monitor.crontab import crontab_trigger, crontab_weekdays
from monitor.locking import current
from monitor.scanning import STOPPED_MESSAGE
from monitor.schedule import NIGHTLY_JOB, PROBE_JOB, build_scheduler
from monitor.store import RunLock, Store, utcnow
from pg import postgres_database
from servers import Reply, Req, closed_port, page, raw, serve
from test_crawl import govmon

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
TYPO = "再接再励"  # from lexicons/typos.tsv
AS_OF = "2026-11-20"
FEED = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>测试县发布</title>'
        f'<item><title>全县干部{TYPO}</title><link>http://127.0.0.1/p/1</link>'
        '<pubDate>Wed, 18 Nov 2026 09:00:00 +0800</pubDate><description>冬季安全生产</description></item>'
        '</channel></rss>')
SITE = {
    "/": page("测试县人民政府", "欢迎访问测试县人民政府门户网站。", links=[("/notice.html", "通知公告")]),
    "/notice.html": page("关于冬季安全生产的通知", f"全县干部{TYPO}，做好冬季安全生产工作。", links=["/"]),
    "/wx.xml": raw(FEED.encode("utf-8"), "application/rss+xml; charset=utf-8"),
}
# Live holder of a lock: takes it, says so, holds it until its stdin is closed.
HOLDER = """
import sys
from monitor.locking import acquire, holder_id, release
from monitor.store import Store
store = Store(sys.argv[1], migrate=False)
assert acquire(store, sys.argv[2], 3600)
print(holder_id(), flush=True)
sys.stdin.read()
release(store, sys.argv[2])
store.close()
"""


def write_config(tmp: Path, base: str, schedule: dict[str, Any] | None = None,
                 database: str = "sqlite:///govmon.db") -> Path:
    data = {
        "timezone": "Asia/Shanghai",
        "database": database,
        "departments": [{"id": "office", "name": "县政府办公室"}],
        "links": {"allow_hosts": ["127.0.0.1"], "timeout": 5, "retries": 0},
        "schedule": {"probe_minutes": 0, **(schedule or {})},
        "sites": [{"id": "portal", "name": "测试县人民政府", "url": f"{base}/", "department": "office"}],
        "accounts": [{"id": "wx", "platform": "wechat", "name": "测试县发布", "feed": f"{base}/wx.xml",
                      "department": "office"}],
    }
    path = tmp / "monitor.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@contextmanager
def open_store(tmp: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp / 'govmon.db'}")
    try:
        yield store
    finally:
        store.close()


def wait_for(what: str, test: Callable[[], Any], proc: subprocess.Popen[str] | None = None,
             limit: float = 120) -> Any:
    """Poll until `test()` is truthy (a safety limit only, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = test()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"govmon schedule exited ({proc.returncode}) while waiting for {what}")
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}")


def set_next_run(config_path: Path, next_runs: dict[str, datetime]) -> None:
    """Leave the stored jobs as a scheduler that stopped before these run times would have."""
    started_jobs(config_path)  # the jobs, stored
    jobstore = SQLAlchemyJobStore(url=load_config(config_path).database_url)
    try:
        for job_id, when in next_runs.items():
            job = jobstore.lookup_job(job_id)
            job.next_run_time = when
            jobstore.update_job(job)
    finally:
        jobstore.shutdown()


def started_jobs(config_path: Path, config: Any = None) -> dict[str, Any]:
    """Build the scheduler as `govmon schedule` does, start it paused, return its jobs by id."""
    config = config or load_config(config_path)
    scheduler = build_scheduler(config, config_path, scheduler_class=BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        return {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown()


def stored_jobs(url: str) -> dict[str, Any]:
    store = SQLAlchemyJobStore(url=url)
    try:
        return {job.id: job for job in store.get_all_jobs()}
    finally:
        store.shutdown()


# ------------------------------------------------------------------------------ --once

def test_once_scans_the_site_and_the_accounts_writes_the_report_and_takes_over_a_stale_lock(tmp_path, crawl_env):
    with serve(SITE) as site:
        config = write_config(tmp_path, site.base)
        with open_store(tmp_path) as store:  # a nightly run that died on this host holds the lock
            dead = subprocess.Popen([sys.executable, "-c", "pass"])
            dead.wait()
            with store.engine.begin() as conn:
                conn.execute(insert(RunLock).values(name="nightly", holder=f"{socket.gethostname()}:{dead.pid}",
                                                    acquired_at=utcnow() - timedelta(hours=3),
                                                    expires_at=utcnow() + timedelta(hours=10)))
        proc = govmon("schedule", "--config", str(config), "--once", "--as-of", AS_OF, cwd=tmp_path, env=crawl_env)
        assert proc.returncode == 0, proc.stderr
        assert site.count("/notice.html") >= 1 and site.count("/wx.xml") >= 1
    with open_store(tmp_path) as store:
        scans = {scan.target: scan for scan in store.scans()}
        assert {t: (s.status, str(s.scan_date)) for t, s in scans.items()} == {
            "portal": ("complete", AS_OF), "accounts": ("complete", AS_OF)}
        texts = {(f.site, f.text) for f in store.findings()}
        assert ("portal", TYPO) in texts and ("accounts", TYPO) in texts
        assert current(store, "nightly") is None  # released
    (index,) = (tmp_path / "reports").glob("*/index.html")
    assert "测试县人民政府" in index.read_text(encoding="utf-8")
    log = (tmp_path / "logs" / "schedule.log").read_text(encoding="utf-8")
    assert "已接管运行锁" in log and f":{dead.pid}" in log
    assert "站点 测试县人民政府（portal）：完成" in log and "政务新媒体账号：完成" in log
    assert f"报告：{index}" in log and "夜间任务结束" in log
    assert "未配置 smtp，不发送邮件" in log
    assert "夜间任务结束" in proc.stderr  # the same messages on stderr


def test_a_site_that_is_down_does_not_stop_the_others_and_once_exits_1(tmp_path, crawl_env):
    with serve(SITE) as site:
        config = write_config(tmp_path, site.base)
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["sites"].insert(0, {"id": "down", "name": "停机站点", "url": f"http://127.0.0.1:{closed_port()}/",
                                 "department": "office"})
        config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        proc = govmon("schedule", "--config", str(config), "--once", "--as-of", AS_OF, cwd=tmp_path, env=crawl_env)
    assert proc.returncode == 1, proc.stderr
    with open_store(tmp_path) as store:
        assert {scan.target: scan.status for scan in store.scans()} == {
            "down": "failed", "portal": "complete", "accounts": "complete"}
    assert list((tmp_path / "reports").glob("*/index.html"))
    assert "站点 停机站点（down）：失败（首页无法访问" in proc.stderr
    assert "夜间任务结束：完成 2，部分完成 0，失败 1" in proc.stderr


def test_once_mails_the_lists_and_the_probe_job_retries_what_the_server_refused(tmp_path, crawl_env):
    from aiosmtpd.controller import Controller
    from openpyxl import load_workbook
    from test_email import Inbox, attachments, free_port

    from monitor.schedule import probe
    from monitor.store import OutboxMessage

    inbox, port = Inbox(), free_port()
    inbox.refuse_data = "451 4.3.0 Mailbox busy, try later"
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with serve(SITE) as site:
            config = write_config(tmp_path, site.base)
            data = yaml.safe_load(config.read_text(encoding="utf-8"))
            data["departments"][0]["email"] = ["office@example.gov.cn"]
            data["smtp"] = {"host": "127.0.0.1", "port": port, "starttls": False, "timeout": 5,
                            "sender": "政务公开办 <govmon@example.gov.cn>", "summary_to": ["zwgk@example.gov.cn"]}
            config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            proc = govmon("schedule", "--config", str(config), "--once", "--as-of", AS_OF, cwd=tmp_path, env=crawl_env)
        assert proc.returncode == 1, proc.stderr  # the scans completed, the mail did not go out
        assert "邮件发送失败：县政府办公室" in proc.stderr and "451 4.3.0 Mailbox busy" in proc.stderr
        assert inbox.received == []
        with open_store(tmp_path) as store:
            with store.session() as s:
                rows = {row.key: (row.status, row.attempts) for row in s.query(OutboxMessage)}
            assert rows == {f"department:office:{AS_OF}": ("failed", 1), f"summary:{AS_OF}": ("failed", 1)}
            probe(config)  # the back-off has not passed: nothing is tried
            assert inbox.received == []
            with store.engine.begin() as conn:  # ... and now it has
                conn.execute(OutboxMessage.__table__.update().values(next_attempt_at=utcnow() - timedelta(minutes=1)))
            inbox.refuse_data = None
            probe(config)
            with store.session() as s:
                assert {row.status for row in s.query(OutboxMessage)} == {"sent"}
        (dept,) = inbox.to("office@example.gov.cn")
        files = attachments(dept.message)
        (xlsx,) = [name for name in files if name.endswith(".xlsx")]
        import io

        sheet = load_workbook(io.BytesIO(files[xlsx][1]))["整改清单"]
        assert TYPO in [c.value for row in sheet.iter_rows() for c in row]
        assert len(inbox.to("zwgk@example.gov.cn")) == 1
        # the same night again: every list was sent, none goes twice
        with serve(SITE) as site:
            data["sites"][0]["url"] = f"{site.base}/"
            data["accounts"][0]["feed"] = f"{site.base}/wx.xml"
            config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            again = govmon("schedule", "--config", str(config), "--once", "--as-of", AS_OF, cwd=tmp_path, env=crawl_env)
        assert again.returncode == 0, again.stderr
        assert len(inbox.received) == 2 and "邮件：本次发送 0 封，失败 0 封" in again.stderr
    finally:
        controller.stop()


def test_once_exits_3_and_scans_nothing_while_another_live_process_holds_the_lock(tmp_path, crawl_env):
    with serve(SITE) as site:
        config = write_config(tmp_path, site.base)
        url = load_config(config).database_url
        Store(url).close()  # the schema, as any earlier run would have left it
        with subprocess.Popen([sys.executable, "-c", HOLDER, url, "nightly"], cwd=REPO, text=True, env=crawl_env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE) as holder:
            try:
                who = holder.stdout.readline().strip()
                proc = govmon("schedule", "--config", str(config), "--once", cwd=tmp_path, env=crawl_env)
            finally:
                holder.stdin.close()
                holder.stdout.close()
        assert holder.returncode == 0
        assert proc.returncode == 3, proc.stderr
        assert f"运行锁 nightly 已被 {who} 持有" in proc.stderr and "自 " in proc.stderr
        assert site.hits == []
    with open_store(tmp_path) as store:
        assert store.scans() == []


def test_a_bad_crontab_or_as_of_without_once_is_a_usage_error(tmp_path, crawl_env):
    config = write_config(tmp_path, "http://127.0.0.1:1", {"scan": "0 25 * * *"})
    proc = govmon("schedule", "--config", str(config), cwd=tmp_path, env=crawl_env)
    assert proc.returncode == 2 and "schedule.scan" in proc.stderr and "crontab" in proc.stderr
    config = write_config(tmp_path, "http://127.0.0.1:1")
    proc = govmon("schedule", "--config", str(config), "--as-of", AS_OF, cwd=tmp_path, env=crawl_env)
    assert proc.returncode == 2 and "--once" in proc.stderr


# ------------------------------------------------------------------------------ the scheduler

def test_crontab_weekdays_count_from_sunday_as_in_crontab():
    # (APScheduler 3's own from_crontab counts from Monday: "1-5" would be Tuesday to Saturday)
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

    def next_run(expr: str) -> str:
        return crontab_trigger(expr, "Asia/Shanghai").get_next_fire_time(None, monday_noon).strftime("%a %H:%M")

    assert next_run("0 2 * * 0") == next_run("0 2 * * 7") == next_run("0 2 * * sun") == "Sun 02:00"
    assert next_run("0 2 * * 1-5") == "Tue 02:00" and next_run("30 1 * * 6") == "Sat 01:30"
    assert next_run("0 2 * * *") == "Tue 02:00"
    assert crontab_weekdays("*/2") == "sun,tue,thu,sat" and crontab_weekdays("5-7") == "sun,fri,sat"
    for bad in ("0 2 * * 8", "0 2 * * 5-1", "0 2 * *", "0 2 * * */0"):
        with pytest.raises(ValueError):
            crontab_trigger(bad)



@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield "sqlite:///govmon.db"
        return
    with postgres_database() as url:
        yield url


def test_the_jobs_have_fixed_ids_their_trigger_one_instance_and_the_grace_time_and_are_stored(tmp_path, database):
    config_path = write_config(tmp_path, "http://127.0.0.1:1",
                               {"scan": "30 1 * * *", "probe_minutes": 20, "misfire_grace_hours": 4},
                               database=database)
    config = load_config(config_path)
    jobs = started_jobs(config_path)
    assert set(jobs) == {NIGHTLY_JOB, PROBE_JOB}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time == 4 * 3600
        assert job.args == (str(config_path.resolve()),) and job.kwargs == {}
    nightly, probe = jobs[NIGHTLY_JOB], jobs[PROBE_JOB]
    assert nightly.func_ref == "monitor.schedule:nightly_job" and probe.func_ref == "monitor.schedule:probe_job"
    assert isinstance(nightly.trigger, CronTrigger) and str(nightly.trigger.timezone) == "Asia/Shanghai"
    assert {f.name: str(f) for f in nightly.trigger.fields if f.name in ("hour", "minute")} == {
        "hour": "1", "minute": "30"}
    local = nightly.next_run_time.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (local.hour, local.minute) == (1, 30) and nightly.next_run_time > datetime.now(timezone.utc)
    assert isinstance(probe.trigger, IntervalTrigger) and probe.trigger.interval == timedelta(minutes=20)
    # in the database job store, where the next start finds them
    stored = stored_jobs(config.database_url)
    assert set(stored) == {NIGHTLY_JOB, PROBE_JOB}
    assert stored[NIGHTLY_JOB].next_run_time == nightly.next_run_time
    assert stored[NIGHTLY_JOB].misfire_grace_time == 4 * 3600 and stored[NIGHTLY_JOB].coalesce
    # started again with another crontab and no probe: the stored jobs follow
    write_config(tmp_path, "http://127.0.0.1:1", {"scan": "15 3 * * 1-5", "probe_minutes": 0}, database=database)
    jobs = started_jobs(config_path)
    assert set(jobs) == {NIGHTLY_JOB}
    stored = stored_jobs(config.database_url)
    assert set(stored) == {NIGHTLY_JOB}
    assert {f.name: str(f) for f in stored[NIGHTLY_JOB].trigger.fields
            if f.name in ("hour", "minute", "day_of_week")} == {"hour": "3", "minute": "15",
                                                                 "day_of_week": "mon,tue,wed,thu,fri"}
    assert stored[NIGHTLY_JOB].misfire_grace_time == 6 * 3600


def test_a_missed_run_within_the_grace_time_survives_a_restart_with_a_changed_crontab(tmp_path, caplog):
    config_path = write_config(tmp_path, "http://127.0.0.1:1", {"scan": "0 2 * * *"})
    missed = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=30)
    set_next_run(config_path, {NIGHTLY_JOB: missed})
    write_config(tmp_path, "http://127.0.0.1:1", {"scan": "0 3 * * *"})
    with caplog.at_level(logging.INFO, logger="govmon"):
        jobs = started_jobs(config_path)
    nightly = jobs[NIGHTLY_JOB]
    assert nightly.next_run_time == missed  # still owed: runs as soon as the scheduler runs
    assert {f.name: str(f) for f in nightly.trigger.fields if f.name == "hour"} == {"hour": "3"}
    assert "现在补做" in caplog.text


def test_a_missed_run_older_than_the_grace_time_is_skipped(tmp_path, caplog):
    config_path = write_config(tmp_path, "http://127.0.0.1:1", {"scan": "0 2 * * *", "misfire_grace_hours": 1})
    set_next_run(config_path, {NIGHTLY_JOB: datetime.now(timezone.utc) - timedelta(hours=2)})
    with caplog.at_level(logging.INFO, logger="govmon"):
        jobs = started_jobs(config_path)
    nightly = jobs[NIGHTLY_JOB]
    assert nightly.next_run_time > datetime.now(timezone.utc)
    assert nightly.next_run_time.astimezone(ZoneInfo("Asia/Shanghai")).hour == 2
    assert "不再补做" in caplog.text and "govmon schedule --once" in caplog.text


def test_after_several_missed_runs_the_latest_one_is_made_up_when_within_the_grace_time(tmp_path, caplog):
    # stopped three days ago; the job fires every minute, so its latest run was due a minute ago
    config_path = write_config(tmp_path, "http://127.0.0.1:1", {"scan": "* * * * *", "misfire_grace_hours": 1})
    set_next_run(config_path, {NIGHTLY_JOB: datetime.now(timezone.utc) - timedelta(days=3)})
    with caplog.at_level(logging.INFO, logger="govmon"):
        jobs = started_jobs(config_path)
    owed = jobs[NIGHTLY_JOB].next_run_time
    assert datetime.now(timezone.utc) - timedelta(minutes=2) <= owed <= datetime.now(timezone.utc)
    assert "现在补做" in caplog.text and "不再补做" not in caplog.text


def test_the_scheduler_runs_a_missed_night_at_start_and_stops_cleanly_on_sigterm(tmp_path, crawl_env):
    """`govmon schedule` started after its 02:00 run was missed (a minute ago): the night runs at
    once, with the probe; SIGTERM while the crawl is busy stops the crawl (scan: partial),
    releases the lock and exits 0."""
    release = threading.Event()

    def busy(_req: Req) -> Reply:  # a page that answers only when the test is over
        release.wait(60)
        return page("很慢的页面", "终于加载完成")

    routes = dict(SITE)
    routes["/"] = page("测试县人民政府", "欢迎访问。", links=[("/notice.html", "通知公告"), ("/busy.html", "办事服务")])
    routes["/busy.html"] = busy
    script = Path(sys.executable).with_name("govmon")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "monitor.cli"]
    with serve(routes) as site:
        config_path = write_config(tmp_path, site.base, {"probe_minutes": 60})
        minute_ago = datetime.now(timezone.utc) - timedelta(minutes=1)
        set_next_run(config_path, {NIGHTLY_JOB: minute_ago, PROBE_JOB: minute_ago})
        with (tmp_path / "stderr.txt").open("w+", encoding="utf-8") as err, \
                subprocess.Popen(command + ["schedule", "--config", str(config_path)], cwd=tmp_path, env=crawl_env,
                                 stdout=subprocess.DEVNULL, stderr=err) as proc:
            try:
                with open_store(tmp_path) as store:
                    (scan,) = wait_for("the nightly scan to start", lambda: store.scans(), proc)
                    scan_id = scan.id
                    wait_for("the crawl to reach the busy page", lambda: site.count("/busy.html"), proc)
                    wait_for("the probe", lambda: store.availability("portal", utcnow() - timedelta(hours=1))[0],
                             proc)
                proc.send_signal(signal.SIGTERM)
                # the crawl was told to stop (Scrapy then waits for the busy page): let it go
                crawl_log = tmp_path / "logs" / f"scan-{scan_id}-portal.log"
                wait_for("the crawl to stop", lambda: crawl_log.exists() and "Closing spider (shutdown)"
                         in crawl_log.read_text(encoding="utf-8", errors="replace"), proc)
                release.set()
                assert proc.wait(timeout=120) == 0
            finally:
                release.set()
                if proc.poll() is None:
                    proc.kill()
            err.seek(0)
            stderr = err.read()
    with open_store(tmp_path) as store:
        (scan,) = store.scans()
        assert (scan.target, scan.status, scan.message) == ("portal", "partial", STOPPED_MESSAGE)
        assert store.availability("portal", utcnow() - timedelta(hours=1)) == (1, 0)
        assert current(store, "nightly") is None
    assert "已安排：夜间任务（govmon-nightly" in stderr and "已安排：可用性探测（govmon-probe" in stderr
    assert "错过的运行，现在补做" in stderr
    assert "夜间任务已中止" in stderr and "govmon schedule 已停止" in stderr
    assert "Traceback" not in stderr
    log = (tmp_path / "logs" / "schedule.log").read_text(encoding="utf-8")
    assert "govmon schedule 已停止" in log
    # the stored nightly job moved on to the next 02:00
    stored = stored_jobs(load_config(config_path).database_url)
    assert stored[NIGHTLY_JOB].next_run_time > datetime.now(timezone.utc)
    assert stored[NIGHTLY_JOB].next_run_time.astimezone(ZoneInfo("Asia/Shanghai")).hour == 2
