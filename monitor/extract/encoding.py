"""Bytes → text for Chinese government pages (UTF-8 or the GB family, often mislabelled)."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_SNIFF_BYTES = 4096
# An undeclared page that is UTF-8 or GB18030 but for a few broken characters (at most this
# many, or this share of the text) is read as such rather than guessed at.
_FEW_ERRORS, _FEW_ERRORS_SHARE = 8, 0.01

# Checked longest first: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# GB2312 and GBK pages routinely contain characters only GBK/GB18030 have (镕, 堃, 喆 …).
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "gb_2312-80", "csgb2312", "euc-cn", "cp936", "ms936"}

# Default charsets of misconfigured servers; a Chinese page is practically never really in one.
_WEAK = {"ascii", "iso8859-1", "cp1252"}

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']\s*([a-z0-9_:.\-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)""", re.I)


def normalize_charset(name: str | None) -> str | None:
    """Python codec name for a charset label; the GB family becomes gb18030; None if unknown."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    if label in _GB_FAMILY:
        return "gb18030"
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        return None
    return "gb18030" if codec in _GB_FAMILY else codec


def sniff_declared_charset(body: bytes) -> str | None:
    """Charset from `<meta charset>`, `<meta http-equiv … charset=…>` or `<?xml encoding>` in the first 4 KB."""
    head = body[:_SNIFF_BYTES]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if not match:
        return None
    return match.group(1).decode("ascii", "replace").lower()


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode an HTML body; return (text, encoding). Never raises.

    ``declared`` is the HTTP charset (a bare label or a whole Content-Type value).
    Order: BOM; declared or sniffed charset, unless it fails strictly and UTF-8 or
    GB18030 decodes cleanly; then strict UTF-8, strict GB18030, UTF-8 or GB18030 with
    a few broken characters, charset-normalizer, and finally UTF-8 with replacement
    characters.
    """
    if not body:
        return "", "utf-8"
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace"), codec

    charset = _declared_codec(declared)
    if charset is None:
        sniffed = normalize_charset(sniff_declared_charset(body))
        # An ASCII-compatible document cannot really be UTF-16/32 (HTML spec: treat as UTF-8).
        charset = "utf-8" if sniffed and sniffed.startswith(("utf-16", "utf-32")) else sniffed

    if charset is not None and charset not in _WEAK:
        return _decode_declared(body, charset)

    for codec in ("utf-8", "gb18030"):
        text = _strict(body, codec)
        if text is not None:
            return text, codec
    if charset is not None:  # a weak declaration (ISO-8859-1 …) still beats guessing
        return body.decode(charset, errors="replace"), charset
    nearly = _nearly_clean(body)
    if nearly is not None:
        return nearly
    best = _guess(body)
    if best is not None:
        return best
    return body.decode("utf-8", errors="replace"), "utf-8"


def _declared_codec(declared: str | None) -> str | None:
    if not declared:
        return None
    match = _HEADER_CHARSET.search(declared)
    if match:
        return normalize_charset(match.group(1))
    if "/" in declared or ";" in declared:  # a Content-Type without a charset
        return None
    return normalize_charset(declared)


def _decode_declared(body: bytes, charset: str) -> tuple[str, str]:
    # A GB-declared page that is valid UTF-8 with non-ASCII bytes is UTF-8: real GBK text
    # is practically never valid UTF-8, while UTF-8 often decodes "cleanly" as GB18030 mojibake.
    if charset == "gb18030" and not body.isascii():
        text = _strict(body, "utf-8")
        if text is not None:
            return text, "utf-8"
    text = _strict(body, charset)
    if text is not None:
        return text, charset
    for codec in ("utf-8", "gb18030"):
        if codec != charset:
            text = _strict(body, codec)
            if text is not None:
                return text, codec
    # Nothing decodes cleanly (a stray byte, a truncated page): fewest replacements wins,
    # the declared charset on ties.
    scored = []
    for rank, codec in enumerate(dict.fromkeys((charset, "utf-8", "gb18030"))):
        text = body.decode(codec, errors="replace")
        scored.append((text.count("\ufffd"), rank, text, codec))
    _, _, text, codec = min(scored)
    return text, codec


def _strict(body: bytes, codec: str) -> str | None:
    """Strict decode that tolerates one character cut off at the end of the body."""
    try:
        decoder = codecs.getincrementaldecoder(codec)(errors="strict")
        return decoder.decode(body, final=False)
    except (UnicodeDecodeError, LookupError):
        return None


def _nearly_clean(body: bytes) -> tuple[str, str] | None:
    """UTF-8 or GB18030 with a few broken bytes (a stray byte, a character cut in two where a
    CMS truncated a summary): the one with fewer replacement characters, when they are rare.
    Guessing instead turned such a GBK page into Cyrillic mojibake, and every check missed."""
    scored = []
    for rank, codec in enumerate(("utf-8", "gb18030")):
        text = body.decode(codec, errors="replace")
        scored.append((text.count("\ufffd"), rank, text, codec))
    errors, _, text, codec = min(scored)
    return (text, codec) if errors <= max(_FEW_ERRORS, len(text) * _FEW_ERRORS_SHARE) else None


def _guess(body: bytes) -> tuple[str, str] | None:
    try:
        best = charset_normalizer.from_bytes(body).best()
    except Exception:  # third-party heuristics: never let them break decoding
        return None
    if best is None or best.encoding is None:
        return None
    codec = normalize_charset(best.encoding) or best.encoding
    try:
        return body.decode(codec, errors="replace"), codec
    except LookupError:
        return None
