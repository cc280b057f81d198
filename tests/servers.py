"""A test HTTP server on 127.0.0.1 whose routes are Python: path → reply or handler.

    with serve({"/": page("首页", links=["/a.html"]), "/a.html": page("A", "正文")}) as site:
        site.base            # "http://127.0.0.1:PORT"
        site.routes["/a.html"] = page("A", "改过的正文")   # change the site between crawls
        site.hits            # every GET request path (with query) in order
        site.heads           # every HEAD request path (link checks)

A route is a `Reply`, or a callable taking a `Req` and returning one. Unknown paths get 404.
Every builder below returns a route; pages link with root-relative URLs. The server runs in a
daemon thread (one thread per request) and stops promptly: slow handlers sleep on an event
that stopping sets. Faults: a body generated as it is sent (`huge_page`), a connection reset
mid-body (`reset_mid_body`) or before any answer (`reset_at_once`); `site.sent[path]` counts
the body bytes written.
"""

from __future__ import annotations

import socket
import struct
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable, Iterator, Union
from urllib.parse import parse_qs, urlsplit

#: longest a slow handler ever sleeps (seconds)
MAX_SLEEP = 3.0


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    #: the body as chunks, generated while it is sent and never held whole (`body` is ignored);
    #: `length` is then the Content-Length sent (None: none)
    stream: Callable[[], Iterable[bytes]] | None = None
    length: int | None = None
    #: reset the connection (TCP RST) after this many bytes of the body; the headers, with the
    #: whole body's Content-Length, are sent first
    reset_after: int | None = None
    #: reset the connection as soon as the request is read, before any answer
    reset_at_once: bool = False


@dataclass
class Req:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    stop: threading.Event  # set when the server stops; sleep with stop.wait(seconds)
    method: str = "GET"

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, [default])[0]


Route = Union[Reply, Callable[[Req], Reply]]


class TestServer:
    """One running server. `routes` may be changed while it runs."""

    __test__ = False  # not a pytest test class

    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Route] = dict(routes)
        self.hits: list[str] = []  # GET requests
        self.heads: list[str] = []  # HEAD requests
        self.sent: dict[str, int] = {}  # path → body bytes written (all requests)
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.app = self  # type: ignore[attr-defined]
        self.host = host
        self.port = self._httpd.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"test-http-{self.port}", daemon=True)
        self._running = False

    def start(self) -> "TestServer":
        self._thread.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Stop serving and close the port (idempotent). Sleeping handlers wake at once."""
        if not self._running:
            return
        self._running = False
        self.stop_event.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str) -> str:
        return self.base + path

    def hit_paths(self) -> list[str]:
        """Requested paths without their query string."""
        with self._lock:
            return [urlsplit(h).path for h in self.hits]

    def count(self, target: str) -> int:
        """How often `target` (a path, or a path with its query) was requested."""
        with self._lock:
            hits = list(self.hits)
        return sum(1 for h in hits if h == target or ("?" not in target and urlsplit(h).path == target))

    def _record(self, target: str, method: str = "GET") -> None:
        with self._lock:
            (self.heads if method == "HEAD" else self.hits).append(target)

    def _count_sent(self, path: str, size: int) -> None:
        with self._lock:
            self.sent[path] = self.sent.get(path, 0) + size

    def __enter__(self) -> "TestServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up (timeout tests) is not an error worth printing


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "govmon-test"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(send_body=True)

    def _serve(self, send_body: bool) -> None:
        app: TestServer = self.server.app  # type: ignore[attr-defined]
        app._record(self.path, self.command)
        parts = urlsplit(self.path)
        route = app.routes.get(parts.path)
        if route is None:
            reply = not_found()
        elif isinstance(route, Reply):
            reply = route
        else:
            req = Req(parts.path, parse_qs(parts.query, keep_blank_values=True),
                      {k.lower(): v for k, v in self.headers.items()}, app.stop_event, self.command)
            reply = route(req)
        if app.stop_event.is_set():
            return
        if reply.reset_at_once:
            self._reset()
            return
        try:
            self.send_response(reply.status)
            headers = {"Content-Type": "text/html", **reply.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            if reply.stream is not None:
                if reply.length is not None:
                    self.send_header("Content-Length", str(reply.length))
            elif reply.content_length:
                self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if not send_body:
                return
            if reply.stream is not None:
                for chunk in reply.stream():
                    if app.stop_event.is_set():
                        return
                    self.wfile.write(chunk)
                    app._count_sent(parts.path, len(chunk))
            elif reply.reset_after is not None:
                self.wfile.write(reply.body[:reply.reset_after])
                app._count_sent(parts.path, len(reply.body[:reply.reset_after]))
                self._reset()
            else:
                self.wfile.write(reply.body)
                app._count_sent(parts.path, len(reply.body))
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _reset(self) -> None:
        """Drop the connection with a TCP RST (SO_LINGER 0), as a crashing server or a
        firewall does — not the orderly close that ends a body without Content-Length."""
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


@contextmanager
def serve(routes: dict[str, Route], host: str = "127.0.0.1", port: int = 0) -> Iterator[TestServer]:
    """Run a TestServer for the duration of the block (port 0: a free port)."""
    server = TestServer(routes, host, port)
    with server:
        yield server


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on `host` that nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------ page builders

def html_doc(title: str, body: str = "", links: Iterable[str | tuple[str, str]] = (),
             charset_meta: str | None = "utf-8", head_extra: str = "") -> str:
    """A small government-looking page: title, nav of links, and a content div with `body`.

    `links` are hrefs (root-relative) or (href, text) pairs. `body` is inserted as HTML.
    """
    items = []
    for i, link in enumerate(links):
        href, text = link if isinstance(link, tuple) else (link, f"链接{i + 1}")
        items.append(f'<li><a href="{escape(href)}">{escape(text)}</a></li>')
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    return (
        "<!DOCTYPE html>\n<html><head>"
        f"{meta}<title>{escape(title)}</title>{head_extra}</head>\n<body>\n"
        f'<div class="header">测试县人民政府</div>\n'
        f'<ul class="nav">{"".join(items)}</ul>\n'
        f'<div class="content"><h1>{escape(title)}</h1>\n{body}\n</div>\n'
        "</body></html>\n"
    )


def paragraphs(*texts: str) -> str:
    return "\n".join(f"<p>{escape(t)}</p>" for t in texts)


def page(title: str, text: str | Iterable[str] = "", links: Iterable[str | tuple[str, str]] = (),
         status: int = 200) -> Reply:
    """A UTF-8 page declared as such (header and meta)."""
    body = paragraphs(text) if isinstance(text, str) else paragraphs(*text)
    doc = html_doc(title, body, links)
    return Reply(status, doc.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


def gbk_page(title: str, text: str | Iterable[str] = "", links: Iterable[str | tuple[str, str]] = (),
             declare: str | None = None) -> Reply:
    """A page encoded in GBK. declare: None (no charset anywhere), "header" or "meta"."""
    body = paragraphs(text) if isinstance(text, str) else paragraphs(*text)
    doc = html_doc(title, body, links, charset_meta="gbk" if declare == "meta" else None)
    content_type = "text/html; charset=gbk" if declare == "header" else "text/html"
    return Reply(200, doc.encode("gbk"), {"Content-Type": content_type})


def raw(body: bytes, content_type: str | None = "text/html", status: int = 200,
        content_length: bool = True) -> Reply:
    headers = {"Content-Type": content_type} if content_type else {}
    return Reply(status, body, headers, content_length)


def not_found() -> Reply:
    return Reply(404, html_doc("404 页面不存在", "<p>您访问的页面不存在。</p>").encode("utf-8"),
                 {"Content-Type": "text/html; charset=utf-8"})


def server_error() -> Reply:
    return Reply(500, html_doc("500 服务器错误", "<p>服务器内部错误。</p>").encode("utf-8"),
                 {"Content-Type": "text/html; charset=utf-8"})


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, b"", {"Location": location, "Content-Type": "text/html"})


def pdf() -> Reply:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return Reply(200, body, {"Content-Type": "application/pdf"})


def png() -> Reply:
    body = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
            b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
            b"\x00\x00IEND\xaeB`\x82")
    return Reply(200, body, {"Content-Type": "image/png"})


def binary_junk(size: int = 4096, seed: int = 7) -> Reply:
    """Deterministic random bytes (with NULs and invalid UTF-8) served as text/html."""
    import random

    rng = random.Random(seed)
    return raw(bytes(rng.randrange(256) for _ in range(size)), "text/html")


def malformed(text: str = "", links: Iterable[str] = ()) -> Reply:
    """Unclosed tags, stray closing tags, a NUL byte, an unterminated comment-ish and attribute."""
    anchors = "".join(f'<a href="{escape(h)}">链接<b>' for h in links)  # <a> and <b> never closed
    doc = (
        "<html><head><meta charset=utf-8><title>残缺的页面</title>"
        "<body><div class=content><p>段落一没有闭合"
        "</div></div></span></td></tr></table>"
        f"<p>{escape(text)}\x00<table><tr><td>单元格<td>单元格二"
        f"<ul><li>{anchors}<li><img src='/img.png' alt=\"未闭合"
        "</p></p></p><div <div>>& &amp &#xZZ; </html></html>"
    )
    return raw(doc.encode("utf-8"), "text/html; charset=utf-8")


def big_page(size: int, content_length: bool = True) -> Reply:
    """An HTML page of about `size` bytes (for DOWNLOAD_MAXSIZE tests)."""
    filler = "<p>" + "大" * 100 + "</p>\n"
    chunk = filler.encode("utf-8")
    body = html_doc("超大页面", "").encode("utf-8")
    body = body.replace(b"</body>", chunk * (size // len(chunk) + 1) + b"</body>")
    return raw(body, "text/html; charset=utf-8", content_length=content_length)


def huge_page(size: int, content_length: bool = True, chunk: int = 64 * 1024) -> Reply:
    """An HTML page of exactly `size` bytes, generated chunk by chunk while it is sent (never
    held in memory, by the server or by this test): a crawler that reads it all gets `size`
    bytes; with `content_length` the size is declared up front."""
    head = html_doc("超大页面", "").split("</body>")[0].encode("utf-8")
    filler = ("<p>" + "大" * 100 + "</p>\n").encode("utf-8")
    block = filler * max(1, chunk // len(filler))

    def chunks() -> Iterator[bytes]:
        left = size - len(head)
        yield head
        while left > 0:
            piece = block[:left]
            left -= len(piece)
            yield piece

    return Reply(200, b"", {"Content-Type": "text/html; charset=utf-8"}, stream=chunks,
                 length=size if content_length else None)


def reset_mid_body(reply: Reply, after: int = 512) -> Reply:
    """`reply` with its headers (and the whole body's Content-Length), the first `after`
    bytes of its body, then a connection reset."""
    return replace(reply, reset_after=after, content_length=True)


def reset_at_once() -> Reply:
    """A connection reset as soon as the request is read: no status line, nothing."""
    return Reply(reset_at_once=True)


def slow(seconds: float, reply: Reply | None = None) -> Callable[[Req], Reply]:
    """A handler that waits `seconds` (at most MAX_SLEEP, cut short when the server stops)."""
    seconds = min(seconds, MAX_SLEEP)

    def handler(req: Req) -> Reply:
        req.stop.wait(seconds)
        return reply or page("很慢的页面", "终于加载完成")

    return handler


def calendar(path: str = "/calendar", param: str = "month") -> Callable[[Req], Reply]:
    """An endless calendar: ?month=YYYY-MM links to the previous and the next month, forever."""

    def handler(req: Req) -> Reply:
        value = req.arg(param) or "2026-11"
        try:
            year, month = (int(x) for x in value.split("-", 1))
        except ValueError:
            return not_found()
        prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
        next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
        links = [(f"{path}?{param}={prev_y:04d}-{prev_m:02d}", "上个月"),
                 (f"{path}?{param}={next_y:04d}-{next_m:02d}", "下个月")]
        return page(f"活动日历 {year}年{month}月", f"{year}年{month}月暂无活动安排。", links)

    return handler


def paging(path: str = "/list", param: str = "page") -> Callable[[Req], Reply]:
    """Endless paging: ?page=N links to page N+1 forever (and back to page 1)."""

    def handler(req: Req) -> Reply:
        try:
            n = int(req.arg(param) or "1")
        except ValueError:
            return not_found()
        links = [(f"{path}?{param}={n + 1}", "下一页"), (f"{path}?{param}=1", "首页")]
        return page(f"信息列表 第{n}页", f"第{n}页内容。", links)

    return handler


def link_variants(path: str) -> list[str]:
    """Root-relative links that all mean `path`: fragments, session ids, tracking parameters."""
    sep = "&" if "?" in path else "?"
    return [
        path,
        f"{path}#top",
        f"{path}{sep}utm_source=weixin",
        f"{path}{sep}utm_source=x&utm_medium=share#content",
        f"{path.split('?')[0]};jsessionid=0A1B2C3D4E5F" + (f"?{path.split('?', 1)[1]}" if "?" in path else ""),
        f"{path}{sep}spm=a2c4g.11186623&from=timeline",
        f"{path}{sep}PHPSESSID=9f8e7d6c5b4a",
    ]


def validated(reply: Reply, etag: bool = True, last_modified: bool = True) -> Callable[[Req], Reply]:
    """Serve `reply` with validators (an ETag from its body, a fixed Last-Modified) and answer
    conditional requests with 304 Not Modified when they match, as web servers do."""
    import hashlib

    tag = '"' + hashlib.sha1(reply.body).hexdigest()[:16] + '"'
    stamp = "Mon, 02 Nov 2026 08:00:00 GMT"
    headers = dict(reply.headers)
    if etag:
        headers["ETag"] = tag
    if last_modified:
        headers["Last-Modified"] = stamp

    def route(req: Req) -> Reply:
        unchanged = (etag and req.headers.get("if-none-match") == tag) or \
            (not etag and last_modified and req.headers.get("if-modified-since") == stamp)
        if unchanged:
            return Reply(304, b"", {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")})
        return Reply(reply.status, reply.body, headers, reply.content_length)

    return route


def dated_entries_page(title: str, entries: Iterable[tuple[str, str, str]]) -> Reply:
    """A column's list page: (href, text, YYYY-MM-DD) entries in the main content."""
    items = "".join(f'<li><a href="{escape(href)}">{escape(text)}</a><span>{day}</span></li>'
                    for href, text, day in entries)
    doc = html_doc(title, f"<ul>{items}</ul>", [("/", "首页")])
    return Reply(200, doc.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})
