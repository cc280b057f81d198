"""Generate wrong forms of protected names → ``lexicons/protected_generated.tsv``.

    python -m monitor.lexgen            # rewrite lexicons/protected_generated.tsv
    python -m monitor.lexgen --check    # exit 1 if the committed file is not what this makes

Input: the correct forms in ``lexicons/sources/protected_names.tsv`` and the hand-made
look-alike pairs in ``lexicons/sources/lookalike.tsv``. ``lexicons/sources/`` is not read by
the term check (only ``lexicons/*.tsv`` is), so nothing there is ever flagged.

For each name, one edit at a time:

1. a character → a homophone (same toneless pinyin) or a near-homophone (one common
   confusion: zh/z, ch/c, sh/s, n/l initials; an/ang, en/eng, in/ing finals), drawn from
   the :data:`INVENTORY_SIZE` most frequent characters of jieba's dictionary (characters
   people actually type), most frequent first, at most :data:`HOMOPHONE_CAP` /
   :data:`NEAR_HOMOPHONE_CAP` per position;
2. a character → a look-alike from ``lookalike.tsv``;
3. a character dropped (names of 4 or more characters only);
4. a character doubled (not in 2-character names);
5. two adjacent characters swapped.

Only Han characters are edited (the quotes of “三个代表”重要思想 stay). A variant is dropped
when

- it is, contains or lies inside a correct form (a source name, a suggestion of the
  hand-written ``lexicons/protected_names.tsv``, or one of :data:`OVERLAPPING_EXPRESSIONS`):
  the correct text must never be flagged (学习习近平 holds 习习近平; a drop from the end of
  a name is the start of the name);
- it is ordinary text: a jieba dictionary word, a piece of a longer one, or cut by jieba
  (HMM off) into common words (:data:`COMMON_WORD_FREQ`): of two or more characters only, or
  joined by :data:`FUNCTION_WORDS` (中国现代化, 中国是现代化 from 中国式现代化); for a variant
  of three characters or less, any cut with a common word of two or more characters;
- another bundled lexicon already lists it (one error, one finding).

The homophone cap picks the most frequent candidates before these filters, so a position
whose likely errors are ordinary words gets fewer rows rather than rarer characters.

Leaders with a common surname (:data:`COMMON_SURNAMES`: everyone but 习近平) share their
short variants with ordinary people and ordinary text: 李倩, 江泽明, 刘国众 are names on
any county's personnel notice, 六国中 (from 刘国中) is prose. Their variants of three
characters or less are written twice, once with a ``before`` condition (a national title
right before: 国务院总理李墙) and once with an ``after`` one (李墙总理), so they are
flagged only next to a national title.

Everything is deterministic: names sorted, candidates ranked by frequency then code
point, a fixed output order, no randomness.
"""

from __future__ import annotations

import argparse
import csv
import functools
import logging
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEXICON_DIR = ROOT / "lexicons"
SOURCES_DIR = LEXICON_DIR / "sources"
NAMES_FILE = SOURCES_DIR / "protected_names.tsv"
LOOKALIKE_FILE = SOURCES_DIR / "lookalike.tsv"
OUTPUT_FILE = LEXICON_DIR / "protected_generated.tsv"
HAND_WRITTEN_FILE = LEXICON_DIR / "protected_names.tsv"

#: size of the candidate inventory: the characters of jieba's dictionary ranked by how often
#: they occur (sum of the frequencies of the dictionary words containing them), keeping only
#: GB 2312 level-1 characters (一级常用汉字: no traditional forms, none of the mis-decoded
#: entries jieba's dictionary carries); 3,500 is the size of the 常用字 list of
#: 《通用规范汉字表》, the characters people actually type
INVENTORY_SIZE = 3500
#: homophones (same toneless pinyin) per position: the most frequent ones. 3 keeps the file
#: reviewable (a few thousand rows) and covers what an IME offers on its first page
HOMOPHONE_CAP = 3
#: near-homophones (one initial or final confusion) per position
NEAR_HOMOPHONE_CAP = 1
#: a jieba word at least this frequent is "common": the dictionary's median frequency is 3
#: and its 90th percentile 87, so 100 keeps the top tenth (人民, 共和, 现代化) and leaves out
#: the rare names and technical terms that would make any variant look like prose
COMMON_WORD_FREQ = 100
#: function words (copula, particles, prepositions, conjunctions, common adverbs): a variant
#: that jieba cuts into common words joined by these is prose (中国/是/现代化 from 中国式现代化)
FUNCTION_WORDS = frozenset("是的之与和及或而并且以为于对向从由把被将在等其各每也都就又还再已不这那此")

#: Correct expressions that overlap a protected name without being one: a variant that
#: contains one of them is ordinary text. 全国人大常委 is a member's title (全国人大常委今年…
#: is not 全国人大常委会 misspelt); 科学发展 is a phrase of its own (推动科学发展关键在…).
OVERLAPPING_EXPRESSIONS = ("全国人大常委", "科学发展")

KINDS = ("leader", "state", "party", "organ", "formula")
SEVERITIES = ("veto", "major", "minor", "info")
NAME_ERROR = {
    "leader": "国家领导人姓名错误",
    "state": "国名错误",
    "party": "党的名称错误",
    "organ": "国家机关名称错误",
    "formula": "重要提法错误",
}
EDIT_NOTE = {
    "homophone": "同音字",
    "near": "近音字",
    "lookalike": "形近字",
    "drop": "漏字",
    "double": "重字",
    "swap": "颠倒",
}

# Confusable initials and finals of Mandarin (the fuzzy-pinyin options of common IMEs).
_INITIAL_SWAPS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("z", "zh"), ("c", "ch"), ("s", "sh"),
                  ("n", "l"), ("l", "n"))
_FINAL_SWAPS = (("ang", "an"), ("eng", "en"), ("ing", "in"), ("an", "ang"), ("en", "eng"), ("in", "ing"))

# About the 120 most common Chinese surnames, roughly in the order of the yearly rankings of
# the household registers (公安部户籍管理研究中心). A leader with one of these surnames
# shares the short variants of his name with ordinary people (see Generator.person_like).
COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
    "魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付傅方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾"
    "龚邵万覃武钱戴严莫孔向常汤康易乔赖文施洪辛柯庄葛牛鲁殷岳欧樊颜阎倪兰齐柳季关祝温左邢骆车"
)
# Context that makes a person-like variant a leader's name: a national title right before it
# (国务院总理李墙), or right after it (李墙总理). Titles that local officials also carry
# (主席, 书记, 主任, 同志: 县政协主席李前, 任命李倩同志为…) are left out on purpose.
LEADER_BEFORE = (r"(?:总书记|国家主席|国家副主席|总理|委员长|全国政协主席|中央纪委书记|书记处书记"
                 r"|政治局常委|政治局委员|中央领导同志)[、，\s]*$")
LEADER_AFTER = r"\s*(?:总书记|总理|副总理|委员长)"

HEADER = ("term", "category", "severity", "suggestion", "before", "after", "note", "source")
CATEGORY = "severe_error"


class SourceError(ValueError):
    """A source file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Name:
    name: str
    kind: str
    severity: str


@dataclass(frozen=True)
class Variant:
    term: str
    name: Name
    edit: str  # a key of EDIT_NOTE
    detail: str  # for the source column


@dataclass(frozen=True)
class Row:
    term: str
    severity: str
    suggestion: str
    before: str
    after: str
    note: str
    source: str

    def cells(self) -> tuple[str, ...]:
        return (self.term, CATEGORY, self.severity, self.suggestion, self.before, self.after, self.note, self.source)


# --------------------------------------------------------------------------- inputs

def _read_tsv(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = None
    with open(path, encoding="utf-8", newline="") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip() or raw.startswith("#"):
                continue
            cells = [c.strip() for c in raw.rstrip("\r\n").split("\t")]
            if header is None:
                header = cells
                if sorted(header) != sorted(columns):
                    raise SourceError(f"{path}:{n}: 表头应为 {' '.join(columns)}（以制表符分隔）")
                continue
            if len(cells) != len(header):
                raise SourceError(f"{path}:{n}: 应有 {len(header)} 列，实际为 {len(cells)} 列")
            rows.append((n, dict(zip(header, cells))))
    return rows


def read_names(path: Path = NAMES_FILE) -> list[Name]:
    names: dict[str, Name] = {}
    for n, row in _read_tsv(path, ("name", "kind", "severity", "source")):
        if row["kind"] not in KINDS:
            raise SourceError(f"{path}:{n}: 未知的 kind {row['kind']!r}，应为 {'/'.join(KINDS)}")
        if row["severity"] not in SEVERITIES:
            raise SourceError(f"{path}:{n}: 未知的 severity {row['severity']!r}，应为 {'/'.join(SEVERITIES)}")
        if not row["source"]:
            raise SourceError(f"{path}:{n}: source 不能为空")
        if row["name"] in names:
            raise SourceError(f"{path}:{n}: 重复的名称 {row['name']}")
        if sum(map(_is_han, row["name"])) < 2:
            raise SourceError(f"{path}:{n}: 名称至少应有两个汉字")
        names[row["name"]] = Name(row["name"], row["kind"], row["severity"])
    return [names[k] for k in sorted(names)]


def read_lookalikes(path: Path = LOOKALIKE_FILE) -> dict[str, tuple[str, ...]]:
    pairs: dict[str, set[str]] = {}
    for n, row in _read_tsv(path, ("char", "lookalike", "source")):
        char, other = row["char"], row["lookalike"]
        if len(char) != 1 or len(other) != 1 or char == other or not (_is_han(char) and _is_han(other)):
            raise SourceError(f"{path}:{n}: char 和 lookalike 应为两个不同的汉字")
        if not row["source"]:
            raise SourceError(f"{path}:{n}: source 不能为空")
        pairs.setdefault(char, set()).add(other)
    return {c: tuple(sorted(v)) for c, v in sorted(pairs.items())}


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


@functools.lru_cache(maxsize=None)
def _is_common_han(ch: str) -> bool:
    """A GB 2312 level-1 character (一级常用汉字, rows 16–55: first byte 0xB0–0xD7)."""
    try:
        encoded = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and 0xB0 <= encoded[0] <= 0xD7


def _lexicon_terms(path: Path, column: str) -> set[str]:
    """Values of one column of a lexicon file (missing column → empty)."""
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [raw.rstrip("\r\n") for raw in fh if raw.strip() and not raw.startswith("#")]
    if not lines:
        return set()
    header = [h.strip() for h in lines[0].split("\t")]
    if column not in header:
        return set()
    i = header.index(column)
    values = set()
    for raw in lines[1:]:
        cells = next(csv.reader([raw], delimiter="\t", quoting=csv.QUOTE_NONE))
        if i < len(cells) and cells[i].strip():
            values.add(cells[i].strip())
    return values


def listed_elsewhere(lexicon_dir: Path = LEXICON_DIR) -> set[str]:
    """Normalised terms of every other bundled lexicon: generating them again would give two
    findings for one error (or fight an allow entry)."""
    from .lexicon import normalize

    terms: set[str] = set()
    for path in sorted(lexicon_dir.glob("*.tsv")):
        if path.name != OUTPUT_FILE.name:
            terms |= {normalize(t).text for t in _lexicon_terms(path, "term")}
    return terms


# --------------------------------------------------------------------------- jieba and pinyin

@functools.lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.check_initialized()
    return tokenizer


def word_freq(word: str) -> int:
    """Frequency of a jieba dictionary word; 0 for a non-word (jieba also stores every
    prefix of a word with frequency 0)."""
    return _tokenizer().FREQ.get(word, 0)


@functools.lru_cache(maxsize=1)
def _long_word_pieces() -> frozenset[str]:
    """Every substring of 4+ characters of a jieba word of 5+ characters: a variant among
    them occurs inside an ordinary word, where the boundary check (terms of ≤ 3 characters
    only) would not save it."""
    pieces: set[str] = set()
    for word, freq in _tokenizer().FREQ.items():
        if freq <= 0 or len(word) < 5:
            continue
        for i in range(len(word)):
            for j in range(i + 4, len(word) + 1):
                if j - i < len(word):
                    pieces.add(word[i:j])
    return frozenset(pieces)


def _segments_into_common_words(text: str) -> bool:
    """jieba (HMM off) cuts `text` into common words only, at least one of 2+ characters:
    for 3 characters or less that is enough (国务员 = 国务/员); longer text may hold single
    characters only if they are function words (中国是现代化 = 中国/是/现代化).

    Single characters alone never count: jieba lacks 六国, so 六国中 (from 刘国中) is 六/国/中
    like any misspelt name; short variants of such leaders' names need a title instead
    (Generator.person_like)."""
    tokens = list(_tokenizer().cut(text, HMM=False))
    if not all(word_freq(t) >= COMMON_WORD_FREQ for t in tokens) or all(len(t) == 1 for t in tokens):
        return False
    if len(text) <= 3:
        return True
    return all(len(t) >= 2 or t in FUNCTION_WORDS for t in tokens)


@functools.lru_cache(maxsize=1)
def inventory() -> dict[str, int]:
    """The INVENTORY_SIZE most frequent Han characters of jieba's dictionary → rank (0 first).

    A character's frequency is the sum of the frequencies of the dictionary words that
    contain it (counted once per occurrence); ties are broken by code point."""
    counts: Counter[str] = Counter()
    for word, freq in _tokenizer().FREQ.items():
        if freq > 0:
            for ch in word:
                if _is_common_han(ch):
                    counts[ch] += freq
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:INVENTORY_SIZE]
    return {ch: rank for rank, (ch, _) in enumerate(ranked)}


def _pinyin(ch: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(ch)[0]


@functools.lru_cache(maxsize=1)
def _by_pinyin() -> dict[str, tuple[str, ...]]:
    """Toneless pinyin → inventory characters with that (default) reading, most frequent first."""
    table: dict[str, list[str]] = {}
    for ch, _ in sorted(inventory().items(), key=lambda kv: kv[1]):
        table.setdefault(_pinyin(ch), []).append(ch)
    return {k: tuple(v) for k, v in table.items()}


def name_pinyin(name: str) -> list[str | None]:
    """Toneless pinyin of each character of `name` (read in context: 乐 in 赵乐际 is le);
    None for a non-Han character."""
    from pypinyin import lazy_pinyin

    out: list[str | None] = []
    i = 0
    while i < len(name):
        if not _is_han(name[i]):
            out.append(None)
            i += 1
            continue
        j = i
        while j < len(name) and _is_han(name[j]):
            j += 1
        out.extend(lazy_pinyin(name[i:j]))
        i = j
    return out


def near_syllables(syllable: str) -> list[str]:
    """Syllables one common confusion away (an initial or a final, not both)."""
    out: list[str] = []
    for a, b in _INITIAL_SWAPS:
        if syllable.startswith(a) and not (a in ("z", "c", "s") and syllable[1:2] == "h"):
            out.append(b + syllable[len(a):])
            break
    for a, b in _FINAL_SWAPS:
        if syllable.endswith(a):
            out.append(syllable[: -len(a)] + b)
            break
    return [s for s in out if s != syllable]


# --------------------------------------------------------------------------- generation

def _replace(name: str, i: int, ch: str) -> str:
    return name[:i] + ch + name[i + 1:]


def _substitutions(name: Name, lookalikes: dict[str, tuple[str, ...]]):
    """(edit, position, [(candidate, detail)]) in a fixed order; homophones most frequent first."""
    readings = name_pinyin(name.name)
    table = _by_pinyin()
    rank = inventory()
    for i, ch in enumerate(name.name):
        py = readings[i]
        if py is None:
            continue
        yield "homophone", i, [(c, f"homophone of {ch} ({py})") for c in table.get(py, ()) if c != ch]
        near = sorted((rank[c], c, syl) for syl in near_syllables(py) for c in table.get(syl, ()) if c != ch)
        yield "near", i, [(c, f"near-homophone of {ch} ({py}→{syl})") for _, c, syl in near]
        yield "lookalike", i, [(c, f"look-alike of {ch}") for c in lookalikes.get(ch, ())]


def _han_positions(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if _is_han(ch)]


def _structural(name: Name):
    text = name.name
    han = _han_positions(text)
    if len(han) >= 4:
        for i in han:
            yield Variant(text[:i] + text[i + 1:], name, "drop", f"{text[i]} dropped from {text}")
    if len(han) >= 3:
        for i in han:
            yield Variant(text[:i] + text[i] + text[i:], name, "double", f"{text[i]} doubled in {text}")
    for i in han:
        j = i + 1
        if j < len(text) and _is_han(text[j]) and text[i] != text[j]:
            yield Variant(text[:i] + text[j] + text[i] + text[j + 1:], name, "swap",
                          f"{text[i]}{text[j]} swapped in {text}")


class Generator:
    def __init__(self, names: list[Name], lookalikes: dict[str, tuple[str, ...]],
                 correct_forms: set[str], elsewhere: set[str]) -> None:
        self.names = names
        self.lookalikes = lookalikes
        self.correct = sorted(correct_forms | {n.name for n in names} | set(OVERLAPPING_EXPRESSIONS))
        self.elsewhere = elsewhere

    # -- filters
    def touches_correct_form(self, term: str) -> bool:
        return any(term in c or c in term for c in self.correct)

    def is_ordinary_text(self, term: str) -> bool:
        return (word_freq(term) > 0 or term in _long_word_pieces()
                or _segments_into_common_words(term))

    def acceptable(self, term: str) -> bool:
        return not self.touches_correct_form(term) and not self.is_ordinary_text(term)

    # -- variants
    def variants(self, name: Name) -> list[Variant]:
        out: list[Variant] = []
        for edit, i, candidates in _substitutions(name, self.lookalikes):
            # the cap picks the most frequent candidates *before* filtering: a position whose
            # likely errors are ordinary words gets fewer rows, not rarer characters
            cap = {"homophone": HOMOPHONE_CAP, "near": NEAR_HOMOPHONE_CAP}.get(edit, len(candidates))
            for ch, detail in candidates[:cap]:
                term = _replace(name.name, i, ch)
                if self.acceptable(term):
                    out.append(Variant(term, name, edit, f"{detail} in {name.name}"))
        for variant in _structural(name):
            if self.acceptable(variant.term):
                out.append(variant)
        return out

    @staticmethod
    def person_like(variant: Variant) -> bool:
        """A variant of a leader's name that could be an ordinary person's name or ordinary
        text: 3 characters or less, of a name with a common surname (李墙, 江泽明, 刘国忠;
        六国中 from 刘国中). 习 is rare as a surname, so 习近苹 needs no context."""
        return (variant.name.kind == "leader" and len(variant.term) <= 3
                and variant.name.name[0] in COMMON_SURNAMES)

    def rows(self) -> list[Row]:
        from .lexicon import normalize

        rows: list[Row] = []
        seen: set[str] = set()
        for name in self.names:
            for v in self.variants(name):
                key = normalize(v.term).text
                if key in seen or key in self.elsewhere:
                    continue
                seen.add(key)
                note = f"{NAME_ERROR[name.kind]}（{EDIT_NOTE[v.edit]}）"
                source = f"generated: {v.detail}"
                if self.person_like(v):
                    rows.append(Row(v.term, name.severity, name.name, LEADER_BEFORE, "", note,
                                    source + "; only right after a national title"))
                    rows.append(Row(v.term, name.severity, name.name, "", LEADER_AFTER, note,
                                    source + "; only right before a national title"))
                else:
                    rows.append(Row(v.term, name.severity, name.name, "", "", note, source))
        return rows


def generate(names_file: Path = NAMES_FILE, lookalike_file: Path = LOOKALIKE_FILE,
             lexicon_dir: Path = LEXICON_DIR) -> list[Row]:
    """The rows of lexicons/protected_generated.tsv, from the two source files and the other
    bundled lexicons in `lexicon_dir`."""
    names = read_names(names_file)
    hand_written = lexicon_dir / HAND_WRITTEN_FILE.name
    correct = _lexicon_terms(hand_written, "suggestion") if hand_written.exists() else set()
    generator = Generator(names, read_lookalikes(lookalike_file), correct, listed_elsewhere(lexicon_dir))
    return generator.rows()


def render(rows: list[Row]) -> str:
    counts = Counter(r.note[r.note.index("（") + 1:-1] for r in rows)
    lines = [
        "# GENERATED by `python -m monitor.lexgen` from lexicons/sources/protected_names.tsv and",
        "# lexicons/sources/lookalike.tsv. Do not edit: change the sources and regenerate",
        "# (CI runs `python -m monitor.lexgen --check`). How variants are made and filtered:",
        "# monitor/lexgen.py. Rows with a `before` or `after` condition are short variants of",
        "# leaders' names that ordinary people's names share: flagged only next to a national title.",
        f"# {len(rows)} rows: " + ", ".join(f"{EDIT_NOTE[k]} {counts[EDIT_NOTE[k]]}" for k in EDIT_NOTE),
        "\t".join(HEADER),
    ]
    lines.extend("\t".join(row.cells()) for row in rows)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor.lexgen",
                                     description="生成受保护名称的错误写法词库 lexicons/protected_generated.tsv")
    parser.add_argument("--check", action="store_true", help="只检查：已提交的文件与重新生成的结果不同则退出码为 1")
    parser.add_argument("--output", type=Path, default=OUTPUT_FILE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        text = render(generate())
    except SourceError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} 与词库来源不一致，请运行 python -m monitor.lexgen 重新生成", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"已写入 {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
