"""Benchmark: a full govmon scan of a synthetic portal against a bare Scrapy crawl of it.

    python bench/crawl.py [--pages 20000] [--only bare|full] [--scans 1|2] [--keep] [--source DIR] [--profile]

Generates the synthetic county portal of bench/portal.py (--pages HTML pages, 20 % GBK,
attachments, planted problems), serves it on 127.0.0.1 from a separate process (its
throughput alone is measured first, with a keep-alive client), then measures in the same run:

  * bare crawl:       bench/bare_crawl.py — Scrapy with govmon's settings, same-host links by
                      lxml, no checks, no store (the baseline);
  * govmon scan, 1st: `govmon scan --config … --as-of <portal today> --no-report` on a fresh
                      SQLite store: crawl, extraction, checks, attachments, link checks, the
                      site audit, storage, the finding lifecycle;
  * govmon scan, 2nd: the same command again on the unchanged portal (same bytes, same ETags),
                      and whether it sighted exactly the findings of the 1st (fingerprints);
  * bare crawl again:  the machine's speed drifts (a shared VM): the baseline before and after.

Each is a subprocess: wall seconds, pages/s, CPU seconds and peak RSS (the largest process
of its tree: `wait4` rusage, i.e. the crawl process for a scan). Pages: the responses the
bare crawl received; the pages the scan recorded in the store (the same URLs: HTML pages,
attachments, missing PDFs). The server's CPU use during each run is printed to show it is
not the bottleneck. Prints figures; asserts nothing (docs/performance.md records them).

--source DIR runs govmon from another checkout (e.g. `git archive HEAD | tar -x -C DIR`):
put first on PYTHONPATH for every subprocess and for reading the store here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy"}


def _early_source() -> str | None:
    """--source must be on sys.path before monitor is imported."""
    for i, arg in enumerate(sys.argv):
        if arg == "--source" and i + 1 < len(sys.argv):
            return str(Path(sys.argv[i + 1]).resolve())
        if arg.startswith("--source="):
            return str(Path(arg.split("=", 1)[1]).resolve())
    return None


SOURCE = _early_source()
if SOURCE:
    sys.path.insert(0, SOURCE)
sys.path.insert(1 if SOURCE else 0, str(ROOT))

from bench.portal import DEFAULT_SEED, PORTAL_TODAY, free_port, measure_server, start_server  # noqa: E402


@dataclass
class Run:
    name: str
    seconds: float
    returncode: int
    cpu: float  # user + system seconds of the process tree
    peak_rss_mb: float  # the largest process of the tree
    server_cpu: float  # seconds the portal server spent meanwhile
    served: dict[str, Any] = field(default_factory=dict)  # the server's counters for this run
    pages: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def measured(name: str, command: list[str], env: dict[str, str], cwd: Path, log: Path, server: Any) -> Run:
    """Run a command to its end; wall time, CPU and peak RSS of its process tree."""
    cpu_before, stats_before = server.cpu_seconds(), server.stats()
    started = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        # wait4: the rusage of this child and the descendants it waited for (ru_maxrss: the largest)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    cpu_after, stats_after = server.cpu_seconds(), server.stats()
    served = {"requests": stats_after["requests"] - stats_before["requests"],
              "head": stats_after["head"] - stats_before["head"],
              "mb": (stats_after["body_bytes"] - stats_before["body_bytes"]) / 1e6,
              "not_modified": stats_after["by_status"].get(304, 0) - stats_before["by_status"].get(304, 0)}
    return Run(name, seconds, process.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
               cpu_after - cpu_before, served)


def govmon_command() -> list[str]:
    script = Path(sys.executable).parent / "govmon"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from monitor.cli import main; sys.argv[0] = 'govmon'; main()"]


def write_config(path: Path, url: str, max_pages: int, max_depth: int, database: str = "govmon.db") -> None:
    path.write_text(f"""# govmon bench/crawl.py: the synthetic portal
timezone: Asia/Shanghai
database: sqlite:///{database}
reports_dir: reports
log_dir: logs
departments:
  - {{id: office, name: 示例县人民政府办公室}}
  - {{id: jyj, name: 示例县教育局}}
  - {{id: wjj, name: 示例县卫生健康局}}
  - {{id: mzj, name: 示例县民政局}}
  - {{id: nyncj, name: 示例县农业农村局}}
sites:
  - id: bench
    name: 示例县人民政府
    url: {url}
    department: office
    code: "5299990001"
    max_pages: {max_pages}
    max_depth: {max_depth}
    paths: {{/jyj/: jyj, /wjj/: wjj, /mzj/: mzj, /nyncj/: nyncj}}
links:
  allow_hosts: [127.0.0.1]
""", encoding="utf-8")


def find_pyspy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


_FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def profile_summary(raw: Path, top: int = 18) -> list[str]:
    """Where the crawl process spent its time, from py-spy's collapsed stacks: the share of
    samples in which a function is on the stack (inclusive) and at the top (self)."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        processes = [f for f in frames if f.startswith("process ")]
        if not count.isdigit() or not any("scrapy crawl" in f for f in processes):
            continue  # the crawl process only (not `govmon scan` waiting for it)
        n = int(count)
        total += n
        names = []
        for frame in frames[len(processes):]:
            match = _FRAME.match(frame.strip())
            if match is None:
                name = frame.strip()
            else:
                parts = Path(match["file"]).parts
                ours = next((i for i in range(len(parts) - 1, -1, -1) if parts[i] in ("monitor", "spiders")), None)
                name = f"{match['name']} ({'/'.join(parts[ours:] if ours is not None else parts[-2:])})"
            names.append(name)
        for name in set(names):
            inclusive[name] = inclusive.get(name, 0) + n
        if names:
            own[names[-1]] = own.get(names[-1], 0) + n
    if not total:
        return ["(no samples of the crawl process)"]
    ours = [(k, v) for k, v in inclusive.items() if "(monitor/" in k or "(spiders/" in k]
    lines = [f"crawl process: {total:,} samples; inclusive share of govmon's functions:"]
    lines += [f"  {v / total:6.1%}  {k}" for k, v in sorted(ours, key=lambda kv: -kv[1])[:top]]
    lines.append("self time (top of the stack), all code:")
    lines += [f"  {v / total:6.1%}  {k}" for k, v in sorted(own.items(), key=lambda kv: -kv[1])[:top]]
    return lines


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import scrapy
    import twisted

    return (f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}, Scrapy {scrapy.__version__}, "
            f"Twisted {twisted.__version__}")


def source_commit() -> str:
    where = Path(SOURCE) if SOURCE else ROOT
    try:
        out = subprocess.run(["git", "-C", str(where), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        commit = out.stdout.strip()
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        if commit:
            return commit + (" + uncommitted changes" if dirty else "")
    except OSError:
        pass
    return f"export in {where}" if SOURCE else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=20_000, help="HTML pages of the portal (default 20000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--only", choices=("bare", "full"), help="run only the bare crawl or only the govmon scans")
    parser.add_argument("--scans", type=int, choices=(1, 2), default=2,
                        help="govmon scans to run (1: only the first, e.g. for the memory figure at 100,000 pages)")
    parser.add_argument("--keep", action="store_true", help="leave the temporary folder (config, store, logs)")
    parser.add_argument("--source", help="run govmon from this checkout instead of the installed one")
    parser.add_argument("--profile", action="store_true",
                        help="after the timed runs, one more scan under py-spy (pip install py-spy): a 2nd scan "
                             "again (the timed scans' store) with --scans 2, else a 1st scan (a fresh store); "
                             "prints where the crawl process spends its time")
    parser.add_argument("--max-depth", type=int, default=1000,
                        help="clicks from the home page, both crawls (default 1000: list pages chain by 下一页)")
    args = parser.parse_args()

    from monitor.config import Links
    from monitor.store import Store

    work = Path(tempfile.mkdtemp(prefix="govmon-bench-crawl-"))
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARS}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    env["PYTHONIOENCODING"] = "utf-8"
    env["XDG_CACHE_HOME"] = str(work / "cache")  # the lexicon automaton cache, warmed below
    if SOURCE:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (SOURCE, env.get("PYTHONPATH")) if p)
    as_of = PORTAL_TODAY
    max_pages = args.pages * 2 + 1000
    per_host = Links().per_host

    print(f"machine: {machine()}")
    print(f"govmon: {source_commit()} ({SOURCE or ROOT}); work folder: {work}")
    started = time.perf_counter()
    server = start_server(args.pages, args.seed, dead_port=free_port(), today=as_of)
    portal = server.summary
    try:
        print(f"portal: {portal['html_pages']:,} HTML pages ({portal['articles']:,} articles, {portal['list_pages']:,} "
              f"list pages, {portal['columns']} columns), {portal['gbk_pages'] / portal['html_pages']:.0%} GBK, "
              f"{portal['attachments']:,} attachments, {portal['bytes'] / 1e6:.0f} MB; planted: "
              + ", ".join(f"{k} {v}" for k, v in portal["planted"].items())
              + f"; built in {portal['build_seconds']:.1f} s, serving on {server.url} "
              f"({time.perf_counter() - started:.1f} s to listen)")
        cpu0 = server.cpu_seconds()
        load = measure_server(server.port, portal["sample_paths"], connections=8, seconds=3)
        server_cpu = server.cpu_seconds() - cpu0
        print(f"server alone: {load['requests_per_s']:,.0f} requests/s, {load['mb_per_s']:.0f} MB/s "
              f"({load['connections']} keep-alive connections, Python client; {load['errors']} errors), "
              f"the server busy {server_cpu / load['seconds']:.0%} of a core: "
              f"~{load['requests'] / max(server_cpu, 1e-9):,.0f} requests per server CPU-second")

        subprocess.run([sys.executable, "-c", "from monitor.lexicon import Matcher; "
                        "m = Matcher.from_dirs(); list(m.tokenizer.cut('预热', HMM=False))"],
                       env=env, check=True, cwd=work)  # automaton and jieba caches: warm for every run

        runs: dict[str, Run] = {}
        profile_lines: list[str] = []

        def bare(key: str, label: str) -> None:
            print(f"{label} …", flush=True)
            stats_log = work / f"{key}.log"
            run = measured(label, [
                sys.executable, str(ROOT / "bench" / "bare_crawl.py"), server.url, "--max-depth", str(args.max_depth),
                "--max-pages", str(max_pages), "--per-host", str(per_host), "--log-file", str(work / f"{key}-scrapy.log")],
                env, work, stats_log, server)
            lines = [ln for ln in stats_log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.startswith("{")]
            run.details = json.loads(lines[-1]) if lines else {}
            run.pages = run.details.get("responses", 0)
            runs[key] = run
            print(f"  {run.seconds:.1f} s, {run.pages:,} responses ({run.details.get('html', 0):,} HTML), "
                  f"exit {run.returncode}", flush=True)

        if args.only != "full":
            bare("bare", "bare Scrapy crawl")

        if args.only != "bare":
            config = work / "monitor.yaml"
            write_config(config, server.url, max_pages, args.max_depth)
            for key, label in (("full1", "govmon scan, 1st"), ("full2", "govmon scan, 2nd"))[:args.scans]:
                print(f"{label} …", flush=True)
                run = measured(label, govmon_command() + ["scan", "--config", str(config), "--as-of", as_of.isoformat(),
                                                          "--no-report", "--sites-only"],
                               env, work, work / f"{key}.log", server)
                store = Store(f"sqlite:///{work / 'govmon.db'}", migrate=False)
                try:
                    scan = store.scans(target="bench", limit=1)[0]
                    findings = store.findings(scan_ids=[scan.id], statuses=None)
                finally:
                    store.close()
                stats = scan.stats or {}
                crawl = (scan.finished_at - scan.started_at).total_seconds() if scan.finished_at else None
                run.pages = scan.pages
                rules: dict[str, int] = {}
                for f in findings:
                    rules[f.rule] = rules.get(f.rule, 0) + 1
                run.details = {"scan_id": scan.id, "status": scan.status, "message": scan.message,
                               "page_errors": scan.page_errors, "crawl_seconds": crawl,
                               "requests": stats.get("requests"), "link_checks": stats.get("link_checks"),
                               "fingerprints": {f.fingerprint for f in findings}, "rules": rules}
                runs[key] = run
                print(f"  {run.seconds:.1f} s, {run.pages:,} pages ({scan.page_errors} with errors), scan {scan.status}"
                      f"{': ' + scan.message if scan.message else ''}, {stats.get('requests')} requests, "
                      f"{stats.get('link_checks')} link checks, {len(findings)} findings "
                      f"({', '.join(f'{k} {v}' for k, v in sorted(rules.items()))}), exit {run.returncode}", flush=True)
            if args.only is None:  # the machine's speed drifts: the baseline again, after the scans
                bare("bare2", "bare Scrapy crawl, again")
        if args.profile:
            spy = find_pyspy()
            if spy is None:
                print("--profile: py-spy not found (pip install py-spy)")
            else:
                if args.scans == 2 and args.only != "bare":
                    # the store after the 2nd scan is as after the 1st: this scan is another 2nd
                    print("govmon scan under py-spy (a 2nd scan again, unchanged portal; not in the table) …",
                          flush=True)
                    config = work / "monitor.yaml"
                else:
                    print("govmon scan under py-spy (a fresh store; not in the table) …", flush=True)
                    config = work / "profile.yaml"
                    write_config(config, server.url, max_pages, args.max_depth, database="profile.db")
                raw = work / "scan.pyspy.txt"
                run = measured("profiled", [spy, "record", "--subprocesses", "--nonblocking", "--rate", "50",
                                            "--format", "raw", "--output", str(raw), "--"] + govmon_command()
                               + ["scan", "--config", str(config), "--as-of", as_of.isoformat(), "--no-report",
                                  "--sites-only"], env, work, work / "profile.log", server)
                print(f"  {run.seconds:.1f} s under py-spy; collapsed stacks: {raw}")
                profile_lines = profile_summary(raw) if raw.exists() else ["(py-spy wrote nothing: see profile.log)"]
    finally:
        server.stop()

    print()
    print(f"{'':26}{'pages':>9}{'seconds':>9}{'pages/s':>9}{'CPU s':>8}{'peak RSS MB':>13}"
          f"{'server: requests':>18}{'304':>7}{'MB':>6}{'CPU':>6}")
    for run in runs.values():
        print(f"{run.name:26}{run.pages:>9,}{run.seconds:>9.1f}{run.pages_per_s:>9.1f}{run.cpu:>8.1f}"
              f"{run.peak_rss_mb:>13.0f}{run.served['requests']:>18,}{run.served['not_modified']:>7,}"
              f"{run.served['mb']:>6.0f}{run.server_cpu / run.seconds:>6.0%}")
    bares = [r for k, r in runs.items() if k.startswith("bare")]
    first, second = runs.get("full1"), runs.get("full2")
    if bares and first:
        bare_rate = sum(r.pages_per_s for r in bares) / len(bares)
        each = " and ".join(f"{first.pages_per_s / r.pages_per_s:.0%}" for r in bares)
        print(f"govmon scan (1st) / bare crawl, pages/s: {first.pages_per_s / bare_rate:.0%} of the bare crawls' mean "
              f"({each} of each) (target >= 60 %)")
    if first and second:
        same = first.details["fingerprints"] == second.details["fingerprints"]
        print(f"2nd scan speed-up: {first.seconds / second.seconds:.2f}x (target >= 5x)")
        print(f"findings identical: {'yes' if same else 'no'} ({len(first.details['fingerprints'])} in the 1st scan, "
              f"{len(second.details['fingerprints'])} in the 2nd"
              + ("" if same else f"; only 1st: {len(first.details['fingerprints'] - second.details['fingerprints'])}, "
                 f"only 2nd: {len(second.details['fingerprints'] - first.details['fingerprints'])}") + ")")
    if first:
        crawl = first.details.get("crawl_seconds")
        print(f"1st scan: {crawl:.1f} s from start_scan to finish_scan (the rest of {first.seconds:.1f} s: "
              f"process start, config, store, the crawl process's imports)" if crawl else "")
    if profile_lines:
        print()
        print("\n".join(profile_lines))
    peak = max((r.peak_rss_mb for r in runs.values()), default=0)
    print(f"peak RSS, largest process: {peak:.0f} MB at {args.pages:,} pages (target < 1 GB at 100,000 pages)")
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
