"""Term check: lexicon hits → findings, with the date and context rules of RULES.md §6.

Pure: the Matcher (automaton + jieba) is built once by the caller and passed in.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Iterable

from ..finding import Finding, make_context
from ..lexicon import Hit, LexiconEntry, Matcher
from .privacy import redact
from .whitelist import WhitelistEntry, whitelisted

# A sentence ends at these; `unless` words are looked for inside the hit's sentence.
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_SENTENCE_REACH = 80
# 原 as in 原县国土资源局 (a word of its own; not the 原 of 太原, 原则).
_FORMER = "原"
_CITATION = re.compile(r"\s*(?:令|公告)\s*(?:\d{4}\s*年\s*)?第\s*[\d一二三四五六七八九十百〇零]+\s*号")
_HAN = re.compile(r"[\u3400-\u9fff]")
_PREFIX_REACH = 6
# Words that make a sentence explicitly about the past: 曾任县国土资源局局长 (a CV on a
# personnel page), 机构改革前, 当时. Bare 曾 is not here: it is also a surname.
PAST_MARKERS = ("曾任", "曾在", "曾于", "曾经", "曾是", "历任", "时任", "当时", "此前", "彼时", "昔日", "过去",
                "机构改革前", "改革前", "更名前", "撤销前", "组建前", "挂牌前", "成立前")
# A year in the sentence; one before the change makes it about the past, unless it only
# says where a period began (2017年以来, 2017年至今, 自2017年起).
_YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:年|[-/.]\d{1,2})(?!\s*(?:以来|至今|起|开始|来))")


def _sentence(text: str, start: int, end: int) -> str:
    lo = start
    floor = max(0, start - _SENTENCE_REACH)
    while lo > floor and not _SENTENCE_END.match(text, lo - 1):
        lo -= 1
    m = _SENTENCE_END.search(text, end, min(len(text), end + _SENTENCE_REACH))
    hi = m.start() if m else min(len(text), end + _SENTENCE_REACH)
    return text[lo:hi]


def _after_former(text: str, start: int, tokenizer: Any) -> bool:
    """原 as its own word just before the hit: 原县国土资源局, 原示例县国土资源局.

    jieba tells 原 ("former") from the 原 inside 太原市, 平原县, 高原 and 原则."""
    floor = max(0, start - _PREFIX_REACH)
    i = start
    while i > floor and _HAN.match(text, i - 1):
        i -= 1
    if i == start or _FORMER not in text[i:start]:
        return False
    lo = max(0, i - 4)  # a little more on the left, so a word is not cut in half
    pos = lo
    for token in tokenizer.cut(text[lo:start], HMM=False):
        if token == _FORMER and pos >= i and (pos > lo or lo == 0 or not _HAN.match(text, lo - 1)):
            return True
        pos += len(token)
    return False


def _is_citation(text: str, end: int) -> bool:
    """A citation of an old regulation or notice: 国土资源部令第45号, 农业部公告2017年第1号."""
    return bool(_CITATION.match(text, end, min(len(text), end + 20)))


def _inside_title(text: str, start: int) -> bool:
    """Inside an open 《…》 on the same line."""
    line_start = text.rfind("\n", 0, start) + 1
    opened = text.rfind("《", line_start, start)
    return opened >= 0 and text.find("》", opened, start) < 0


def _about_the_past(sentence: str, since: date | None) -> bool:
    """The sentence is explicitly about the past: a past marker, or a year before the change."""
    if any(marker in sentence for marker in PAST_MARKERS):
        return True
    return since is not None and any(int(m.group(1)) < since.year for m in _YEAR.finditer(sentence))


def _judge(entry: LexiconEntry, text: str, hit: Hit, published: date | None,
           tokenizer: Any) -> tuple[bool, str, str | None]:
    """(keep?, severity, extra note) for one hit."""
    severity = entry.severity
    extra = None
    if entry.severity_if:
        sentence = _sentence(text, hit.start, hit.end)
        severity = next((sev for pattern, sev in entry.severity_if if pattern.search(sentence)), severity)
    if entry.unless:
        sentence = _sentence(text, hit.start, hit.end)
        if any(word in sentence for word in entry.unless):
            return False, severity, None
    if entry.since or entry.until:
        if _inside_title(text, hit.start) or _is_citation(text, hit.end) or _after_former(text, hit.start, tokenizer):
            return False, severity, None
        if _about_the_past(_sentence(text, hit.start, hit.end), entry.since):
            return False, severity, None
        if published is None:
            severity = "minor" if severity in ("veto", "major") else severity
            extra = "页面发布日期未知，请人工确认"
        elif (entry.since and published < entry.since) or (entry.until and published >= entry.until):
            return False, severity, None
    return True, severity, extra


def check_terms(text: str, matcher: Matcher, published: date | None = None,
                whitelist: Iterable[WhitelistEntry] = ()) -> list[Finding]:
    """Lexicon findings in `text`; offsets are into `text` as given.

    `published` is the page's publication date: outdated names are only wrong on pages
    published on or after the change; without a date they are at most `minor`.
    One finding per term per text (the first occurrence not whitelisted), so a page
    repeating an error is one problem to fix, not ten.
    """
    hits, _ = matcher.find(text)
    whitelist = list(whitelist)
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for hit in hits:
        entry = hit.entry
        keep, severity, extra = _judge(entry, text, hit, published, matcher.tokenizer)
        if not keep or (entry.rule, entry.term) in seen:
            continue
        if whitelisted(text, hit.start, hit.end, entry.rule, whitelist):
            continue
        seen.add((entry.rule, entry.term))
        context, c_start, c_end = make_context(text, hit.start, hit.end)
        note = entry.note
        if extra:
            note = f"{note}（{extra}）" if note else extra
        findings.append(Finding(
            rule=entry.rule,
            category=entry.category,
            severity=severity,
            text=text[hit.start:hit.end],
            suggestion=entry.suggestion,
            context=redact(context),
            start=hit.start,
            end=hit.end,
            context_start=c_start,
            context_end=c_end,
            note=note,
            key=entry.term,
        ))
    return findings
