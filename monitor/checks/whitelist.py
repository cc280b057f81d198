"""Whitelists: phrases an office has declared correct, so a false positive is silenced once.

A finding is dropped when its hit lies inside an occurrence of a whitelisted phrase in the
same text (and, when the entry names a rule, the finding has that rule). Pure.
"""

from __future__ import annotations

from typing import Iterable, Protocol

from ..finding import Finding


class WhitelistEntry(Protocol):
    text: str
    rule: str | None


def _covered(text: str, start: int, end: int, phrase: str) -> bool:
    pos = text.find(phrase, max(0, end - len(phrase)), start + len(phrase))
    while pos >= 0:
        if pos <= start and end <= pos + len(phrase):
            return True
        pos = text.find(phrase, pos + 1, start + len(phrase))
    return False


def whitelisted(text: str, start: int, end: int, rule: str, entries: Iterable[WhitelistEntry]) -> bool:
    """Whether the hit text[start:end] of `rule` lies inside a whitelisted phrase."""
    return any((e.rule is None or e.rule == rule) and _covered(text, start, end, e.text) for e in entries)


def apply_whitelist(findings: list[Finding], text: str, entries: Iterable[WhitelistEntry]) -> list[Finding]:
    """The findings not silenced by a whitelist entry."""
    entries = list(entries)
    if not entries:
        return findings
    return [f for f in findings
            if f.start is None or f.end is None or not whitelisted(text, f.start, f.end, f.rule, entries)]
