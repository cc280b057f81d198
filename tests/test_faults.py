"""Faults (issue 7, resilience): a real `govmon scan` against servers on 127.0.0.1 that
misbehave, and a store that fails under the crawl. Each fault must end with a clear record —
the scan's status and message, the page row's Chinese error — and lose nothing stored before.

Here: connection resets (mid-body and before any answer) and a 5xx storm; a 200 MB page (with
and without Content-Length); zip-bomb XLSX attachments; pages whose encoding is mis-declared or
broken; SQLite locked by another process for a while; a page whose results the database
refuses; a database that refuses every write (the crawl stops); a private PostgreSQL server
restarted mid-crawl.

Elsewhere: slow pages, redirect loops, binary junk, malformed HTML and the size cap on a 150 KB
page (test_crawl.py::test_bad_pages_are_recorded_and_do_not_stop_the_crawl); calendar and paging
traps (test_crawl.py::test_calendar_and_paging_traps_end); zip bombs in the readers
(test_readers.py); SMTP refusing, never answering or vanishing (test_email.py) and failing during
a nightly run (test_schedule.py::test_once_mails_the_lists_and_the_probe_job_retries_what_the_server_refused);
a killed scan (test_resume.py); Retry-After (test_politeness.py).
"""

from __future__ import annotations

import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest
import yaml

from monitor import settings
from monitor.store import Store
from servers import (
    Reply, Req, closed_port, html_doc, huge_page, page, paragraphs, raw, reset_at_once, reset_mid_body, serve,
    server_error, slow,
)
from test_crawl import govmon
from test_readers import lie_about_size, make_xlsx, zip_bomb

pytestmark = pytest.mark.slow

TYPO = "再接再励"  # lexicons/typos.tsv
MB = 1024 * 1024
#: longest a test waits for something the crawl is about to do (a safety limit, not a timing)
PATIENCE = 60


# ------------------------------------------------------------------------------ harness

def write_config(tmp: Path, base: str, database: str = "sqlite:///govmon.db", per_host: int = 4) -> Path:
    path = tmp / "monitor.yaml"
    path.write_text(yaml.safe_dump({
        "database": database,
        "departments": [{"id": "office", "name": "县政府办公室"}],
        "links": {"allow_hosts": ["127.0.0.1"], "timeout": 5, "retries": 0, "per_host": per_host},
        "sites": [{"id": "t", "name": "测试县人民政府", "url": f"{base}/", "department": "office"}],
    }, allow_unicode=True), encoding="utf-8")
    return path


def sqlite_url(tmp: Path) -> str:
    return f"sqlite:///{tmp / 'govmon.db'}"


@contextmanager
def opened(url: str) -> Iterator[Store]:
    store = Store(url, migrate=False)
    try:
        yield store
    finally:
        store.close()


def govmon_command(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("govmon")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from monitor.cli import main; main()"]
    return cmd + list(args)


def night(config: Path, as_of: str, env: dict[str, str], url: str | None = None) -> tuple[Any, Any]:
    """`govmon scan` for one night: (the finished process, the site's latest scan)."""
    proc = govmon("scan", "--config", str(config), "--as-of", as_of, "--no-report", cwd=config.parent, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    with opened(url or sqlite_url(config.parent)) as store:
        return proc, store.scans("t", limit=1)[0]


def pages(url: str, scan_id: int) -> dict[str, tuple[int | None, str | None]]:
    """path → (HTTP status, error) of every page row of a scan."""
    with opened(url) as store:
        return {urlsplit(p.url).path: (p.status, p.error) for p in store.pages(scan_id)}


def typos(url: str) -> dict[str, str]:
    """path → status of every TYPO finding, whatever its status."""
    with opened(url) as store:
        return {urlsplit(f.url).path: f.status for f in store.findings(statuses=None) if f.text == TYPO}


def crawl_log(tmp: Path, scan_id: int) -> str:
    path = tmp / "logs" / f"scan-{scan_id}-t.log"
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def wait_for(what: str, test: Any, proc: subprocess.Popen[Any] | None = None) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if test():
            return
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"govmon scan ended ({proc.returncode}) while waiting for {what}")
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what}")


def article(i: int, typo: bool = True) -> Reply:
    text = f"全县干部{TYPO}，做好第{i}项工作。" if typo else f"做好第{i}项工作。"
    return page(f"第{i}号通知", [text, "具体要求如下。" * 40])


# ------------------------------------------------------------------------------ the web server

STORM = ["/s0.html", "/s1.html", "/s2.html", "/s3.html"]  # half the articles: 503, 500, 503, 500
RESETS = ["/reset-mid-body.html", "/reset-at-once.html"]
STEADY = ["/a0.html", "/a1.html", "/a2.html", "/a3.html"]  # articles that answer normally


def test_connection_resets_and_a_5xx_storm_are_recorded_and_keep_earlier_findings_open(tmp_path, crawl_env):
    articles = STORM + RESETS + STEADY
    routes: dict[str, Any] = {"/": page("测试县人民政府", "欢迎访问。", links=articles)}
    routes.update({path: article(i, typo=path not in STEADY[2:]) for i, path in enumerate(articles)})
    url = sqlite_url(tmp_path)
    with serve(routes) as site:
        config = write_config(tmp_path, site.base)
        proc, first = night(config, "2026-11-20", crawl_env)
        assert proc.returncode == 0 and first.status == "complete", (first.message, proc.stderr[-2000:])
        before = typos(url)
        assert set(before) == set(STORM + RESETS + STEADY[:2])
        first_pages = pages(url, first.id)

        # the next night the server is in trouble: half the articles answer 5xx on every
        # request (no Retry-After), one connection is reset mid-body, one before any answer
        busy = Reply(503, html_doc("503 服务暂不可用", "<p>服务器繁忙。</p>").encode("utf-8"),
                     {"Content-Type": "text/html; charset=utf-8"})
        site.routes.update({STORM[0]: busy, STORM[1]: server_error(), STORM[2]: busy, STORM[3]: server_error(),
                            RESETS[0]: reset_mid_body(routes[RESETS[0]], after=512), RESETS[1]: reset_at_once(),
                            STEADY[1]: article(7, typo=False)})
        hits = {path: site.count(path) for path in articles}
        sent = dict(site.sent)
        proc, second = night(config, "2026-11-21", crawl_env)
        hits = {path: site.count(path) - hits[path] for path in articles}
        cut = site.sent[RESETS[0]] - sent[RESETS[0]]

    assert proc.returncode == 0, proc.stderr[-2000:]
    # a page that failed keeps its findings open and says why; the rest of the site was read,
    # so the scan is complete (a partial one could fix nothing anywhere on the site)
    assert second.status == "complete" and second.message is None
    rows = pages(url, second.id)
    assert {path: rows[path] for path in STORM + RESETS} == {
        STORM[0]: (503, "HTTP 503"), STORM[1]: (500, "HTTP 500"), STORM[2]: (503, "HTTP 503"),
        STORM[3]: (500, "HTTP 500"), RESETS[0]: (0, "连接中断"), RESETS[1]: (0, "连接中断")}
    assert second.page_errors == 6
    # retried, but a bounded number of times
    for path in STORM + RESETS:
        assert 1 < hits[path] <= 1 + settings.RETRY_TIMES, (path, hits[path])
    assert cut == 512 * hits[RESETS[0]]  # really cut off mid-body, every time
    # nothing fixed on the strength of a page that failed; the pages that were read count
    after = typos(url)
    assert {path: after[path] for path in STORM + RESETS} == {path: before[path] for path in STORM + RESETS}
    assert (after[STEADY[0]], after[STEADY[1]]) == ("open", "fixed")
    assert pages(url, first.id) == first_pages  # the first night's record is intact


def test_a_200_mb_page_is_cut_at_the_size_cap_and_never_held_in_memory(tmp_path, crawl_env):
    """Peak memory: `os.wait4` reports the largest resident size of govmon and of the crawl it
    waited for. (Scrapy's `memusage/max` in the crawl log is sampled every 60 s, so a short
    crawl only shows its start-up figure.)"""
    big = ["/big.html", "/big-stream.html"]  # with and without Content-Length
    routes: dict[str, Any] = {"/": page("测试县人民政府", "欢迎访问。", links=[*big, "/ok.html"]),
                              "/ok.html": article(9)}
    routes.update({path: article(i) for i, path in enumerate(big)})
    url = sqlite_url(tmp_path)

    def measured(config: Path, as_of: str) -> tuple[int, int]:
        with open(tmp_path / f"govmon-{as_of}.stderr", "wb") as err:
            proc = subprocess.Popen(govmon_command("scan", "--config", str(config), "--as-of", as_of, "--no-report"),
                                    cwd=tmp_path, env=crawl_env, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        return proc.returncode, usage.ru_maxrss * 1024  # KB on Linux

    with serve(routes) as site:
        config = write_config(tmp_path, site.base)
        code, first_peak = measured(config, "2026-11-20")
        assert code == 0
        site.routes.update({big[0]: huge_page(200 * MB), big[1]: huge_page(200 * MB, content_length=False)})
        hits = {path: site.count(path) for path in big}
        sent = {path: site.sent.get(path, 0) for path in big}
        code, peak = measured(config, "2026-11-21")
        hits = {path: site.count(path) - hits[path] for path in big}
        sent = {path: site.sent[path] - sent[path] for path in big}

    assert code == 0, (tmp_path / "govmon-2026-11-21.stderr").read_text(encoding="utf-8", errors="replace")[-2000:]
    with opened(url) as store:
        second = store.scans("t", limit=1)[0]
        broken_links = store.findings(category="broken_link", statuses=None)
    assert second.status == "complete", second.message
    rows = pages(url, second.id)
    assert {path: rows[path] for path in big} == {path: (0, "页面超过大小上限，已停止下载") for path in big}
    assert hits == {path: 1 for path in big}  # a size cap is no passing fault: not retried
    assert all(n < 50 * MB for n in sent.values()), sent  # the crawl stopped reading early
    assert broken_links == []  # the links work: too large to read is not broken
    assert peak < first_peak + 100 * MB, (first_peak // MB, peak // MB)  # never held whole
    assert typos(url) == {big[0]: "new", big[1]: "new", "/ok.html": "open"}  # not read: not fixed


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = "xl/worksheets/sheet1.xml"


def test_zip_bomb_attachments_are_recorded_unreadable_and_the_rest_is_checked(tmp_path, crawl_env):
    files = [("/files/bomb.xlsx", "名单.xlsx"), ("/files/liar.xlsx", "汇总.xlsx"), ("/files/ok.xlsx", "明细.xlsx")]
    routes = {
        "/": page("测试县人民政府", "欢迎访问。", links=["/notice.html"]),
        "/notice.html": page("低保名单公示", f"名单见附件。全县干部{TYPO}。", links=files),
        # 20 MB of zeros in 20 KB, declared as such; and 8 MB that declares 2 KB
        "/files/bomb.xlsx": raw(zip_bomb(SHEET), XLSX),
        "/files/liar.xlsx": raw(lie_about_size(zip_bomb(SHEET, 8 * MB), SHEET, 2000), XLSX),
        "/files/ok.xlsx": raw(make_xlsx({"名单": [["序号", "说明"], [1, f"望大家{TYPO}"]]}), XLSX),
    }
    url = sqlite_url(tmp_path)
    with serve(routes) as site:
        proc, scan = night(write_config(tmp_path, site.base), "2026-11-20", crawl_env)
    assert proc.returncode == 0 and scan.status == "complete", (scan.message, proc.stderr[-2000:])
    rows = pages(url, scan.id)
    bomb, liar = rows["/files/bomb.xlsx"], rows["/files/liar.xlsx"]
    assert bomb[0] == 200 and bomb[1].startswith("附件无法读取：.xlsx 文件解压后过大，可能是恶意构造的压缩文件，已拒绝读取（压缩比异常")
    assert liar == (200, "附件无法读取：.xlsx 文件解压后过大，可能是恶意构造的压缩文件，已拒绝读取（实际解压大小超过声明的大小）")
    assert rows["/files/ok.xlsx"] == (200, None) and rows["/notice.html"] == (200, None)
    assert typos(url) == {"/notice.html": "new", "/files/ok.xlsx": "new"}
    assert scan.stats["audit"]["attachments"]["read"] == 1 and scan.stats["audit"]["attachments"]["failed"] == 2
    with opened(url) as store:
        assert store.findings(category="broken_link", statuses=None) == []  # unreadable is not broken


def test_mis_declared_and_broken_encodings_are_read(tmp_path, crawl_env):
    """Crawl-level cases test_crawl.py does not have (test_extract_encoding.py has them as
    bytes): GBK served as UTF-8 (header and meta), and UTF-8 or undeclared GBK pages with a
    character cut in two and a stray byte."""
    def doc(title: str, codec: str, meta: str | None, damage: bool = False) -> bytes:
        body = html_doc(title, paragraphs("关于开展春季义务植树活动的通知", f"全县干部{TYPO}，做好各项工作。"),
                        ["/"], charset_meta=meta).encode(codec)
        if damage:  # a summary cut in the middle of a character, a stray byte
            cut = "植树活动的通知".encode(codec)
            body = body.replace(cut, cut + "植".encode(codec)[:-1])
            body = body.replace("<p>全县".encode(codec), b"<p>\xff" + "全县".encode(codec))
        return body

    cases = {
        "/gbk-as-utf8.html": ("统计公报", raw(doc("统计公报", "gbk", "utf-8"), "text/html; charset=utf-8")),
        "/utf8-broken.html": ("县民政局通知", raw(doc("县民政局通知", "utf-8", "utf-8", True), "text/html; charset=utf-8")),
        "/gbk-broken.html": ("乡镇动态：张镕调研", raw(doc("乡镇动态：张镕调研", "gbk", None, True), "text/html")),
    }
    routes = {"/": page("测试县人民政府", "欢迎访问。", links=list(cases)), **{p: r for p, (_, r) in cases.items()}}
    url = sqlite_url(tmp_path)
    with serve(routes) as site:
        proc, scan = night(write_config(tmp_path, site.base), "2026-11-20", crawl_env)
    assert proc.returncode == 0 and scan.status == "complete", (scan.message, proc.stderr[-2000:])
    with opened(url) as store:
        found = {urlsplit(f.url).path: f for f in store.findings() if f.text == TYPO}
        titles = {urlsplit(p.url).path: (p.title, p.error) for p in store.pages(scan.id)}
    assert set(found) == set(cases)
    for path, (title, _) in cases.items():
        assert titles[path] == (title, None), path
        assert f"全县干部{TYPO}，做好各项工作" in found[path].context, (path, found[path].context)


# ------------------------------------------------------------------------------ the store

# Holds SQLite's write lock (BEGIN EXCLUSIVE; in WAL mode readers go on) until told to let go,
# then says how many rows of the page it was given had been stored meanwhile.
LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
stored = db.execute("SELECT count(*) FROM pages WHERE url LIKE ?", ("%" + sys.argv[2],)).fetchone()[0]
db.execute("COMMIT")
print(stored, flush=True)
"""
LOCK_SECONDS = 3  # well under the store's busy timeout (30 s)


def test_the_crawl_waits_for_a_database_locked_by_another_process_and_stores_everything(tmp_path, crawl_env):
    requested, answer = threading.Event(), threading.Event()

    def held(req: Req) -> Reply:  # answered only once the database is locked
        requested.set()
        answer.wait(PATIENCE)
        return article(0)

    routes: dict[str, Any] = {"/": page("测试县人民政府", "欢迎访问。", links=STEADY), STEADY[0]: held,
                              **{path: article(i, typo=i < 2) for i, path in enumerate(STEADY) if i}}
    url = sqlite_url(tmp_path)
    with serve(routes) as site:
        config = write_config(tmp_path, site.base)
        with open(tmp_path / "govmon.stderr", "wb") as err:
            proc = subprocess.Popen(govmon_command("scan", "--config", str(config), "--as-of", "2026-11-20",
                                                   "--no-report"), cwd=tmp_path, env=crawl_env,
                                    stdout=subprocess.DEVNULL, stderr=err)
            try:
                wait_for("the article's request", requested.is_set, proc)
                with subprocess.Popen([sys.executable, "-c", LOCKER, str(tmp_path / "govmon.db"), STEADY[0]],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as locker:
                    assert locker.stdout.readline().strip() == "locked"
                    answer.set()  # the page arrives while the database is locked
                    time.sleep(LOCK_SECONDS)
                    stored_while_locked = int(locker.communicate("\n", timeout=PATIENCE)[0])
                assert locker.returncode == 0
                assert proc.wait(120) == 0
            finally:
                answer.set()
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    assert stored_while_locked == 0
    with opened(url) as store:
        scan = store.scans("t", limit=1)[0]
    # it waited, then stored everything: no page lost, nothing reported as failed
    assert scan.status == "complete" and scan.message is None and scan.stats["store_errors"] == 0
    assert pages(url, scan.id) == {"/": (200, None), **{path: (200, None) for path in STEADY}}
    assert typos(url) == {STEADY[0]: "new", STEADY[1]: "new"}
    assert "未能写入数据库" not in crawl_log(tmp_path, scan.id)


# A write the database refuses (like a full disk or an I/O error would): the row of one page
FAULT = ("CREATE TRIGGER govmon_test_fault BEFORE INSERT ON pages WHEN NEW.url LIKE '%/a1.html' "
         "BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END")


def test_a_page_the_database_refuses_makes_the_scan_partial_and_loses_nothing(tmp_path, crawl_env):
    routes: dict[str, Any] = {"/": page("测试县人民政府", "欢迎访问。", links=STEADY),
                              **{path: article(i, typo=i < 3) for i, path in enumerate(STEADY)}}
    url = sqlite_url(tmp_path)
    with serve(routes) as site:
        config = write_config(tmp_path, site.base)
        proc, first = night(config, "2026-11-20", crawl_env)
        assert first.status == "complete", first.message
        first_pages, before = pages(url, first.id), typos(url)
        assert before == {STEADY[0]: "new", STEADY[1]: "new", STEADY[2]: "new"}

        site.routes[STEADY[0]] = article(0, typo=False)  # corrected on the site
        site.routes[STEADY[1]] = page("第1号通知（更新）", f"全县干部{TYPO}，做好第1项工作。")  # edited: read again
        with closing(sqlite3.connect(tmp_path / "govmon.db")) as db:
            db.execute(FAULT)
            db.commit()
        proc, second = night(config, "2026-11-21", crawl_env)
        assert proc.returncode == 0, proc.stderr[-2000:]
        # the crawl went on, said what it could not store, and the scan fixes nothing
        assert second.status == "partial"
        assert second.message == "1 个页面或检查结果未能写入数据库（详见抓取日志），本次结果不完整"
        rows = pages(url, second.id)
        assert STEADY[1] not in rows and {"/", STEADY[0], STEADY[2], STEADY[3]} <= set(rows)
        log = crawl_log(tmp_path, second.id)
        assert f"未能写入数据库：{site.base}{STEADY[1]}" in log and "disk I/O error (simulated)" in log
        assert typos(url) == {STEADY[0]: "new", STEADY[1]: "new", STEADY[2]: "open"}  # a0 not fixed yet
        assert pages(url, first.id) == first_pages

        with closing(sqlite3.connect(tmp_path / "govmon.db")) as db:
            db.execute("DROP TRIGGER govmon_test_fault")
            db.commit()
        proc, third = night(config, "2026-11-22", crawl_env)
    assert third.status == "complete", third.message
    assert STEADY[1] in pages(url, third.id)
    assert typos(url) == {STEADY[0]: "fixed", STEADY[1]: "open", STEADY[2]: "open"}



# Every page row refused, as by a full disk: the database is no use to the crawl
REFUSE_ALL = ("CREATE TRIGGER govmon_test_fault BEFORE INSERT ON pages "
              "BEGIN SELECT RAISE(ABORT, 'database or disk is full (simulated)'); END")
MANY = [f"/m{i}.html" for i in range(100)]


def test_a_database_that_refuses_every_write_stops_the_crawl_and_fails_the_scan(tmp_path, crawl_env):
    """After MONITOR_STORE_MAX_FAILURES failed writes in a row the crawl stops (instead of
    reading the rest of the site for nothing, or waiting out the busy timeout page by page),
    the scan fails and says why, nothing is fixed, and the next night is complete."""
    routes: dict[str, Any] = {"/": page("测试县人民政府", "欢迎访问。", links=MANY)}
    # slow enough that reading every page takes a while (one at a time: ≥ 10 s)
    routes.update({path: slow(0.1, article(i, typo=i < 2)) for i, path in enumerate(MANY)})
    url = sqlite_url(tmp_path)
    with serve(routes) as site:
        config = write_config(tmp_path, site.base, per_host=1)
        proc, first = night(config, "2026-11-20", crawl_env)
        assert first.status == "complete", (first.message, proc.stderr[-2000:])
        first_pages = pages(url, first.id)
        assert typos(url) == {MANY[0]: "new", MANY[1]: "new"}

        site.routes[MANY[0]] = slow(0.1, article(0, typo=False))  # corrected on the site
        with closing(sqlite3.connect(tmp_path / "govmon.db")) as db:
            db.execute(REFUSE_ALL)
            db.commit()
        hits = {path: site.count(path) for path in MANY}
        # --full: every page would be read again, so a crawl that did not stop would read all
        proc = govmon("scan", "--config", str(config), "--as-of", "2026-11-21", "--no-report", "--full",
                      cwd=tmp_path, env=crawl_env)
        read = [path for path in MANY if site.count(path) > hits[path]]
        with opened(url) as store:
            second = store.scans("t", limit=1)[0]
        assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
        assert proc.returncode == 1  # govmon scan says a scan failed
        assert second.status == "failed" and second.stats["finish_reason"] == "store_unavailable"
        assert second.message.startswith("数据库连续多次写入失败（无法连接、被其他程序锁定或磁盘已满），已停止抓取；")
        assert f"{second.stats['store_errors']} 个页面或检查结果未能写入" in second.message
        assert second.stats["store_errors"] >= settings.MONITOR_STORE_MAX_FAILURES
        assert len(read) < len(MANY) / 2  # it stopped early
        log = crawl_log(tmp_path, second.id)
        assert "数据库连续 20 次写入失败，判定数据库无法使用，停止抓取" in log
        # failed writes, each logged with its reason; no more tries after giving up
        assert 0 < log.count("未能写入数据库：") <= settings.MONITOR_STORE_MAX_FAILURES
        assert "database or disk is full (simulated)" in log
        assert pages(url, second.id) == {}
        assert typos(url) == {MANY[0]: "new", MANY[1]: "new"}  # nothing fixed, nothing lost
        assert pages(url, first.id) == first_pages

        with closing(sqlite3.connect(tmp_path / "govmon.db")) as db:
            db.execute("DROP TRIGGER govmon_test_fault")
            db.commit()
        proc, third = night(config, "2026-11-22", crawl_env)
    assert third.status == "complete", third.message
    assert typos(url) == {MANY[0]: "fixed", MANY[1]: "open"}

class PrivatePostgres:
    """A throw-away PostgreSQL cluster of this test's own, on a free port of 127.0.0.1 (never
    the machine's server). As root, its programs run as the `postgres` user (initdb refuses root)."""

    def __init__(self) -> None:
        pg_ctl = shutil.which("pg_ctl") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))), None)
        if pg_ctl is None or not (Path(pg_ctl).resolve().parent / "initdb").exists():
            pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed: no private server")
        self.bindir = Path(pg_ctl).resolve().parent
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None or not _user_exists("postgres"):
                pytest.skip("running as root without a postgres user (or runuser): initdb refuses root")
            self.run_as = [runuser, "-u", "postgres", "--"]
        self.home = Path(tempfile.mkdtemp(prefix="govmon-pg-"))
        if self.run_as:
            shutil.chown(self.home, "postgres")
        self.port = closed_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self.run_as, str(self.bindir / program), *args], check=True, timeout=PATIENCE,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.home / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.home / "data"), "-l", str(self.home / "server.log"), "-w",
                  "-t", str(PATIENCE), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.home / "data"), "-w", "-m", mode, "stop")

    def remove(self) -> None:
        try:
            if (self.home / "data" / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    pytest.importorskip("psycopg")
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


ARTICLES = [f"/a{i}.html" for i in range(6)]


def test_postgresql_restarted_mid_crawl(tmp_path, crawl_env):
    """The server goes down while a page is in flight and comes back: that page (its cache
    entry unreadable, then its write refused) is recorded as not stored, the pages after the
    restart are stored, govmon itself carries on, and the next scan is complete. The server
    is this test's own (initdb into a temporary folder, a free port): the machine's is never
    touched."""
    requested, down, up = threading.Event(), threading.Event(), threading.Event()

    def during_outage(req: Req) -> Reply:  # answered once the server is down
        requested.set()
        down.wait(PATIENCE)
        return article(0)

    def after_restart(i: int) -> Any:  # answered once it is back
        def route(req: Req) -> Reply:
            up.wait(PATIENCE)
            return article(i)
        return route

    routes: dict[str, Any] = {"/": page("测试县人民政府", "欢迎访问。", links=ARTICLES),
                              **{path: article(i) for i, path in enumerate(ARTICLES)}}
    with private_postgres() as pg, serve(routes) as site:
        # every article at once: those held back until the restart must not keep the page in
        # the outage (read twice) from being requested
        config = write_config(tmp_path, site.base, database=pg.url, per_host=len(ARTICLES) + 2)
        proc, first = night(config, "2026-11-20", crawl_env, pg.url)
        assert first.status == "complete", (first.message, proc.stderr[-2000:])
        first_pages = pages(pg.url, first.id)

        site.routes[ARTICLES[0]] = during_outage
        site.routes.update({path: after_restart(i) for i, path in enumerate(ARTICLES) if i})
        hits = site.count(ARTICLES[0])
        with open(tmp_path / "govmon.stderr", "wb") as err:
            proc = subprocess.Popen(govmon_command("scan", "--config", str(config), "--as-of", "2026-11-21",
                                                   "--no-report"), cwd=tmp_path, env=crawl_env,
                                    stdout=subprocess.DEVNULL, stderr=err)
            try:
                wait_for("the first article's request", requested.is_set, proc)
                pg.stop()
                down.set()  # the page arrives while the server is down
                second_id = first.id + 1
                wait_for("the crawl to log the write it could not make",
                         lambda: "未能写入数据库" in crawl_log(tmp_path, second_id), proc)
                time.sleep(1)  # down for two more of govmon's progress polls (every 0.5 s)
                pg.start()
                up.set()
                assert proc.wait(120) == 0
            finally:
                down.set()
                up.set()
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        stderr = (tmp_path / "govmon.stderr").read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in stderr, stderr[-3000:]  # govmon's progress display rode it out
        hits = site.count(ARTICLES[0]) - hits
        with opened(pg.url) as store:
            second = store.scans("t", limit=1)[0]
        assert second.id == second_id
        assert second.status == "partial"
        assert second.message == "1 个页面或检查结果未能写入数据库（详见抓取日志），本次结果不完整"
        rows = pages(pg.url, second.id)
        assert set(rows) == {"/", *ARTICLES[1:]}  # everything but the page in the outage
        log = crawl_log(tmp_path, second.id)
        assert "无法读取页面缓存，改为重新读取页面" in log and f"未能写入数据库：{site.base}{ARTICLES[0]}" in log
        assert hits == 2  # revalidated (unchanged), then read in full when the cache could not be read
        # nothing fixed, nothing lost: a0 was not seen this night, the others were carried over
        assert typos(pg.url) == {ARTICLES[0]: "new", **{path: "open" for path in ARTICLES[1:]}}
        assert pages(pg.url, first.id) == first_pages

        site.routes.update({path: article(i) for i, path in enumerate(ARTICLES)})
        site.routes[ARTICLES[0]] = article(0, typo=False)  # corrected meanwhile
        proc, third = night(config, "2026-11-22", crawl_env, pg.url)
        assert third.status == "complete", (third.message, proc.stderr[-2000:])
        found = typos(pg.url)
    assert found.pop(ARTICLES[0]) == "fixed" and set(found.values()) == {"open"}
