"""Crawls as jobs on Scrapyd nodes (`runner.kind: scrapyd`), sharing one PostgreSQL store.

Scrapyd runs each job as `scrapy crawl <spider> -a …` in a process of its own, exactly the
command govmon runs locally (monitor/scanning.py): the crawl records pages and findings in
the shared database as it goes and writes its summary to its scan row when it closes. This
side, the coordinator (`govmon scan` or the nightly job, on any machine), does what it does
for a local crawl around that:

- opens one scan per site (and one for the accounts) and hands each to exactly one node —
  the node with the most free slots (`runner.jobs_per_node`), so a slow site does not hold
  up a queue behind it; a node that refuses or does not answer gets no jobs until it does;
- asks every node about its jobs every `runner.poll_seconds` (listjobs.json); a crawl that
  outlives its timeout, or every crawl when govmon is told to stop, is cancelled (cancel.json,
  SIGTERM, then SIGKILL after a grace period);
- closes each scan when its job has ended, from the crawl's own summary (complete, partial
  or failed, as locally); a node silent for `runner.node_timeout_minutes` has its crawls
  given up (the scans say which node), never handed out again in the same run — a site is
  never scanned twice in one run.

Nodes need govmon installed and its project declared in the node's scrapy.cfg, without eggs:

    [settings]
    govmon = monitor.settings

and the same configuration file (checked: the job carries its sha256). docs/operations.md
describes a deployment.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from http.client import HTTPException
from typing import Any, Callable, Iterator
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from sqlalchemy.exc import SQLAlchemyError

from .config import Config, ConfigError
from .scanning import REFUSED_MARK, STOP_GRACE, STOPPED_MESSAGE, begin_crawl, config_digest, end_crawl
from .store import ACCOUNTS_TARGET, Store

log = logging.getLogger("govmon.distributed")

#: seconds one call to a node's API may take
API_TIMEOUT = 15.0
#: the end of a crawl log read for the reason a crawl could not start
LOG_TAIL_BYTES = 64 * 1024
_LOG_RECORD = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
#: polls a job may be missing from its node's lists before it counts as ended (the node's
#: poller moves a job from its queue to a process between two polls)
MISSING_POLLS = 3


class ScrapydError(Exception):
    """A node's API did not answer, or answered with an error (message for people).
    `maybe_done`: the request may have reached the node all the same (it timed out);
    `answered`: something answered at the address (a wrong password, not Scrapyd, no govmon
    project) — a setup error, not a node that is away."""

    def __init__(self, message: str, maybe_done: bool = False, answered: bool = False) -> None:
        super().__init__(message)
        self.maybe_done = maybe_done
        self.answered = answered


class ScrapydNode:
    """The JSON API of one Scrapyd node (https://scrapyd.readthedocs.io/en/latest/api.html)."""

    def __init__(self, url: str, project: str, username: str | None = None, password: str | None = None,
                 timeout: float = API_TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.project = project
        self.timeout = timeout
        self._auth = None
        if username:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode("ascii")
            self._auth = f"Basic {token}"

    def __repr__(self) -> str:
        return f"ScrapydNode({self.url})"

    def _call(self, endpoint: str, params: dict[str, Any] | list[tuple[str, str]], post: bool = False) -> dict:
        query = urlencode(params)
        url = f"{self.url}/{endpoint}"
        request = Request(url if post else f"{url}?{query}", data=query.encode() if post else None)
        if self._auth:
            request.add_header("Authorization", self._auth)
        try:
            with urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except HTTPError as exc:
            if exc.code == 401:
                raise ScrapydError(f"Scrapyd 节点 {self.url} 拒绝访问（用户名或密码不对：runner.username、"
                                   f"runner.password_env）", answered=True) from None
            raise ScrapydError(f"Scrapyd 节点 {self.url} 返回 HTTP {exc.code}（{endpoint}）：地址是否正确？",
                               answered=exc.code < 500) from None
        except (URLError, OSError, HTTPException) as exc:  # HTTPException: not HTTP at that address
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise ScrapydError(f"Scrapyd 节点 {self.url} 在 {self.timeout:g} 秒内未回答（{endpoint}）",
                                   maybe_done=True) from None
            raise ScrapydError(f"无法连接 Scrapyd 节点 {self.url}：{reason}") from None
        try:
            data = json.loads(body)
        except ValueError:
            raise ScrapydError(f"{self.url} 的回答不是 Scrapyd 的 JSON（{endpoint}）：地址是否正确？",
                               answered=True) from None
        if data.get("status") != "ok":
            raise ScrapydError(f"Scrapyd 节点 {self.url} 报错（{endpoint}）：{str(data.get('message', data))[:300]}",
                               answered=True)
        return data

    def spiders(self) -> list[str]:
        """The project's spiders on this node: proves the node runs govmon."""
        return list(self._call("listspiders.json", {"project": self.project})["spiders"])

    def schedule(self, spider: str, job: str, args: dict[str, str]) -> str:
        params = [("project", self.project), ("spider", spider), ("jobid", job), *args.items()]
        return str(self._call("schedule.json", params, post=True)["jobid"])

    def jobs(self) -> dict[str, str]:
        """job id → pending | running | finished, for this project's jobs the node knows."""
        data = self._call("listjobs.json", {"project": self.project})
        return {job["id"]: state for state in ("pending", "running", "finished") for job in data.get(state, [])}

    def cancel(self, job: str, signal: str = "TERM") -> None:
        self._call("cancel.json", {"project": self.project, "job": job, "signal": signal}, post=True)

    def log_url(self, spider: str, job: str) -> str:
        return f"{self.url}/logs/{self.project}/{spider}/{job}.log"

    def has_log(self, spider: str, job: str) -> bool:
        """Whether the node keeps a crawl log of that name (from an earlier job: Scrapyd lists
        only its last finished jobs, and keeps logs longer). False when it cannot tell."""
        request = Request(self.log_url(spider, job), method="HEAD",
                          headers={"Authorization": self._auth} if self._auth else {})
        try:
            with urlopen(request, timeout=self.timeout):
                return True
        except (URLError, OSError, ValueError, HTTPException):
            return False

    def start_error(self, spider: str, job: str) -> str | None:
        """Why a crawl could not start, as its log on the node says (monitor.scanning.
        refuse_crawl: "无法开始抓取：…", with the lines that continue it); None when the log
        says no such thing or cannot be read."""
        url = self.log_url(spider, job)
        headers = {"Authorization": self._auth} if self._auth else {}
        try:
            # the end of the log: its size first (Scrapyd's file server fails a suffix range
            # longer than the file, "bytes=-N"), then the bytes from there
            with urlopen(Request(url, headers=headers, method="HEAD"), timeout=self.timeout) as response:
                size = int(response.headers.get("Content-Length") or 0)
            start = max(0, size - LOG_TAIL_BYTES)
            with urlopen(Request(url, headers={**headers, "Range": f"bytes={start}-"}), timeout=self.timeout) as response:
                text = response.read(LOG_TAIL_BYTES * 2).decode("utf-8", errors="replace")
        except (URLError, OSError, ValueError, HTTPException):
            return None
        lines = text.splitlines()
        for i in range(len(lines) - 1, -1, -1):
            if REFUSED_MARK in lines[i]:
                said = [lines[i].split(REFUSED_MARK, 1)[1].strip()]
                for line in lines[i + 1:]:  # a multi-line message, up to the next log record
                    if _LOG_RECORD.match(line):
                        break
                    said.append(line.strip())
                return " ".join(part for part in said if part)[:500]
        return None


@dataclass
class _Node:
    api: ScrapydNode
    slots: int
    jobs: set[str] = field(default_factory=set)
    known: set[str] = field(default_factory=set)  # job ids the node listed when last asked (any state)
    silent_since: float | None = None  # monotonic time of the first unanswered call in a row
    given_up: bool = False
    last_error: str | None = None

    @property
    def free(self) -> int:
        return 0 if self.given_up or self.silent_since is not None else self.slots - len(self.jobs)


@dataclass
class _Job:
    target: str
    kind: str
    scan_id: int
    node: _Node
    job: str
    started: float
    missing: int = 0
    cancelled_at: float | None = None
    killed: bool = False
    timed_out: bool = False
    stopped: bool = False
    uncertain: bool = False  # scheduling timed out: the node may or may not have the job

    @property
    def spider(self) -> str:
        return "accounts" if self.kind == "accounts" else "site"


@dataclass
class CrawlResult:
    """One ended crawl: its closed scan, and where its log is (on the node)."""

    target: str
    kind: str
    scan: Any
    status: str
    message: str | None
    node: str | None
    log_url: str | None


def nodes_from(config: Config) -> list[ScrapydNode]:
    runner = config.runner
    password = None
    if runner.username:
        password = os.environ.get(runner.password_env)
        if password is None:
            raise ConfigError(config.source, [f"runner.password_env：环境变量 {runner.password_env} 未设置"
                                              f"（Scrapyd 节点的密码）"])
    return [ScrapydNode(url, runner.project, runner.username, password) for url in runner.nodes]


def check_node(config: Config, api: ScrapydNode) -> None:
    """Does the node run govmon's crawls? ConfigError when it answers but cannot (a wrong
    password, not Scrapyd, no govmon project); ScrapydError when it does not answer."""
    project = config.runner.project
    hint = f"该节点是否安装了 govmon，scrapy.cfg 的 [settings] 是否有 {project} = monitor.settings？"
    try:
        spiders = api.spiders()
    except ScrapydError as exc:
        if exc.answered:
            raise ConfigError(config.source, [f"runner.nodes：{exc}（{hint}）"]) from None
        raise
    missing = {"site", "accounts"} - set(spiders)
    if missing:
        raise ConfigError(config.source, [f"runner.nodes：节点 {api.url} 上的项目 {project!r} "
                                          f"没有爬虫 {', '.join(sorted(missing))}（{hint}）"])


def check_nodes(config: Config) -> list[str]:
    """Every node of runner.nodes asked once (`govmon schedule` at start, so that a setup error
    is told then, not at night): ConfigError for a setup error (the password's variable unset
    included); the nodes that did not answer, in words (they may be up by night)."""
    away = []
    for api in nodes_from(config):
        try:
            check_node(config, api)
        except ScrapydError as exc:
            away.append(str(exc))
    return away


def run_crawls(config: Config, store: Store, targets: list[tuple[str, str]], as_of: date, timeout: float,
               full: bool = False, stop: threading.Event | None = None, drain: threading.Event | None = None,
               on_progress: Callable[[str, int, str | None], None] | None = None,
               on_result: Callable[[CrawlResult], None] | None = None,
               nodes: list[ScrapydNode] | None = None, sleep: Callable[[float], Any] | None = None) -> list[CrawlResult]:
    """Crawl `targets` ((site id or "accounts", "site" | "accounts")) on the Scrapyd nodes, each
    exactly once; close every scan that was opened. `on_progress(target, pages, node)` while
    they run; `on_result` as each ends. `stop` set: the running crawls are cancelled (their
    scans partial); `drain` set: no more are handed out, the running ones finish. Targets
    never handed out get no scan and no result."""
    if config.source is None:
        raise ValueError("config must have been loaded from a file")
    runner = config.runner
    node_config = runner.node_config or str(config.source.resolve())
    digest = config_digest(config.source)
    pool = [_Node(api, runner.jobs_per_node) for api in (nodes or nodes_from(config))]
    wait = sleep or (stop.wait if stop is not None else time.sleep)
    for node in pool:  # a node that does not run govmon is a setup error: say so before anything runs
        try:
            check_node(config, node.api)
            node.known = set(node.api.jobs())
        except ScrapydError as exc:
            node.silent_since, node.last_error = time.monotonic(), str(exc)
            log.warning("%s；暂不向其分发任务", exc)
    queue: list[tuple[str, str, int | None]] = [(t, k, None) for t, k in targets]
    running: dict[str, _Job] = {}
    results: list[CrawlResult] = []
    node_timeout = runner.node_timeout_minutes * 60

    ended: dict[str, str | None] = {}  # jobs over on their node whose scans are still to close → why lost
    store_down_since: list[float] = []

    def close(job: _Job) -> bool:
        """Close the scan of a job that is over; False while the database is away (tried again)."""
        log_url = job.node.api.log_url(job.spider, job.job)
        detail = f"节点 {job.node.api.url}，日志 {log_url}"
        try:
            if ended[job.job] is None and not job.stopped and _never_summarised(store, job.scan_id):
                # it ended without a word on its scan: its log on the node may say why (a missing
                # or broken copy of the configuration there), which the office should read here
                reason = job.node.api.start_error(job.spider, job.job)
                detail = f"{reason}（{detail}）" if reason else detail
            scan, status, message = end_crawl(config, store, job.scan_id, job.target, job.kind, None,
                                              timed_out=job.timed_out, stopped=job.stopped,
                                              detail=detail, lost=ended[job.job])
        except SQLAlchemyError as exc:
            if not store_down_since:
                store_down_since.append(time.monotonic())
                log.warning("数据库暂时无法访问，%s 的扫描稍后再关闭：%s", job.target, exc)
            elif time.monotonic() - store_down_since[0] > node_timeout:
                raise
            return False
        store_down_since.clear()
        del running[job.job], ended[job.job]
        job.node.jobs.discard(job.job)
        result = CrawlResult(job.target, job.kind, scan, status, message, job.node.api.url, log_url)
        results.append(result)
        if on_result:
            on_result(result)
        return True

    def finish(job: _Job, lost: str | None = None) -> None:
        ended[job.job] = lost
        close(job)

    def give_up(target: str, kind: str, scan_id: int | None, why: str) -> None:
        if scan_id is None:
            scan_id = begin_crawl(store, target, kind, as_of)
        scan = store.finish_scan(scan_id, "failed", why)
        result = CrawlResult(target, kind, scan, "failed", why, None, None)
        results.append(result)
        if on_result:
            on_result(result)

    try:
        while queue or running:
            now = time.monotonic()
            stopping = stop is not None and stop.is_set()
            if stopping or (drain is not None and drain.is_set()):
                queue = [q for q in queue if q[2] is not None]  # nothing new starts (a scan already opened is handed out)
                if stopping:
                    for target, kind, scan_id in queue:
                        store.finish_scan(scan_id, "partial", STOPPED_MESSAGE)
                    queue.clear()  # and what runs is cancelled below
            # ---- hand out work: the node with the most free slots first
            while queue:
                free = [n for n in pool if n.free > 0]
                if not free:
                    break
                node = max(free, key=lambda n: n.free)
                target, kind, scan_id = queue[0]
                if scan_id is None:
                    try:
                        scan_id = begin_crawl(store, target, kind, as_of)
                    except SQLAlchemyError as exc:  # the database is away: hand out again at the next poll
                        log.warning("数据库暂时无法访问，稍后再分派 %s：%s", target, exc)
                        break
                    queue[0] = (target, kind, scan_id)
                job = f"{target}-{scan_id}"
                spider = "accounts" if kind == "accounts" else "site"
                if job in node.known or node.api.has_log(spider, job):
                    # a job of that name ran there before (a database started afresh numbers its
                    # scans from 1 again): never taken for it, and its log never appended to
                    job = f"{job}-{secrets.token_hex(3)}"
                args = {"config": node_config, "scan_id": str(scan_id), "as_of": as_of.isoformat(),
                        "config_sha256": digest, "node": node.api.url}
                if kind == "site":
                    args["site"] = target
                if full and kind == "site":
                    args["full"] = "1"
                uncertain = False
                try:
                    node.api.schedule(spider, job, args)
                except ScrapydError as exc:
                    node.silent_since, node.last_error = now, str(exc)
                    if not exc.maybe_done:
                        log.warning("%s；%s 改派其他节点", exc, target)
                        continue
                    # the node may have the job: it stays that node's until the node says otherwise
                    log.warning("%s；%s 可能已在该节点排队，等待该节点回应", exc, target)
                    uncertain = True
                queue.pop(0)
                node.jobs.add(job)
                running[job] = _Job(target, kind, scan_id, node, job, now, uncertain=uncertain)
                if not uncertain:
                    log.info("%s 已分派到 %s（任务 %s）", target, node.api.url, job)
            if queue and all(n.given_up for n in pool):
                for target, kind, scan_id in queue:
                    give_up(target, kind, scan_id, "没有可用的 Scrapyd 节点（均无响应），本次未扫描：" +
                            "；".join(n.last_error or n.api.url for n in pool))
                queue.clear()
            # ---- close what ended while the database was away
            for job_id in list(ended):
                close(running[job_id])
            # ---- ask the nodes how their jobs are, and the nodes without jobs whether they are back
            for node in pool:
                if node.given_up or (not node.jobs and node.silent_since is None):
                    continue
                try:
                    states = node.api.jobs()
                except ScrapydError as exc:
                    node.last_error = str(exc)
                    if node.silent_since is None:
                        node.silent_since = now
                        log.warning("%s", exc)
                    if now - node.silent_since >= node_timeout:
                        node.given_up = True
                        silent = _duration(now - node.silent_since)
                        log.error("Scrapyd 节点 %s 已 %s无响应，放弃其上的 %d 个抓取任务", node.api.url, silent,
                                  len(node.jobs))
                        for job_id in sorted(node.jobs - set(ended)):
                            finish(running[job_id], f"Scrapyd 节点失去联系（已 {silent}无响应），本次抓取未完成")
                    continue
                if node.silent_since is not None:
                    log.info("Scrapyd 节点 %s 恢复响应", node.api.url)
                node.silent_since = None
                node.known = set(states)
                for job_id in sorted(node.jobs - set(ended)):
                    job = running[job_id]
                    state = states.get(job_id)
                    if state == "finished" or (state is None and job.cancelled_at is not None):
                        finish(job)  # (a cancelled job that was still pending leaves no trace on the node)
                        continue
                    if state is None:
                        job.missing += 1
                        if job.uncertain and job.missing >= MISSING_POLLS and _never_started(store, job.scan_id):
                            # the node never got it: hand the same scan to a node again
                            del running[job_id]
                            node.jobs.discard(job_id)
                            queue.insert(0, (job.target, job.kind, job.scan_id))
                        elif job.missing >= MISSING_POLLS:  # the node forgot it (restarted?): the scan row tells
                            finish(job, "任务已不在节点的任务列表中（节点可能重启过）")
                        continue
                    job.missing, job.uncertain = 0, False
                    overdue = now - job.started > timeout
                    if (stopping or overdue) and job.cancelled_at is None:
                        job.stopped, job.timed_out = stopping, overdue and not stopping
                        job.cancelled_at = now
                        _cancel(node, job, "TERM")
                    elif job.cancelled_at is not None and not job.killed and now - job.cancelled_at > STOP_GRACE:
                        job.killed = True
                        _cancel(node, job, "KILL")
            if on_progress:
                for job in list(running.values()):
                    try:
                        scan = store.get_scan(job.scan_id)
                    except SQLAlchemyError:  # the database is away for a moment: the display waits
                        continue
                    on_progress(job.target, scan.pages if scan else 0, job.node.api.url)
            if queue or running:
                wait(runner.poll_seconds)
    except BaseException:  # Ctrl+C or SIGTERM on `govmon scan`, a store away for too long: no crawl is
        # left running unaccounted for, no scan left open
        for job in list(running.values()):
            try:
                if job.job in ended and close(job):
                    continue
                _cancel(job.node, job, "TERM")
                store.finish_scan(job.scan_id, "partial", STOPPED_MESSAGE)
            except Exception:  # the store is what failed: the next scan of the site closes it
                log.warning("未能关闭扫描 %s（%s）", job.scan_id, job.target)
        for target, kind, scan_id in queue:
            if scan_id is not None:
                try:
                    store.finish_scan(scan_id, "partial", STOPPED_MESSAGE)
                except Exception:
                    log.warning("未能关闭扫描 %s（%s）", scan_id, target)
        raise
    return results


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} 分钟" if seconds >= 90 else f"{seconds:.0f} 秒"


def _never_summarised(store: Store, scan_id: int) -> bool:
    scan = store.get_scan(scan_id)
    return scan is not None and scan.stats is None


def _never_started(store: Store, scan_id: int) -> bool:
    scan = store.get_scan(scan_id)
    return scan is not None and scan.stats is None and not scan.pages


def _cancel(node: _Node, job: _Job, signal: str) -> None:
    try:
        node.api.cancel(job.job, signal)
        log.warning("已要求节点 %s 停止抓取 %s（%s）", node.api.url, job.target, signal)
    except ScrapydError as exc:  # asked again at the next poll if it is still running
        job.cancelled_at = None if signal == "TERM" else job.cancelled_at
        log.warning("%s", exc)


@contextmanager
def interrupted_by_signals() -> Iterator[None]:
    """In `govmon scan` (main thread): SIGTERM and SIGHUP (a closed SSH session) end the run
    like Ctrl+C, so that the crawls on the nodes are cancelled and their scans closed."""
    import signal

    def interrupt(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def targets_for(sites: list[Any], accounts: bool) -> list[tuple[str, str]]:
    return [(s.id, "site") for s in sites] + ([(ACCOUNTS_TARGET, "accounts")] if accounts else [])


def scan_results(config: Config, store: Store, results: list[CrawlResult]) -> list[Any]:
    """The ended crawls as the local runner reports them (SiteScanResult, AccountsScanResult)."""
    from .scanning import AccountsScanResult, SiteScanResult

    out: list[Any] = []
    for r in results:
        findings = len(store.findings(scan_ids=[r.scan.id]))
        where = r.log_url or ""
        if r.kind == "accounts":
            out.append(AccountsScanResult(r.scan.id, r.status, r.message, len(config.accounts), findings, where))
        else:
            out.append(SiteScanResult(config.site(r.target), r.scan.id, r.status, r.message, r.scan.pages, findings,
                                      where))
    return out
