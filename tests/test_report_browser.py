"""Reports in a real browser (issue 6): headless Chromium opens the summary page and a
department list built from hostile page content, and checks that everything shows as
text, nothing runs, every link is http(s) or a relative file link, the page renders
(a screenshot) and prints (a PDF).

Needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver;
.ci/run installs them) and selenium (the `test` extra). Skipped when they are absent,
unless GOVMON_REQUIRE_BROWSER=1 (CI), then the tests fail. The browser loads file://
pages only; Selenium Manager is never used and Chromium is kept off the network.
"""

from __future__ import annotations

import base64
import io
import os
import re
import struct
import zlib
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from monitor.config import validate
from monitor.finding import Finding
from monitor.report import build_report
from monitor.store import Store

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WIDTH, HEIGHT = 1280, 900
DAY = date(2026, 11, 20)

# Every kind of hostile content, tagged with the field it was put in: if one ever runs,
# window.__pwned (or the alert text) names the field.
KINDS = [
    lambda f: f'<script>window.__pwned="{f}"</script>',
    lambda f: f'<img src=x onerror="window.__pwned=\'{f}\'">',
    lambda f: f"<svg onload=window.__pwned='{f}'>",
    lambda f: f'"><script>window.__pwned="{f}"</script>',
    lambda f: f"'><img src=x onerror=window.__pwned='{f}'>",
    lambda f: f'<iframe src="javascript:parent.__pwned=\'{f}\'"></iframe>',
    lambda f: f"<a href=\"javascript:window.__pwned='{f}'\">{f}</a>",
    lambda f: f'<img src=x onerror="alert(\'{f}\')">',
    lambda f: f"<style>/*__pwned {f}*/ body {{ display: none }}</style>",
]


def hostile(field: str) -> str:
    """All the hostile kinds at once, for a text field."""
    return f"前文{''.join(kind(field) for kind in KINDS)}后文"


def hostile_url(field: str) -> str:
    return f"javascript:window.__pwned='{field}'"


#: an http URL that would break out of its href if the attribute were not escaped and quoted
HTTP_HOSTILE = ("http://127.0.0.1:8000/p.html?q=x onfocus=window.__pwned='http-url' autofocus "
                '"><script>window.__pwned="http-url"</script>&a=1')
ACCOUNT_NAME = "<svg onload=window.__pwned='acct'><script>window.__pwned='acct'</script>"  # ≤ 80 characters

#: text fields (field tag → hostile text) shown on each page as the templates stand
ON_DEPARTMENT = ["dept", "site", "text", "ctx-before", "ctx-after", "suggestion", "note", "title", "column",
                 "scan-message", "veto-text", "acct-error", "unreg-name", "unreg-title"]
ON_INDEX = ["dept", "site", "scan-message", "veto-text", "audit-column", "attachment-ext"]
#: URLs shown as text (never as a clickable link)
URLS_ON_DEPARTMENT = [hostile_url("url"), " JAVASCRIPT:window.__pwned='parent-url'", hostile_url("unreg-url"),
                      f"data:text/html,{hostile('data-url')}", HTTP_HOSTILE]
URLS_ON_INDEX = [HTTP_HOSTILE]


# ---------------------------------------------------------------------- the browser

def _missing() -> str | None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        return (f"{' and '.join(missing)} not found: the browser test needs Debian's chromium and "
                "chromium-driver (apt-get install chromium chromium-driver; .ci/run installs them)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install '.[test]')"
    return None


_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy"}


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory):
    """One headless Chromium for the module, through the system chromedriver."""
    reason = _missing()
    if reason:
        if os.environ.get("GOVMON_REQUIRE_BROWSER") == "1":
            pytest.fail(f"GOVMON_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    home = tmp_path_factory.mktemp("chromium-home")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with pytest.MonkeyPatch.context() as mp:
        # Selenium talks to chromedriver on 127.0.0.1 directly, never through a proxy, and
        # Selenium Manager (which could download drivers) stays offline; it is not even
        # called, as the driver and the browser are given by path.
        for name in list(os.environ):
            if name.lower() in _PROXY_VARS:
                mp.delenv(name)
        mp.setenv("SE_OFFLINE", "true")
        mp.setenv("SE_AVOID_STATS", "true")
        env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
                   XDG_CACHE_HOME=str(home / "cache"))
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for arg in [
            "--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={WIDTH},{HEIGHT}",
            f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-default-apps", "--disable-sync", "--disable-background-networking",
            "--disable-component-update", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
            "--disable-breakpad", "--metrics-recording-only", "--no-pings", "--disable-dev-shm-usage",
            "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
            # nothing but 127.0.0.1: every request would go to a closed local port, no name resolves
            "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
            "--lang=zh-CN", "--hide-scrollbars", "--force-device-scale-factor=1",
        ]:
            options.add_argument(arg)
        options.unhandled_prompt_behavior = "ignore"  # an alert stays open, for the test to see
        service = Service(executable_path=str(CHROMEDRIVER), env=env,
                          log_output=str(tmp_path_factory.mktemp("chromedriver") / "chromedriver.log"))
        browser = webdriver.Chrome(options=options, service=service)
        try:
            browser.set_page_load_timeout(30)
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
            yield browser
        finally:
            browser.quit()


def load(driver, path: Path) -> list[str]:
    """Open a page; the texts of any alerts it raised (dismissed)."""
    from selenium.common.exceptions import NoAlertPresentException, UnexpectedAlertPresentException

    alerts = []
    try:
        driver.get(path.as_uri())
    except UnexpectedAlertPresentException as e:
        alerts.append(e.alert_text)
    for _ in range(50):
        try:
            alert = driver.switch_to.alert
            alerts.append(alert.text)
            alert.dismiss()
        except NoAlertPresentException:
            break
    return alerts


PWNED = "return window.__pwned === undefined ? null : String(window.__pwned)"

#: what hostile markup would leave in the DOM had it been parsed as markup
DANGEROUS_NODES = """
const out = [];
for (const el of document.querySelectorAll('*')) {
  const tag = el.tagName.toLowerCase();
  if (tag === 'script') out.push('script: ' + el.outerHTML.slice(0, 200));
  if (tag === 'style' && el.textContent.includes('__pwned')) out.push('style: ' + el.outerHTML.slice(0, 200));
  for (const attr of el.attributes) {
    const name = attr.name.toLowerCase();
    if (name.startsWith('on')) out.push(name + ' on <' + tag + '>: ' + el.outerHTML.slice(0, 200));
    else if (['src', 'srcdoc', 'action', 'formaction', 'data', 'xlink:href'].includes(name)
             && attr.value.includes('__pwned')) out.push(name + ' on <' + tag + '>: ' + el.outerHTML.slice(0, 200));
  }
}
return out;
"""

LINKS = "return Array.from(document.querySelectorAll('a[href]'), a => [a.getAttribute('href'), a.protocol, a.textContent])"


# ---------------------------------------------------------------------- the reports

def finding(**kw) -> Finding:
    base = dict(rule="typos", category="typo", severity="minor", text="再接再励", suggestion="再接再厉",
                context="希望大家再接再励，取得新成绩", context_start=4, context_end=8, start=10, end=14,
                url="http://127.0.0.1:8000/ywdt/a.html", site="portal", department="office",
                page_title="要闻", published=DAY, column="要闻动态")
    base.update(kw)
    return Finding(**base)


def build_hostile_reports(tmp_path: Path) -> dict[str, Path]:
    """The summary page and the office's list, built from hostile content in every field
    that a page, an account or the config contributes."""
    assert len(ACCOUNT_NAME) <= 80
    config = validate({
        "departments": [{"id": "office", "name": hostile("dept")}, {"id": "edu", "name": "县教育局"}],
        "sites": [{"id": "portal", "name": hostile("site"), "url": HTTP_HOSTILE, "department": "office",
                   "paths": {"/jyj/": "edu"}}],
        "accounts": [{"id": "acct1", "platform": "weibo", "name": ACCOUNT_NAME, "department": "office",
                      "feed": "http://127.0.0.1:8000/feed.xml"}],
    }, tmp_path / "monitor.yaml")
    text = hostile("text")
    findings = [
        finding(text=text, context=f"{hostile('ctx-before')}{text}{hostile('ctx-after')}",
                context_start=len(hostile("ctx-before")), context_end=len(hostile("ctx-before")) + len(text),
                suggestion=hostile("suggestion"), note=hostile("note"), page_title=hostile("title"),
                column=hostile("column"), url=hostile_url("url"), parent_url=" JAVASCRIPT:window.__pwned='parent-url'"),
        finding(rule="protected-names", category="severe_error", severity="veto", text=hostile("veto-text"),
                suggestion="人民政府", context="", context_start=None, context_end=None, url=HTTP_HOSTILE,
                page_title=None, parent_url=f"data:text/html,{hostile('data-url')}"),
        finding(rule="unregistered-account", category="unregistered_account", severity="major",
                text=hostile("unreg-name"), suggestion=None, context="", context_start=None, context_end=None,
                url=hostile_url("unreg-url"), page_title=hostile("unreg-title"), column=None,
                extra={"platform": "wechat", "name": hostile("unreg-name")}),
    ]
    store = Store(config.database_url)
    try:
        scan_id = store.start_scan("portal", DAY)
        for f in findings:
            store.record_page(scan_id, f.url, 200, title=f.page_title, column=f.column, findings=[f])
        audit = {
            "columns": [{"url": hostile_url("column-url"), "name": hostile("audit-column"), "kind": "news",
                         "kind_source": "keyword", "configured": False, "department": None, "pages": 1, "entries": 3,
                         "dated_entries": 3, "newest": "2026-01-02", "newest_source": "list", "max_days": 14,
                         "days_since": 322, "stale": True, "blank": False, "blank_reason": None,
                         "fetch_error": None, "unverified": None}],
            "home": {"recent_items": 0, "dated_items": 3, "newest": "2026-01-02", "navigation_only": False, "days": 14},
            "links": {"targets": 3, "checked": 3, "broken": 1, "broken_home": 0, "unverified": 0, "not_checked": 0},
            "attachments": {"read": 1, "failed": 0, "not_read": {hostile("attachment-ext"): 1}},
        }
        store.finish_scan(scan_id, "partial", hostile("scan-message"), stats={"audit": audit})
        accounts_scan = store.start_scan("accounts", DAY, kind="accounts")
        store.record_account(accounts_scan, "acct1", ok=False, status="unreachable", error=hostile("acct-error"))
        store.finish_scan(accounts_scan, "complete")
        result = build_report(config, store, out_dir=tmp_path / "reports", generated=DAY)
    finally:
        store.close()
    office = result.departments["office"]
    return {"index": Path(result.index), "department": Path(getattr(office, "html", office))}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_hostile_reports(tmp_path_factory.mktemp("browser-report"))


# ---------------------------------------------------------------------- PNG

def png_image(png: bytes) -> tuple[int, int, list[bytes], int]:
    """Decode an 8-bit non-interlaced RGB/RGBA PNG (what Chromium writes), checking every
    chunk's CRC: (width, height, unfiltered rows, bytes per pixel)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + data) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat += data
        elif kind == b"IEND":
            break
        pos += 12 + length
    assert header is not None, "no IHDR"
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(idat)
    assert len(raw) == height * (stride + 1), "truncated image data"
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        else:
            assert kind == 0, f"bad filter {kind}"
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


# ---------------------------------------------------------------------- tests

@pytest.mark.parametrize("kind", range(len(KINDS)))
def test_the_checks_would_see_hostile_markup_that_was_not_escaped(driver, tmp_path, kind):
    """Control: the same content written raw does run (or leaves markup), and the checks below
    notice it, so a pass means the reports escaped it, not that the browser ran no scripts."""
    page = tmp_path / "raw.html"
    page.write_text(f"<!DOCTYPE html><html><body><p>正文</p>{KINDS[kind]('raw')}<p>正文</p></body></html>",
                    encoding="utf-8")
    alerts = load(driver, page)
    ran = driver.execute_script(PWNED)
    nodes = driver.execute_script(DANGEROUS_NODES)
    links = driver.execute_script(LINKS)
    if "__pwned" in KINDS[kind]("raw") and "<a " not in KINDS[kind]("raw") and "<style>" not in KINDS[kind]("raw"):
        assert ran == "raw", "scripts do not run in this browser: the test would prove nothing"
    if "alert(" in KINDS[kind]("raw"):
        assert alerts == ["raw"], "alerts are not seen"
    assert nodes or any(proto == "javascript:" for _, proto, _ in links), \
        "the DOM checks would not notice this hostile content rendered raw"


@pytest.fixture(params=["index", "department"])
def page(request, driver, reports):
    """A report page opened in the browser: (name, path, alerts raised while loading)."""
    path = reports[request.param]
    alerts = load(driver, path)
    return request.param, path, alerts


def test_no_hostile_content_runs(driver, page):
    name, _, alerts = page
    assert alerts == [], f"{name}: alert raised by the field(s) {alerts}"
    assert driver.execute_script(PWNED) is None, \
        f"{name}: script from the field {driver.execute_script(PWNED)!r} ran"


def test_hostile_content_is_shown_as_text(driver, page):
    name, _, _ = page
    shown = driver.execute_script("return document.body.innerText")
    expected = ON_INDEX if name == "index" else ON_DEPARTMENT
    missing = [field for field in expected if hostile(field) not in shown]
    assert not missing, f"{name}: not shown literally as text: {missing}"
    urls = URLS_ON_INDEX if name == "index" else URLS_ON_DEPARTMENT
    missing = [url for url in urls if url.strip() not in shown]
    assert not missing, f"{name}: URLs not shown literally as text: {missing}"
    if name == "department":
        assert ACCOUNT_NAME in shown, "the account name is not shown literally as text"
        assert hostile("dept") in driver.title  # the <title> too
    # and the page is visible: nothing hid it (a <style> payload would)
    assert driver.execute_script("return getComputedStyle(document.body).display") != "none"


def test_no_script_and_no_event_handler_in_the_dom(driver, page):
    name, _, _ = page
    assert driver.execute_script("return document.scripts.length") == 0
    nodes = driver.execute_script(DANGEROUS_NODES)
    assert nodes == [], f"{name}: hostile markup in the DOM: {nodes}"
    assert driver.execute_script("return document.querySelectorAll('iframe, object, embed, base, form').length") == 0


def test_links_are_http_or_relative(driver, page):
    name, path, _ = page
    links = driver.execute_script(LINKS)
    assert links, name
    for href, protocol, text in links:
        parts = urlsplit(href)
        if href.startswith("#"):  # "#" (a URL that may not be a link) or an anchor on the page
            continue
        if parts.scheme:
            assert parts.scheme.lower() in ("http", "https") and protocol in ("http:", "https:"), (name, href, text)
        else:  # a link to a sibling report file
            assert not parts.netloc and not href.startswith("/") and protocol == "file:", (name, href, text)
            assert (path.parent / parts.path).is_file(), (name, href)
    hrefs = [href for href, _, _ in links]
    assert not any("javascript" in href.lower() or href.lower().startswith("data:") for href in hrefs), name
    assert HTTP_HOSTILE in hrefs, f"{name}: the http URL with a hostile query is not a link, unaltered"
    if name == "index":
        assert "office.html" in hrefs


def test_screenshot(driver, page, tmp_path):
    name, _, _ = page
    shot = tmp_path / f"{name}.png"
    assert driver.get_screenshot_as_file(str(shot))
    width, height, rows, bpp = png_image(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    pixels = {row[i:i + 3] for row in rows[::4] for i in range(0, len(row), bpp * 4)}
    assert len(pixels) > 20, f"{name}: the screenshot is (nearly) one flat colour"
    dark = sum(1 for row in rows[::2] for i in range(0, len(row), bpp * 2) if sum(row[i:i + 3]) < 200)
    assert dark > 500, f"{name}: no text visible in the screenshot"


def test_prints_to_pdf(driver, page, tmp_path):
    from pypdf import PdfReader

    name, _, _ = page
    printed = driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True})
    pdf = base64.b64decode(printed["data"])
    assert pdf.startswith(b"%PDF-")
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4, from the @page rule
    printed_text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    assert "window.__pwned" in printed_text and "<script>" in printed_text, f"{name}: hostile text not printed"
