"""Many sites on Scrapyd nodes (runner.kind: scrapyd) sharing one PostgreSQL store.

Two real Scrapyd nodes run on 127.0.0.1 (tests/scrapyd_nodes.py), configured as
docs/operations.md says; `govmon scan` hands the demo sites, two more small sites (one in
GBK), a site that is down and the new-media accounts to them, and the crawls write to a
fresh PostgreSQL database on this machine. We check what an office relies on: every site
scanned exactly once, on one node; every finding stored once, and the same findings a scan
on this machine alone finds; a site that is down recorded as such; a node with another copy
of the configuration refused; a node that goes away given up without holding up the rest.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from urllib.request import urlopen

import pytest
import yaml
from sqlalchemy import func, select

from monitor.config import load_config
from monitor.scanning import STOPPED_MESSAGE
from monitor.schedule import _check_runner
from monitor.demo import DEMO_AS_OF, DEMO_CONFIG, demo_feeds_dir, serve_demo_sites, serve_directory
from monitor.store import FindingRow as Finding, Scan, Sighting, Store
from pg import postgres_database
from scrapyd_nodes import scrapyd_node
from servers import closed_port, gbk_page, page, serve

pytestmark = pytest.mark.slow
GOVMON = str(Path(sys.executable).with_name("govmon"))
AS_OF = DEMO_AS_OF.isoformat()


def extra_sites(stack: ExitStack) -> list[dict]:
    """Two small sites with a typo each (one in GBK) and one that does not answer."""
    utf8 = stack.enter_context(serve({
        "/": page("示例县农业农村局", "欢迎访问。", links=[("/a.html", "农业动态")]),
        "/a.html": page("农业动态", "各乡镇迫不急待地开展秋收工作。"),
    }))
    gbk = stack.enter_context(serve({
        "/": gbk_page("示例县水利局", "欢迎访问。", links=[("/b.html", "水利动态")], declare="meta"),
        "/b.html": gbk_page("水利动态", "防汛工作要再接再励。", declare="meta"),
    }))
    down = closed_port()
    return [
        {"id": "nyj", "name": "示例县农业农村局", "url": f"{utf8.base}/", "department": "office"},
        {"id": "slj", "name": "示例县水利局", "url": f"{gbk.base}/", "department": "office"},
        {"id": "down", "name": "示例县停机局", "url": f"http://127.0.0.1:{down}/", "department": "office"},
    ]


@pytest.fixture(scope="module")
def sites():
    """The demo portal and bureau, the feeds, and the three extra sites, served for the module."""
    with ExitStack() as stack:
        bases = stack.enter_context(serve_demo_sites())
        feeds = stack.enter_context(serve_directory(demo_feeds_dir()))
        data = yaml.safe_load(DEMO_CONFIG.format(base=bases["shili"], jyj=bases["jyj"], feeds=feeds))
        data.pop("smtp")
        data["sites"] += extra_sites(stack)
        yield data


@pytest.fixture(scope="module")
def nodes(tmp_path_factory, crawl_env):
    with ExitStack() as stack:
        yield [stack.enter_context(scrapyd_node(tmp_path_factory.mktemp(f"node{i}"), crawl_env))
               for i in (1, 2)]


def busy_site(stack: ExitStack, release: threading.Event):
    """A site whose one article answers only once `release` is set (set when the test ends)."""
    def busy(_req):
        release.wait(60)
        return page("很慢的页面", "终于加载完成。")

    stack.callback(release.set)
    return stack.enter_context(serve({"/": page("示例县慢速局", "欢迎。", links=["/busy.html"]), "/busy.html": busy}))


def write_config(folder: Path, data: dict, database: str, **runner) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {**data, "database": database, "log_dir": str(folder / "logs"), "reports_dir": str(folder / "reports")}
    if runner:
        data["runner"] = {"kind": "scrapyd", "poll_seconds": 0.5, **runner}
    path = folder / "monitor.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def govmon_scan(config: Path, env: dict, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([GOVMON, "scan", "--config", str(config), "--as-of", AS_OF, "--no-report", *extra],
                          env=env, capture_output=True, text=True, timeout=600)


def job_log(node, target: str, scan_id: int) -> Path:
    """The crawl log of a scan's job on a node: `<target>-<scan id>.log`, or with the suffix the
    coordinator adds when the node still lists an earlier job of that name (the tests'
    databases all number their scans from 1) — the newest such file."""
    folder = node.folder / "logs" / "govmon" / "site"
    logs = [*folder.glob(f"{target}-{scan_id}.log"), *folder.glob(f"{target}-{scan_id}-*.log")]
    return max(logs, key=lambda path: path.stat().st_mtime) if logs else folder / f"{target}-{scan_id}.log"


def sighted(store: Store) -> Counter:
    """(target, rule, url, fingerprint) of every finding sighted, counted once per sighting."""
    with store.session() as s:
        rows = s.execute(select(Scan.target, Finding.rule, Finding.url, Finding.fingerprint)
                         .join(Sighting, Sighting.scan_id == Scan.id)
                         .join(Finding, Finding.id == Sighting.finding_id)).all()
    return Counter(tuple(r) for r in rows)


def test_two_nodes_scan_every_site_once_and_store_every_finding_once(sites, nodes, tmp_path, crawl_env):
    targets = {s["id"] for s in sites["sites"]} | {"accounts"}
    with postgres_database() as url:
        config = write_config(tmp_path / "office", sites, url, nodes=[n.url for n in nodes], jobs_per_node=2)
        run = govmon_scan(config, crawl_env)
        assert run.returncode == 1, run.stderr  # one site is down
        store = Store(url)
        try:
            scans = store.scans(limit=100)
            # every site and the accounts: exactly one scan each, every one closed
            assert Counter(s.target for s in scans) == Counter(targets)
            status = {s.target: s.status for s in scans}
            assert status == {**{t: "complete" for t in targets}, "down": "failed"}, \
                {s.target: s.message for s in scans}
            down = next(s for s in scans if s.target == "down")
            assert "首页无法访问" in down.message
            # each crawl ran on one node, as the job of its scan; both nodes took a share
            ran = [set(n.job_logs()) for n in nodes]
            assert ran[0] and ran[1] and not ran[0] & ran[1]
            assert ran[0] | ran[1] == {f"{s.target}-{s.id}" for s in scans}
            # every finding stored once, sighted once by the scan of its site
            with store.session() as s:
                fingerprints = s.execute(select(Finding.fingerprint, func.count()).group_by(Finding.fingerprint)
                                         .having(func.count() > 1)).all()
            assert fingerprints == []
            on_nodes = sighted(store)
            assert set(on_nodes.values()) == {1}
        finally:
            store.close()
    # the same findings as a scan of the same sites on this machine alone (SQLite, local runner)
    local = write_config(tmp_path / "local", sites, f"sqlite:///{tmp_path / 'local.db'}")
    assert govmon_scan(local, crawl_env).returncode == 1
    store = Store(load_config(local).database_url)
    try:
        here = sighted(store)
    finally:
        store.close()
    assert on_nodes == here
    typos = {(t, u.rsplit("/", 1)[-1]) for t, rule, u, _ in here if rule.startswith("typo")}
    assert {("nyj", "a.html"), ("slj", "b.html")} <= typos  # the UTF-8 and the GBK site were read


def test_a_node_with_another_copy_of_the_config_refuses_the_crawl(sites, nodes, tmp_path, crawl_env):
    one = {**sites, "sites": [s for s in sites["sites"] if s["id"] == "nyj"], "accounts": []}
    with postgres_database() as url:
        config = write_config(tmp_path / "office", one, url, nodes=[nodes[0].url],
                              node_config=str(tmp_path / "node-copy.yaml"))
        # the node's copy differs (someone edited the config here and did not copy it out)
        stale = yaml.safe_load(config.read_text(encoding="utf-8"))
        stale["sites"][0]["max_pages"] = 10
        (tmp_path / "node-copy.yaml").write_text(yaml.safe_dump(stale, allow_unicode=True), encoding="utf-8")
        run = govmon_scan(config, crawl_env)
        assert run.returncode == 1
        store = Store(url)
        try:
            [scan] = store.scans()
            assert scan.status == "failed"
            assert "配置文件" in scan.message and "不一致" in scan.message and scan.pages == 0
            assert f"节点 {nodes[0].url}（主机 " in scan.message  # which node, as runner.nodes names it
        finally:
            store.close()
        # no copy on the node at all: the crawl cannot start, and its log on the node says why —
        # read back into the scan's message, where the office looks
        (tmp_path / "node-copy.yaml").unlink()
        run = govmon_scan(config, crawl_env)
        assert run.returncode == 1
        store = Store(url)
        try:
            [scan] = store.scans(limit=1)
            assert scan.status == "failed" and scan.pages == 0
            assert "未写入结果摘要" in scan.message and "node-copy.yaml" in scan.message, scan.message
            assert "文件不存在" in scan.message and f"节点 {nodes[0].url}，日志 {nodes[0].url}/logs/" in scan.message
        finally:
            store.close()


def test_a_node_that_goes_away_is_given_up_and_the_rest_goes_on(sites, nodes, tmp_path, crawl_env):
    slow_home = "/"
    with ExitStack() as stack:
        # a site slow enough that its crawl is still running when its node dies
        slow = stack.enter_context(serve({
            slow_home: lambda req: (req.stop.wait(2.5), page("示例县慢速局", "欢迎。", links=["/x.html"]))[1],
            "/x.html": lambda req: (req.stop.wait(2.5), page("动态", "正文。"))[1],
        }))
        doomed = stack.enter_context(scrapyd_node(tmp_path / "doomed", crawl_env))
        data = {**sites, "accounts": [],
                "sites": [{"id": "slow", "name": "示例县慢速局", "url": f"{slow.base}/", "department": "office"},
                          *[s for s in sites["sites"] if s["id"] in ("nyj", "slj")]]}
        with postgres_database() as url:
            # the doomed node has the most free slots: the slow site goes to it first
            config = write_config(tmp_path / "office", data, url, nodes=[doomed.url, nodes[1].url],
                                  jobs_per_node=1, node_timeout_minutes=0.05)
            env = dict(crawl_env)
            proc = subprocess.Popen([GOVMON, "scan", "--config", str(config), "--as-of", AS_OF, "--no-report"],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 60
            while not doomed.job_logs() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert doomed.job_logs(), "the slow site never started on the doomed node"
            doomed.kill()
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 1, err
            store = Store(url)
            try:
                scans = {s.target: s for s in store.scans()}
            finally:
                store.close()
    assert sorted(scans) == ["nyj", "slj", "slow"]  # each once: the lost site was not handed out again
    assert scans["slow"].status == "failed"
    assert doomed.url in scans["slow"].message and "无响应" in scans["slow"].message
    assert scans["nyj"].status == scans["slj"].status == "complete", {t: s.message for t, s in scans.items()}
    shutil.rmtree(tmp_path / "doomed", ignore_errors=True)


def test_the_nightly_job_runs_on_the_nodes_and_a_stop_cancels_their_crawls(sites, nodes, tmp_path, crawl_env):
    """`govmon schedule --once` with the crawls on a node: each site's outcome is logged with
    its node's crawl log; SIGTERM cancels the crawl still running there (scan partial)."""
    release = threading.Event()
    with ExitStack() as stack:
        slow = busy_site(stack, release)
        data = {**sites, "accounts": [],
                "sites": [{"id": "slow", "name": "示例县慢速局", "url": f"{slow.base}/", "department": "office"},
                          *[s for s in sites["sites"] if s["id"] == "nyj"]]}
        url = stack.enter_context(postgres_database())
        config = write_config(tmp_path, data, url, nodes=[nodes[0].url], jobs_per_node=2)
        proc = subprocess.Popen([GOVMON, "schedule", "--config", str(config), "--once", "--as-of", AS_OF],
                                env=crawl_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        stack.callback(lambda: proc.poll() is None and proc.kill())
        store = Store(url)
        stack.callback(store.close)
        deadline = time.monotonic() + 120
        while not (slow.count("/busy.html") and any(s.target == "nyj" and s.status == "complete"
                                                     for s in store.scans())):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        # the node was told to stop the crawl (Scrapy then waits for the busy page): let it go
        [slow_id] = [s.id for s in store.scans() if s.target == "slow"]
        while "Closing spider (shutdown)" not in job_log(nodes[0], "slow", slow_id).read_text(
                encoding="utf-8", errors="replace"):
            assert time.monotonic() < deadline
            time.sleep(0.3)
        release.set()
        stderr = proc.communicate(timeout=120)[1]
        assert proc.returncode == 1, stderr
        scans = {s.target: s for s in store.scans()}
        assert scans["nyj"].status == "complete"
        assert (scans["slow"].status, scans["slow"].message) == ("partial", STOPPED_MESSAGE)
        # the node was told to stop the crawl: it is no longer running there
        slow_job = f"slow-{scans['slow'].id}"
        with urlopen(f"{nodes[0].url}/listjobs.json?project=govmon", timeout=10) as r:
            jobs = json.load(r)
        assert slow_job in {j["id"] for j in jobs["finished"]}
    log = (tmp_path / "logs" / "schedule.log").read_text(encoding="utf-8")
    assert "站点 示例县农业农村局（nyj）：完成" in log
    assert re.search(rf"{nodes[0].url}/logs/govmon/site/nyj-{scans['nyj'].id}(-[0-9a-f]{{6}})?\.log", log), log
    assert "夜间任务已中止" in log and "Traceback" not in stderr


def test_a_node_not_set_up_for_govmon_stops_the_scan_before_anything_runs(sites, nodes, tmp_path, crawl_env,
                                                                          caplog):
    one = {**sites, "sites": [s for s in sites["sites"] if s["id"] == "nyj"], "accounts": []}
    with scrapyd_node(tmp_path / "bare", crawl_env, govmon=False) as bare, postgres_database() as url:
        # `govmon schedule` says so when it starts, not when the night's scan fails at 02:00
        away = f"http://127.0.0.1:{closed_port()}"
        for runner, level, said in (
                ([n.url for n in nodes], "INFO", "Scrapyd 节点均已就绪"),
                ([nodes[0].url, away], "WARNING", f"无法连接 Scrapyd 节点 {away}"),
                ([nodes[0].url, bare.url], "ERROR", f"夜间扫描将无法在 Scrapyd 节点上运行：runner.nodes：")):
            caplog.clear()
            with caplog.at_level(logging.INFO, logger="govmon.schedule"):
                _check_runner(load_config(write_config(tmp_path / "start", one, url, nodes=runner)))
            [record] = [r for r in caplog.records if r.name == "govmon.schedule"]
            assert record.levelname == level and said in record.getMessage(), record.getMessage()
        assert bare.url in record.getMessage() and "monitor.settings" in record.getMessage()

        config = write_config(tmp_path / "office", one, url, nodes=[bare.url])
        started = time.monotonic()
        run = govmon_scan(config, crawl_env)
        assert run.returncode == 2, run.stderr
        assert time.monotonic() - started < 120  # not the 10 minutes of a node that is away
        assert "runner.nodes" in run.stderr and bare.url in run.stderr and "monitor.settings" in run.stderr
        store = Store(url)
        try:
            assert store.scans() == []
        finally:
            store.close()


def test_interrupting_govmon_scan_cancels_the_crawls_on_the_nodes(sites, nodes, tmp_path, crawl_env):
    release = threading.Event()
    with ExitStack() as stack:
        slow = busy_site(stack, release)
        data = {**sites, "accounts": [],
                "sites": [{"id": "slow", "name": "示例县慢速局", "url": f"{slow.base}/", "department": "office"}]}
        url = stack.enter_context(postgres_database())
        config = write_config(tmp_path, data, url, nodes=[nodes[1].url])
        proc = subprocess.Popen([GOVMON, "scan", "--config", str(config), "--as-of", AS_OF, "--no-report"],
                                env=crawl_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        stack.callback(lambda: proc.poll() is None and proc.kill())
        deadline = time.monotonic() + 120
        while not slow.count("/busy.html"):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.3)
        proc.send_signal(signal.SIGHUP)  # the SSH session that ran it closed
        proc.communicate(timeout=60)
        store = Store(url)
        stack.callback(store.close)
        [scan] = store.scans()
        assert (scan.status, scan.message) == ("partial", STOPPED_MESSAGE)
        while "Closing spider (shutdown)" not in job_log(nodes[1], "slow", scan.id).read_text(
                encoding="utf-8", errors="replace"):
            assert time.monotonic() < deadline, "the node's crawl was not told to stop"
            time.sleep(0.3)
