"""Lexicons → one Aho-Corasick automaton over normalised text, with jieba boundary checks.

The lexicon files (``lexicons/*.tsv``, format in docs/lexicons.md) are read once; the
automaton is built once and cached on disk, keyed by a digest of the files, so a changed
lexicon rebuilds it. Matching runs over *normalised* text (NFKC full/half width,
zero-width characters and spaces or symbols inserted between Han characters removed)
and every hit is mapped back to offsets in the text as given.
"""

from __future__ import annotations

import bisect
import csv
import functools
import hashlib
import logging
import os
import pickle
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Iterable

import ahocorasick

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("term", "category", "severity")
OPTIONAL_COLUMNS = ("suggestion", "since", "until", "unless", "before", "after", "severity_if", "note", "source")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
ALLOW = "allow"
# Bump when the pickled structure changes, so old caches are not loaded.
CACHE_FORMAT = 2


class LexiconError(ValueError):
    """A lexicon file that cannot be read; the message names the file and line."""


#: how far `before`/`after` patterns of a lexicon entry may look from the hit's edge
EDGE_REACH = 20


@dataclass(frozen=True)
class LexiconEntry:
    term: str
    category: str
    severity: str
    suggestion: str | None
    since: date | None
    until: date | None
    unless: tuple[str, ...]
    before: re.Pattern[str] | None  # must match the text just before the hit
    after: re.Pattern[str] | None  # must match the text just after the hit
    severity_if: tuple[tuple[re.Pattern[str], str], ...]  # sentence pattern → severity, first wins
    note: str | None
    source: str | None
    rule: str
    file: str
    line: int

    @property
    def is_allow(self) -> bool:
        return self.category == ALLOW

    def edges_ok(self, text: str, start: int, end: int) -> bool:
        """The entry's `before`/`after` conditions hold for a hit at text[start:end]
        (each looks at most EDGE_REACH characters beyond the hit's edge)."""
        if self.before and not self.before.search(text, max(0, start - EDGE_REACH), start):
            return False
        return not (self.after and not self.after.match(text, end, min(len(text), end + EDGE_REACH)))


@dataclass(frozen=True)
class Hit:
    """A candidate match: offsets in the original text, and in the normalised text."""

    start: int
    end: int
    norm_start: int
    norm_end: int
    entry: LexiconEntry


# --------------------------------------------------------------------------- loading

def default_lexicon_dir() -> Path:
    return Path(str(resources.files("lexicons")))


def lexicon_files(dirs: Iterable[Path | str]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        d = Path(d)
        if d.is_file():
            files.append(d)
        elif d.is_dir():
            files.extend(sorted(d.glob("*.tsv")))
        else:
            raise LexiconError(f"词库路径不存在：{d}")
    return files


def _parse_date(value: str, path: Path, line: int, column: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise LexiconError(f"{path}:{line}: {column} 应为 YYYY-MM-DD 格式的日期，实际为 {value!r}") from None


def _compile(value: str, path: Path, line: int, column: str) -> re.Pattern[str] | None:
    if not value:
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        raise LexiconError(f"{path}:{line}: {column} 不是有效的正则表达式：{exc}") from None


def _severity_rules(value: str, path: Path, line: int) -> tuple[tuple[re.Pattern[str], str], ...]:
    from .finding import SEVERITIES

    rules = []
    for part in (p for p in value.split(";") if p.strip()):
        pattern, sep, severity = part.rpartition("=>")
        severity = severity.strip()
        if not sep or severity not in SEVERITIES:
            raise LexiconError(f"{path}:{line}: severity_if 应写成 正则=>级别（级别为 {'/'.join(SEVERITIES)}），"
                               f"多条用 ; 分隔，实际为 {part!r}")
        rules.append((_compile(pattern.strip(), path, line, "severity_if"), severity))
    return tuple(rules)


def load_entries(files: Iterable[Path]) -> list[LexiconEntry]:
    """Read lexicon TSV files. Raises LexiconError naming file and line on bad data."""
    from .finding import CATEGORIES, SEVERITIES

    entries: list[LexiconEntry] = []
    for path in files:
        rule = path.stem.replace("_", "-")
        with open(path, encoding="utf-8", newline="") as fh:
            lines = [(n, raw) for n, raw in enumerate(fh, start=1) if raw.strip() and not raw.startswith("#")]
        if not lines:
            continue
        header_line, header_raw = lines[0]
        header = [h.strip() for h in header_raw.rstrip("\r\n").split("\t")]
        unknown = [h for h in header if h not in COLUMNS]
        missing = [h for h in REQUIRED_COLUMNS if h not in header]
        if unknown or missing or len(set(header)) != len(header):
            raise LexiconError(f"{path}:{header_line}: 表头应包含 {' '.join(REQUIRED_COLUMNS)}，"
                               f"可选 {' '.join(OPTIONAL_COLUMNS)}（以制表符分隔）"
                               + (f"；未知列：{' '.join(unknown)}" if unknown else "")
                               + (f"；缺少：{' '.join(missing)}" if missing else ""))
        for n, raw in lines[1:]:
            cells = next(csv.reader([raw.rstrip("\r\n")], delimiter="\t", quoting=csv.QUOTE_NONE))
            if len(cells) > len(header):
                raise LexiconError(f"{path}:{n}: 列数（{len(cells)}）多于表头（{len(header)}）")
            row = dict.fromkeys(COLUMNS, "")
            row.update(zip(header, (c.strip() for c in cells)))
            if not row["term"]:
                raise LexiconError(f"{path}:{n}: term 不能为空")
            if row["category"] != ALLOW and row["category"] not in CATEGORIES:
                raise LexiconError(f"{path}:{n}: 未知的 category {row['category']!r}")
            if row["category"] != ALLOW and row["severity"] not in SEVERITIES:
                raise LexiconError(f"{path}:{n}: 未知的 severity {row['severity']!r}，应为 {'/'.join(SEVERITIES)}")
            entries.append(LexiconEntry(
                term=row["term"],
                category=row["category"],
                severity=row["severity"] or ALLOW,
                suggestion=row["suggestion"] or None,
                since=_parse_date(row["since"], path, n, "since"),
                until=_parse_date(row["until"], path, n, "until"),
                unless=tuple(w for w in row["unless"].split("|") if w),
                before=_compile(row["before"], path, n, "before"),
                after=_compile(row["after"], path, n, "after"),
                severity_if=_severity_rules(row["severity_if"], path, n),
                note=row["note"] or None,
                source=row["source"] or None,
                rule=rule,
                file=path.name,
                line=n,
            ))
    return entries


# --------------------------------------------------------------------------- normalising

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ZERO_WIDTH = "\u200b-\u200f\u2060-\u2064\ufeff\u00ad"
# Zero-width characters anywhere; up to two spaces or symbols inserted between Han characters.
# Both alternatives start with a character class (the Han character before is checked by a
# lookbehind after it), so the regex engine can skip quickly over ordinary text.
_INSERTED = " \u00a0\u3000·•・_*＊"
_DELETABLE = re.compile(
    rf"[{_ZERO_WIDTH}]+|[{_INSERTED}](?<=[{_HAN}][{_INSERTED}])[{_INSERTED}]?(?=[{_HAN}{_ZERO_WIDTH}])"
)


@functools.lru_cache(maxsize=1)
def _nfkc_table() -> dict[int, str]:
    """Every BMP character whose NFKC form is one different character (full/half width,
    compatibility ideographs, Kangxi radicals…). One-to-one, so offsets don't move."""
    table: dict[int, str] = {}
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        norm = unicodedata.normalize("NFKC", ch)
        if len(norm) == 1 and norm != ch:
            table[cp] = norm
    table[0x3000] = " "
    return table


@dataclass(frozen=True)
class Normalized:
    """Normalised text plus the map back to offsets in the original text."""

    text: str
    _starts: tuple[int, ...]  # index in `text` where each kept segment starts
    _origins: tuple[int, ...]  # index in the original where that segment starts

    def to_original(self, i: int) -> int:
        k = bisect.bisect_right(self._starts, i) - 1
        return self._origins[k] + (i - self._starts[k])

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        return self.to_original(start), self.to_original(end - 1) + 1


def normalize(text: str, table: dict[int, str] | None = None, scan: re.Pattern[str] | None = None) -> Normalized:
    """NFKC-fold (one character for one) and delete zero-width and inserted characters.

    `table` defaults to every one-to-one NFKC mapping. The Matcher passes only the mappings
    that can change a match, with `scan`: one regex for "a character to fold" or "something
    to delete", so ordinary text is scanned once and folded only when it needs it.
    """
    if scan is None:
        text = text.translate(_nfkc_table() if table is None else table)
        matches = _DELETABLE.finditer(text)
    else:
        matches = scan.finditer(text)
    starts, origins, parts = [0], [0], []
    pos = 0
    for m in matches:
        if m.lastgroup == "fold":  # rare: fold the whole text, then start over
            return normalize(text, table)
        parts.append(text[pos:m.start()])
        pos = m.end()
        starts.append(starts[-1] + len(parts[-1]))
        origins.append(pos)
    if not parts:
        return Normalized(text, (0,), (0,))
    parts.append(text[pos:])
    return Normalized("".join(parts), tuple(starts), tuple(origins))


# --------------------------------------------------------------------------- matcher

def _digest(files: list[Path]) -> str:
    h = hashlib.sha256(f"govmon-automaton-{CACHE_FORMAT}".encode())
    for path in files:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:20]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "govmon"


class Matcher:
    """All lexicon entries in one automaton; jieba confirms word boundaries around hits."""

    #: characters of context either side of a hit handed to jieba
    BOUNDARY_WINDOW = 8
    #: terms this long are specific enough to stand without a boundary check (jieba splits
    #: 住房与城乡建设部 as …城乡/建设部, which would otherwise hide the error)
    BOUNDARY_MAX_TERM = 3
    #: segmentations of recent windows kept (boilerplate repeats across a site's pages)
    CUT_CACHE_SIZE = 4096

    def __init__(self, entries: list[LexiconEntry], automaton: ahocorasick.Automaton | None = None,
                 digest: str | None = None) -> None:
        self.entries = entries
        self.digest = digest
        self.automaton = automaton if automaton is not None else self._build(entries)
        self._tokenizer = None
        self._cut_cache: dict[str, frozenset[int]] = {}
        # Only NFKC mappings onto a character that occurs in some key can change a match.
        key_chars = {ch for e in entries for ch in normalize(e.term).text}
        self.fold_table = {cp: ch for cp, ch in _nfkc_table().items() if ch in key_chars}
        fold = "".join(re.escape(chr(cp)) for cp in sorted(self.fold_table))
        # The leading lookahead (one character class: every character a match can start
        # with) lets the regex engine skip ordinary text fast; without it, it tries each
        # alternative at every position (2x slower).
        first = fold + _ZERO_WIDTH + re.escape(_INSERTED)
        self.scan = re.compile(f"(?=[{first}])(?:" + (f"(?P<fold>[{fold}])|" if fold else "")
                               + _DELETABLE.pattern + ")")

    @staticmethod
    def _build(entries: list[LexiconEntry]) -> ahocorasick.Automaton:
        automaton = ahocorasick.Automaton()
        by_key: dict[str, list[int]] = {}
        for i, entry in enumerate(entries):
            key = normalize(entry.term).text
            by_key.setdefault(key, []).append(i)
        for key, idx in by_key.items():
            automaton.add_word(key, (len(key), tuple(idx)))
        automaton.make_automaton()
        return automaton

    @classmethod
    def from_dirs(cls, dirs: Iterable[Path | str] | None = None, cache_dir: Path | str | None = None) -> "Matcher":
        """Load lexicons (default: the bundled ones) and the cached automaton, or build it."""
        files = lexicon_files(list(dirs) if dirs else [default_lexicon_dir()])
        entries = load_entries(files)
        digest = _digest(files)
        cache = Path(cache_dir) if cache_dir else default_cache_dir()
        path = cache / f"automaton-{digest}.pickle"
        if path.exists():
            try:
                with open(path, "rb") as fh:
                    automaton = pickle.load(fh)
                return cls(entries, automaton, digest)
            except Exception as exc:  # a corrupt cache is rebuilt, never fatal
                log.warning("ignoring unreadable automaton cache %s: %s", path, exc)
        matcher = cls(entries, None, digest)
        try:
            cache.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump(matcher.automaton, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("cannot write automaton cache %s: %s", path, exc)
        return matcher

    # -- jieba, loaded lazily: only texts with candidate hits pay for it
    @property
    def tokenizer(self):
        if self._tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.check_initialized()  # loads the dictionary (FREQ) now
            self._tokenizer = tokenizer
        return self._tokenizer

    def _on_word_boundaries(self, norm: str, start: int, end: int) -> bool:
        """True unless a jieba token (stock dictionary, no HMM) crosses the hit's edges."""
        line_start = norm.rfind("\n", 0, start) + 1
        line_end = norm.find("\n", end)
        line_end = len(norm) if line_end < 0 else line_end
        lo = max(line_start, start - self.BOUNDARY_WINDOW)
        hi = min(line_end, end + self.BOUNDARY_WINDOW)
        if not self._may_cross(norm, lo, hi, start, end):
            return True
        window = norm[lo:hi]
        cuts = self._cut_cache.get(window)
        if cuts is None:
            if len(self._cut_cache) >= self.CUT_CACHE_SIZE:
                self._cut_cache.clear()
            edges, pos = set(), 0
            for token in self.tokenizer.cut(window, HMM=False):
                pos += len(token)
                edges.add(pos)
            cuts = self._cut_cache[window] = frozenset(edges)
        # a token crosses an edge exactly when the edge is not a token boundary
        return (start == lo or start - lo in cuts) and (end == hi or end - lo in cuts)

    def _may_cross(self, norm: str, lo: int, hi: int, start: int, end: int) -> bool:
        """Whether any dictionary word (or ASCII run, which jieba keeps whole) inside
        norm[lo:hi] crosses the hit's edges. False means jieba cannot cut through the hit,
        so it need not run: the same prefix walk over the dictionary as jieba's own DAG,
        only from the few positions left of each edge."""
        freq = self.tokenizer.FREQ
        for edge in (start, end):
            if lo < edge < hi and norm[edge - 1].isascii() and norm[edge - 1].isalnum() \
                    and norm[edge].isascii() and norm[edge].isalnum():
                return True
            # every prefix of a dictionary word is in FREQ (count 0 if not a word itself), so
            # a word from i that crosses the edge has norm[i:edge] in FREQ
            for i in range(lo, edge):
                j = edge
                while j <= hi:
                    count = freq.get(norm[i:j])
                    if count is None:
                        break
                    if count and j > edge:
                        return True
                    j += 1
        return False

    def find(self, text: str) -> tuple[list[Hit], Normalized]:
        """Candidate hits in `text`, allow-listed and contained hits removed, boundaries checked."""
        norm = normalize(text, self.fold_table, self.scan)
        raw: list[tuple[int, int, tuple[int, ...]]] = []
        for end_idx, (length, idx) in self.automaton.iter(norm.text):
            raw.append((end_idx + 1 - length, end_idx + 1, idx))
        if not raw:
            return [], norm
        allowed = [(s, e) for s, e, idx in raw if any(self.entries[i].is_allow for i in idx)]
        spans = []
        for s, e, idx in raw:
            entries = [entry for entry in (self.entries[i] for i in idx)
                       if not entry.is_allow and entry.edges_ok(norm.text, s, e)]
            if not entries:
                continue
            if any(a <= s and e <= b for a, b in allowed):
                continue
            if e - s <= self.BOUNDARY_MAX_TERM and not self._on_word_boundaries(norm.text, s, e):
                continue
            spans.append((s, e, entries))
        hits: list[Hit] = []
        for s, e, entries in spans:
            if any((a <= s and e <= b) and (a, b) != (s, e) for a, b, _ in spans):
                continue  # the longer match wins
            o_start, o_end = norm.span_to_original(s, e)
            for entry in entries:
                hits.append(Hit(o_start, o_end, s, e, entry))
        hits.sort(key=lambda h: (h.start, h.end))
        return hits, norm


@functools.lru_cache(maxsize=4)
def shared_matcher(extra_dirs: tuple[str, ...] = ()) -> Matcher:
    """One Matcher per process: the bundled lexicons plus any extra folders or files."""
    return Matcher.from_dirs([default_lexicon_dir(), *(Path(d) for d in extra_dirs)])
