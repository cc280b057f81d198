"""One decoded HTML page → PageItem (title, gov meta, date, main text, chrome, links)."""

from __future__ import annotations

import re
from datetime import date

import lxml.etree
import lxml.html

from monitor.extract.blocks import _body, find_chrome, split_text
from monitor.extract.dates import publication_date
from monitor.extract.links import canonicalize_url, extract_links
from monitor.extract.listing import extract_listing
from monitor.extract.meta import gov_meta, page_title
from monitor.items import PageItem

# lxml refuses str input that carries an encoding declaration; the text is decoded already.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


def extract_page(html: str, url: str, status: int = 200, today: date | None = None) -> PageItem:
    """Extract everything the checks need from one page. Never raises: problems go to ``error``.

    `today` settles the year of list dates shown as month-day only (11-12)."""
    item = PageItem(url=url, status=status)
    source = _XML_DECLARATION.sub("", html or "", count=1)
    if not source.strip():
        item.error = "empty document"
        return item
    try:
        tree = lxml.html.document_fromstring(source)
    except (lxml.etree.ParserError, ValueError) as exc:
        item.error = f"unparseable HTML: {exc}"
        return item
    try:
        item.meta = gov_meta(tree)
        item.title = page_title(tree)
        item.main_text, item.chrome_blocks = split_text(tree)
        item.published, item.published_source = publication_date(item.meta, item.main_text, url)
        item.links, item.attachments = extract_links(tree, url)
        body = _body(tree)
        chrome = find_chrome(body) if body is not None else []
        entries, item.blank_notice = extract_listing(tree, url, chrome, today)
        own = canonicalize_url(url)
        item.list_entries = [e for e in entries if e.url != own]
    except Exception as exc:  # one odd page must not stop a crawl; keep what was extracted
        item.error = f"extraction failed: {type(exc).__name__}: {exc}"
    return item
