"""Every text check over one piece of text: the one entry point for pages, drafts and attachments."""

from __future__ import annotations

from datetime import date
from typing import Iterable

from ..finding import Finding
from ..lexicon import Matcher
from .privacy import check_privacy
from .terms import check_terms
from .whitelist import WhitelistEntry, apply_whitelist


def check_text(text: str, matcher: Matcher, published: date | None = None,
               today: date | None = None, whitelist: Iterable[WhitelistEntry] = ()) -> list[Finding]:
    """Term findings, then personal-data findings. `published` drives the date rules of
    outdated names; `today` bounds plausible birth dates in ID numbers; hits inside a
    whitelisted phrase are not findings."""
    whitelist = list(whitelist)
    return (check_terms(text, matcher, published, whitelist)
            + apply_whitelist(check_privacy(text, today), text, whitelist))
