"""Every text check over one piece of text: the one entry point for pages, drafts and attachments."""

from __future__ import annotations

from datetime import date

from ..finding import Finding
from ..lexicon import Matcher
from .privacy import check_privacy
from .terms import check_terms


def check_text(text: str, matcher: Matcher, published: date | None = None,
               today: date | None = None) -> list[Finding]:
    """Term findings, then personal-data findings. `published` drives the date rules of
    outdated names; `today` bounds plausible birth dates in ID numbers."""
    return check_terms(text, matcher, published) + check_privacy(text, today)
