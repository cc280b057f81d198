"""`govmon demo`: serve the bundled demo portal on 127.0.0.1, scan it, write the reports.

The portal (monitor/demo/site/, described in monitor/demo/PLANTED.md) is a fictional
county government site with planted problems beside tricky correct text.
"""

from __future__ import annotations

import functools
import shutil
import sys
import threading
from contextlib import contextmanager
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Iterator

#: "today" for the demo's date rules, so its results do not drift with the calendar
DEMO_AS_OF = date(2026, 11, 20)
MARKER = ".govmon-demo"

DEMO_CONFIG = """\
# govmon demo configuration (written by `govmon demo`; the port changes every run)
timezone: Asia/Shanghai
database: sqlite:///demo.db
reports_dir: reports
log_dir: logs
departments:
  - {{id: office, name: 县政府办公室, email: [office@shili.gov.cn.invalid]}}
  - {{id: mz, name: 县民政局, email: [mz@shili.gov.cn.invalid]}}
  - {{id: czj, name: 县财政局, email: [czj@shili.gov.cn.invalid]}}
  - {{id: towns, name: 各乡镇人民政府, email: [towns@shili.gov.cn.invalid]}}
sites:
  - id: shili
    name: 示例县人民政府
    url: {base}/
    department: office
    max_pages: 500
    paths:
      /mzj/: mz
      /czxx/: czj
      /xzdt/: towns
    columns:
      - {{name: 要闻动态, url: "{base}/ywdt/index.html", kind: news}}
      - {{name: 通知公告, url: "{base}/tzgg/index.html", kind: notice}}
      - {{name: 政策文件, url: "{base}/zcwj/index.html", kind: policy}}
      - {{name: 人事信息, url: "{base}/rsxx/index.html", kind: personnel}}
      - {{name: 规划计划, url: "{base}/ghjh/index.html", kind: plan}}
      - {{name: 财政信息, url: "{base}/czxx/index.html", kind: other}}
      - {{name: 乡镇动态, url: "{base}/xzdt/index.html", kind: news}}
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files, `Content-Type: text/html` with no charset (as many county servers do)."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serve_directory(directory: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `directory` over HTTP on a free port of 127.0.0.1; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="govmon-demo-http", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def demo_site_dir() -> Path:
    return Path(str(resources.files("monitor") / "demo" / "site"))


def prepare_dir(out_dir: Path) -> None:
    """Empty a previous demo folder; refuse to touch a folder that is not one."""
    if out_dir.exists() and not out_dir.is_dir():
        raise SystemExit(f"错误：{out_dir} 已存在且不是目录，请换一个目录（--dir）")
    if out_dir.exists():
        if not (out_dir / MARKER).exists() and any(out_dir.iterdir()):
            raise SystemExit(f"错误：{out_dir} 已存在且不是 govmon 演示目录，请换一个目录（--dir）")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    (out_dir / MARKER).write_text("govmon demo working folder; emptied on every `govmon demo`\n", encoding="utf-8")


def run_demo(out_dir: Path, keep_serving: bool = False) -> int:
    from .config import load_config
    from .progress import scan_with_progress
    from .report import build_report
    from .scanning import DEFAULT_CRAWL_TIMEOUT
    from .store import Store

    out_dir = out_dir.resolve()
    try:
        prepare_dir(out_dir)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    with serve_directory(demo_site_dir()) as base:
        config_path = out_dir / "monitor.yaml"
        config_path.write_text(DEMO_CONFIG.format(base=base), encoding="utf-8")
        config = load_config(config_path)
        print(f"演示网站：{base}/（示例县人民政府）", file=sys.stderr)
        store = Store(config.database_url)
        try:
            results = scan_with_progress(config, store, list(config.sites), DEMO_AS_OF, DEFAULT_CRAWL_TIMEOUT)
            report = build_report(config, store, generated=DEMO_AS_OF)
        finally:
            store.close()
        print(f"整改清单已生成（{report.findings} 个问题），请用浏览器打开：", file=sys.stderr)
        print(report.index)
        if keep_serving:
            print(f"演示网站仍在 {base}/ 提供服务，按 Ctrl+C 退出。", file=sys.stderr)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
    return 0 if all(r.status == "complete" for r in results) else 1
