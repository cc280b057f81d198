"""`govmon demo`: serve the bundled demo sites on 127.0.0.1, scan them, write the reports.

The portal (monitor/demo/site/) is a fictional county government site with planted
problems beside tricky correct text; the sub-site (monitor/demo/jyj/, the county education
bureau) is served on a second port. Both are described in monitor/demo/PLANTED.md.

The two sites link to each other. Their ports are known only at run time, so the HTML
files hold placeholders (__PORTAL_BASE__, __JYJ_BASE__) that the server replaces with the
base URLs as it serves them.

A third server serves monitor/demo/feeds/, the feeds of the county's registered new-media
accounts (RSS, Atom, JSON Feed, the Weibo mobile JSON, and one broken feed), as static
files with no placeholders; the demo config's `accounts:` read them. `govmon demo` runs the
accounts crawl (a subprocess, as `govmon scan` does) beside the site crawls rather than
after them, to stay quick.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import date
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import BinaryIO, Iterator, Mapping
from urllib.parse import unquote, urlsplit

#: "today" for the demo's date rules, so its results do not drift with the calendar
DEMO_AS_OF = date(2026, 11, 20)
MARKER = ".govmon-demo"

#: the demo sites: id → (folder under monitor/demo/, placeholder for its base URL in the HTML)
DEMO_SITES = {"shili": ("site", "__PORTAL_BASE__"), "jyj": ("jyj", "__JYJ_BASE__")}
#: the folder under monitor/demo/ with the new-media accounts' feeds (served as they are)
DEMO_FEEDS = "feeds"

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
  - {{id: jyj, name: 县教育局, email: [jyj@shili.gov.cn.invalid]}}
links:
  allow_hosts: [127.0.0.1]     # the demo never contacts another host
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
      - {{name: 部门动态, url: "{base}/bmdt/index.html", kind: news}}
      - {{name: 通知公告, url: "{base}/tzgg/index.html", kind: notice}}
      - {{name: 政策文件, url: "{base}/zcwj/index.html", kind: policy}}
      - {{name: 规范性文件, url: "{base}/gfxwj/index.html", kind: policy}}
      - {{name: 政策解读, url: "{base}/zcjd/index.html", kind: policy}}
      - {{name: 人事信息, url: "{base}/rsxx/index.html", kind: personnel}}
      - {{name: 规划计划, url: "{base}/ghjh/index.html", kind: plan}}
      - {{name: 财政信息, url: "{base}/czxx/index.html", kind: other}}
      - {{name: 乡镇动态, url: "{base}/xzdt/index.html", kind: news}}
      # 专题专栏 (/ztzl/) is left to column discovery
  - id: jyj
    name: 示例县教育局
    url: {jyj}/
    department: jyj
    max_pages: 200
    columns:
      - {{name: 教育动态, url: "{jyj}/jydt/index.html", kind: news}}
      - {{name: 通知公告, url: "{jyj}/tzgg/index.html", kind: notice}}
# the registry of new-media accounts (政务新媒体备案); the feeds are served from {feeds}/
accounts:
  - id: fabu-wechat
    platform: wechat
    name: 示例县发布
    department: office
    feed: {feeds}/wechat-fabu.xml
    profile: "https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=MzkyOTk5OTAwMQ=="
  - id: fabu-weibo
    platform: weibo
    name: 示例县发布
    department: office
    feed: "{feeds}/weibo-fabu.json?containerid=10760352999900001"
    profile: https://weibo.com/u/52999900001
  - id: mz-douyin
    platform: douyin
    name: 示例县民政
    department: mz
    feed: {feeds}/douyin-mz.atom
    profile: https://www.douyin.com/user/MS4wLjABAAAAshiliMinZheng01
  - id: czj-wechat
    platform: wechat
    name: 示例县财政
    department: czj
    feed: {feeds}/wechat-czj.xml
    profile: "https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=MzkyOTk5OTAwNA=="
  - id: qingshan-weibo
    platform: weibo
    name: 示例县青山镇
    department: towns
    feed: {feeds}/weibo-qingshan.xml
    profile: https://weibo.com/u/52999900003
  - id: jyj-toutiao
    platform: toutiao
    name: 示例县教育
    department: jyj
    feed: {feeds}/toutiao-jyj.json
    profile: https://www.toutiao.com/c/user/token/MS4wLjABAAAAshiliJiaoYu01/
# mail: the demo only writes the messages it would send as .eml files (govmon email --dry-run);
# `govmon email` without --dry-run would try an SMTP server on 127.0.0.1:2525
smtp:
  host: 127.0.0.1
  port: 2525
  starttls: false
  sender: 示例县政务公开办 <govmon@shili.gov.cn.invalid>
  summary_to: [zwgk@shili.gov.cn.invalid]
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files, `Content-Type: text/html` with no charset (as many county servers do).

    With `replacements`, every placeholder in a served .html file is replaced (bytes, so
    GBK pages stay GBK); the mapping is read on each request, so it may be filled in after
    the server has started (when the other server's port is known)."""

    replacements: Mapping[str, str] | None = None

    def __init__(self, *args: object, replacements: Mapping[str, str] | None = None, **kwargs: object) -> None:
        self.replacements = replacements
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # handles the request

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def send_head(self) -> BinaryIO | None:  # type: ignore[override]
        path = self._html_file()
        if path is None:
            return super().send_head()
        data = Path(path).read_bytes()
        for old, new in (self.replacements or {}).items():
            data = data.replace(old.encode("ascii"), new.encode("ascii"))
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Last-Modified", self.date_time_string(int(os.path.getmtime(path))))
        self.end_headers()
        return io.BytesIO(data)

    def _html_file(self) -> str | None:
        """The .html file this request serves when placeholders are to be replaced, else None
        (the standard handler then does what it always does: other files, redirects, 404)."""
        if not self.replacements:
            return None
        url_path = unquote(urlsplit(self.path).path)
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            if not url_path.endswith("/"):
                return None  # the standard handler redirects to the folder with a slash
            path = os.path.join(path, "index.html")
        if path.endswith(".html") and os.path.isfile(path):
            return path
        return None


@contextmanager
def serve_directory(directory: Path, host: str = "127.0.0.1",
                    replacements: Mapping[str, str] | None = None) -> Iterator[str]:
    """Serve `directory` over HTTP on a free port of 127.0.0.1; yields the base URL.

    `replacements` (placeholder → text) are applied to .html files as they are served."""
    handler = functools.partial(_QuietHandler, directory=str(directory), replacements=replacements)
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="govmon-demo-http", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def demo_site_dir(site: str = "shili") -> Path:
    """The folder of a demo site (`shili`, the portal, or `jyj`, the education bureau)."""
    return Path(str(resources.files("monitor") / "demo" / DEMO_SITES[site][0]))


def demo_feeds_dir() -> Path:
    """The folder of the demo's new-media feeds."""
    return Path(str(resources.files("monitor") / "demo" / DEMO_FEEDS))


@contextmanager
def serve_demo_sites(host: str = "127.0.0.1") -> Iterator[dict[str, str]]:
    """Serve every demo site on its own port; yields site id → base URL. The sites' links
    to each other (placeholders in the HTML) point at the real ports."""
    replacements: dict[str, str] = {}
    with ExitStack() as stack:
        bases = {site: stack.enter_context(serve_directory(demo_site_dir(site), host, replacements))
                 for site in DEMO_SITES}
        replacements.update({placeholder: bases[site] for site, (_, placeholder) in DEMO_SITES.items()})
        yield bases


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
    from .notify import deliver
    from .progress import scan_with_progress
    from .report import build_report
    from .scanning import DEFAULT_CRAWL_TIMEOUT, scan_accounts
    from .store import Store

    out_dir = out_dir.resolve()
    try:
        prepare_dir(out_dir)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    with serve_demo_sites() as bases, serve_directory(demo_feeds_dir()) as feeds:
        base, jyj = bases["shili"], bases["jyj"]
        config_path = out_dir / "monitor.yaml"
        config_path.write_text(DEMO_CONFIG.format(base=base, jyj=jyj, feeds=feeds), encoding="utf-8")
        config = load_config(config_path)
        print(f"演示网站：{base}/（示例县人民政府），{jyj}/（示例县教育局）；"
              f"政务新媒体订阅源：{feeds}/（{len(config.accounts)} 个账号）", file=sys.stderr)
        store = Store(config.database_url)
        accounts_store = Store(config.database_url)
        try:
            # the accounts crawl (its own subprocess, as in `govmon scan`) runs beside the site
            # crawls rather than after them, so the demo stays quick; SQLite (WAL) takes both
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="govmon-demo-accounts") as pool:
                accounts = pool.submit(scan_accounts, config, accounts_store, DEMO_AS_OF, DEFAULT_CRAWL_TIMEOUT)
                results = scan_with_progress(config, store, list(config.sites), DEMO_AS_OF, DEFAULT_CRAWL_TIMEOUT)
                result = accounts.result()
            results.append(result)
            labels = {"complete": "完成", "partial": "部分完成", "failed": "失败"}
            print(f"政务新媒体账号（{result.accounts} 个）：{labels.get(result.status, result.status)}，"
                  f"{result.findings} 个问题{f'（{result.message}）' if result.message else ''}", file=sys.stderr)
            report = build_report(config, store, generated=DEMO_AS_OF)
            mail = deliver(config, store, report, dry_run=True)
        finally:
            accounts_store.close()
            store.close()
        print(f"各部门整改清单（HTML、Excel、JSON）：{report.directory}{os.sep}", file=sys.stderr)
        if mail.files:
            print(f"将发送的 {len(mail.files)} 封邮件（演示，未发送）：{mail.files[0].parent}{os.sep}*.eml", file=sys.stderr)
        print(f"整改清单已生成（{report.findings} 个问题），请用浏览器打开汇总页：", file=sys.stderr)
        print(report.index)
        if keep_serving:
            print(f"演示网站仍在 {base}/ 和 {jyj}/ 提供服务（订阅源在 {feeds}/），按 Ctrl+C 退出。",
                  file=sys.stderr)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
    return 0 if all(r.status == "complete" for r in results) else 1
