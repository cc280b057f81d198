"""Incremental nightly scans: what may be skipped on a page that has not changed. Pure.

The store keeps, per site and URL, what the last read of a page gave (`page_cache`): its
validators (ETag, Last-Modified), a digest of its body and the *facts* the site checks need
(links, attachments, list entries, meta tags, dates) — never its text. Tonight's scan then:

- reads list pages, the home page and every page with a problem still open, every night
  (with If-None-Match / If-Modified-Since; a 304 or an identical body means unchanged);
- reads an unchanged article or attachment again only on its rota day (at least every
  `revisit_days`, spread over the days by a hash of the URL) — otherwise it is not
  requested at all;
- for an unchanged page, replays its facts into the site checks, follows its links, and
  carries its open findings over (the text is the same, so the checks would say the same);
- re-checks everything when the lexicons, the whitelist or the check code changed
  (`checks_key`), and with `govmon scan --full`.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import date
from typing import Any, Iterable, NamedTuple

from .checks.privacy import redact
from .items import LinkItem, ListEntry, PageItem

#: bump when a change to the checks means yesterday's results on an unchanged page no longer hold
CHECKS_VERSION = "1"
#: a page with at least this many dated entries in its main content is a list page (read nightly)
LIST_MIN_ENTRIES = 3


class CacheEntry(NamedTuple):
    kind: str  # list | article | attachment
    status: int
    etag: str | None
    last_modified: str | None
    digest: str
    checks_key: str
    fetched_on: date
    scan_id: int  # the scan that read this content (its findings on the page are carried over)


def checks_key(matcher_digest: str | None, whitelist: Iterable[Any]) -> str:
    """What a page was checked with: the lexicon files, the whitelist and the check code."""
    from . import __version__

    entries = sorted(repr(getattr(w, "model_dump", lambda: w)()) for w in whitelist)
    raw = "\x1f".join([__version__, CHECKS_VERSION, matcher_digest or "", *entries])
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


def body_digest(body: bytes) -> str:
    return hashlib.sha1(body).hexdigest()


def is_due(url: str, fetched_on: date, today: date, revisit_days: int) -> bool:
    """An unchanged article is read again on its rota day, and always after `revisit_days`.
    The rota day comes from a hash of the URL, so each night reads about 1/revisit_days of
    the articles instead of all of them on the same night."""
    age = (today - fetched_on).days
    if age >= revisit_days:
        return True
    if age < 1:
        return False
    slot = int(hashlib.sha1(url.encode("utf-8")).hexdigest()[:8], 16) % revisit_days
    return slot == today.toordinal() % revisit_days


def page_kind(item: PageItem, is_column: bool) -> str:
    if item.is_attachment:
        return "attachment"
    dated = sum(1 for e in item.list_entries if e.date is not None)
    return "list" if is_column or dated >= LIST_MIN_ENTRIES else "article"


def cacheable(item: PageItem) -> bool:
    """Only pages whose URLs carry no personal number: the cache stores URLs as they are,
    and a masked URL could neither be followed nor told apart from another."""
    urls = [item.url, *(link.url for link in item.links), *(link.url for link in item.attachments),
            *(e.url for e in item.list_entries)]
    return not any(map(_masked, urls))


@functools.lru_cache(maxsize=65536)  # the same nav and footer links on every page
def _masked(url: str) -> bool:
    return redact(url) != url


def facts_of(item: PageItem) -> dict[str, Any]:
    """What the site checks and the crawl need of a page, JSON-ready, text fields masked.
    Links are [url, text, kind, extension] and list entries [url, text, date]: an unchanged
    page's facts are read back every night, and lists parse much faster than objects
    (item_from_facts also reads the {"url": …} objects that older entries hold)."""
    return {
        "title": redact(item.title),
        "meta": {k: redact(v) for k, v in item.meta.items()},
        "published": item.published.isoformat() if item.published else None,
        "published_source": item.published_source,
        "links": [_link_facts(link) for link in item.links],
        "attachments": [_link_facts(link) for link in item.attachments],
        "entries": [[e.url, redact(e.text), e.date.isoformat() if e.date else None] for e in item.list_entries],
        "blank_notice": item.blank_notice,
        "scripted": item.scripted,
        "main_chars": item.main_chars if item.main_chars is not None else len(item.main_text),
        "content_type": item.content_type,
        "encoding": item.encoding,
        "parent_url": item.parent_url,
    }


def _link_facts(link: LinkItem) -> list[Any]:
    return [link.url, redact(link.text), link.kind, link.extension]


def _links_of(values: list[Any]) -> list[LinkItem]:
    if values and isinstance(values[0], dict):  # facts written before links were lists
        return [LinkItem(**value) for value in values]
    return [LinkItem(*value) for value in values]


def _entries_of(values: list[Any]) -> list[ListEntry]:
    def entry(url: str, text: str | None, day: str | None) -> ListEntry:
        return ListEntry(url=url, text=text or "", date=date.fromisoformat(day) if day else None)

    if values and isinstance(values[0], dict):
        return [entry(value["url"], value.get("text"), value.get("date")) for value in values]
    return [entry(*value) for value in values]


def item_from_facts(facts: dict[str, Any], url: str, status: int, depth: int, referer: str | None,
                    is_attachment: bool = False) -> PageItem:
    """The PageItem of an unchanged page, rebuilt from its facts: no text (nothing to check)."""
    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return PageItem(
        url=url, status=status, title=facts.get("title") or "", meta=dict(facts.get("meta") or {}),
        published=day(facts.get("published")), published_source=facts.get("published_source"),
        links=_links_of(facts.get("links") or []), attachments=_links_of(facts.get("attachments") or []),
        list_entries=_entries_of(facts.get("entries") or []),
        blank_notice=bool(facts.get("blank_notice")), scripted=bool(facts.get("scripted")),
        main_chars=int(facts.get("main_chars") or 0), depth=depth, referer=referer,
        encoding=facts.get("encoding"), content_type=facts.get("content_type"),
        parent_url=facts.get("parent_url"), is_attachment=is_attachment, cached=True,
    )
