"""One decoded HTML page → PageItem (title, gov meta, date, main text, chrome, links)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import lxml.etree

from monitor.extract.blocks import _body, find_chrome, page_texts
from monitor.extract.dates import publication_date
from monitor.extract.links import canonicalize_url, extract_links
from monitor.extract.listing import extract_listing
from monitor.extract.meta import gov_meta, page_title
from monitor.items import PageItem

# lxml refuses str input that carries an encoding declaration; the text is decoded already.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# libxml2's HTML parser, as lxml.html's, but with plain elements: lxml.html picks each
# element's class in Python, a good part of the extraction's time (bench/crawl.py).
_PARSER = lxml.etree.HTMLParser()


def parse_html(source: str) -> Any:
    """The document element of an HTML text (lxml.html.document_fromstring, plain elements)."""
    root = lxml.etree.fromstring(source, _PARSER)
    if root is None:
        raise lxml.etree.ParserError("Document is empty")
    return root


def extract_page(html: str, url: str, status: int = 200, today: date | None = None) -> PageItem:
    """Extract everything the checks need from one page. Never raises: problems go to ``error``.

    `today` settles the year of list dates shown as month-day only (11-12)."""
    item = PageItem(url=url, status=status)
    source = _XML_DECLARATION.sub("", html or "", count=1)
    if not source.strip():
        item.error = "empty document"
        return item
    try:
        tree = parse_html(source)
    except (lxml.etree.ParserError, ValueError) as exc:
        item.error = f"unparseable HTML: {exc}"
        return item
    try:
        item.meta = gov_meta(tree)
        item.title = page_title(tree, item.meta)
        body = _body(tree)
        chrome = find_chrome(body) if body is not None else []
        without_links = None
        if body is not None:
            item.main_text, item.chrome_blocks, without_links = page_texts(body, chrome)
        item.published, item.published_source = publication_date(item.meta, item.main_text, url)
        item.links, item.attachments = extract_links(tree, url)
        entries, item.blank_notice = extract_listing(tree, url, chrome, today, without_links)
        records, item.scripted = _script_lists(tree)
        if records:  # a list the CMS ships as XML records in a script (Hanweb/大汉): read them too
            fragment = parse_html(f"<html><body><ul>{records}</ul></body></html>")
            entries += extract_listing(fragment, url, (), today)[0]
        own = canonicalize_url(url)
        item.list_entries = [e for e in entries if e.url != own]
    except Exception as exc:  # one odd page must not stop a crawl; keep what was extracted
        item.error = f"extraction failed: {type(exc).__name__}: {exc}"
    return item


_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
#: inline script this long (in all) may well build the page's list in the browser
SCRIPTED_CHARS = 200


def _script_lists(tree: Any) -> tuple[str, bool]:
    """(HTML of list records shipped in `<script type="text/xml">`, whether inline scripts
    may build the page's content in the browser, where the crawl cannot see it)."""
    records: list[str] = []
    inline = 0
    for script in tree.iter("script"):
        text = script.text or ""
        if script.get("src"):
            continue
        inline += len(text)
        if (script.get("type") or "").lower() in ("text/xml", "text/template", "text/html"):
            records += _RECORD.findall(text)
    return "".join(records), inline >= SCRIPTED_CHARS
