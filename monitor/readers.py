"""Turn documents into text for the checks: drafts (`govmon check-text`) now, and the
attachments the site spider downloads later. One reader per file type.

Supported: .txt (UTF-8, else GB18030), .html/.htm/.shtml (main text + page chrome),
.docx, .pdf (text layer only), .xlsx, .xls and .csv. Not read: .doc/.wps/.et/.ppt and
the like — they get a clear error that says to save as .docx/.xlsx.

Layout of the text (the checks rely on it): one paragraph per line; every table row —
Word tables, spreadsheet rows, CSV records — on one line with its cells separated by tabs
(line breaks inside a cell become spaces), so that a name and an ID number in the same row
are on the same line. Spreadsheets put each sheet's name on a line before its rows and
print cells the way Excel shows them: dates as YYYY-MM-DD, whole numbers without ".0",
long numbers as digits (never 5.2E+17). Offsets and line numbers of findings refer to
this text, not to positions in the original file.

The file type is chosen by extension, but the bytes win when they clearly are something
else: a ".xls" that is really an HTML page or tab-separated text (common in CMS exports),
a ".xlsx" that is really an old .xls, a ".doc" saved as a web page, and so on.

Untrusted input: files over MAX_FILE_BYTES are refused; zip-based files (.docx, .xlsx)
are checked before a reader opens them — members' declared total size and compression
ratio, then each member decompressed in bounded chunks to make sure it is no bigger than
declared; the text, spreadsheet cells and rows and PDF pages are capped. Every failure is
a ReaderError with a message for people, never a traceback.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import logging
import math
import re
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable, Iterator

from .extract.encoding import decode_html
from .extract.page import extract_page

TEXT_TYPES = (".txt",)
HTML_TYPES = (".html", ".htm", ".shtml")
WORD_TYPES = (".docx",)
PDF_TYPES = (".pdf",)
SHEET_TYPES = (".xlsx", ".xls", ".csv")
SUPPORTED = TEXT_TYPES + HTML_TYPES + WORD_TYPES + PDF_TYPES + SHEET_TYPES

#: types that are recognised but not read, with what they are
NOT_SUPPORTED = {
    ".doc": "Word 97-2003 文档",
    ".wps": "WPS 文字文档",
    ".et": "WPS 表格",
    ".ett": "WPS 表格模板",
    ".ppt": "PowerPoint 97-2003 演示文稿",
    ".pptx": "PowerPoint 演示文稿",
    ".dps": "WPS 演示文稿",
    ".odt": "OpenDocument 文本",
    ".ods": "OpenDocument 表格",
    ".rtf": "RTF 文档",
    ".ofd": "OFD 版式文件",
}

MB = 1024 * 1024
#: larger files are refused before anything is parsed
MAX_FILE_BYTES = 50 * MB
#: a .docx/.xlsx whose members add up to more than this when decompressed is refused
MAX_UNZIPPED_BYTES = 200 * MB
#: … as is one with a member over 1 MB that decompresses to more than this many times its size
MAX_ZIP_RATIO = 200
_RATIO_FLOOR = 1 * MB
#: … or with more members than this
MAX_ZIP_MEMBERS = 10_000
#: at most this many characters of text per document
MAX_TEXT_CHARS = 10_000_000
#: at most this many spreadsheet cells (including empty ones inside rows) per document
MAX_CELLS = 2_000_000
#: at most this many spreadsheet rows (including empty ones) per document
MAX_ROWS = 10_000_000
#: at most this many PDF pages
MAX_PDF_PAGES = 5_000

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class ReaderError(ValueError):
    """A document that cannot be turned into text; the message is for people."""


@dataclass
class Document:
    text: str
    published: date | None = None
    title: str | None = None


# ------------------------------------------------------------------------- errors

def _corrupt(suffix: str) -> ReaderError:
    return ReaderError(f"无法读取 {suffix} 文件（文件已损坏或格式不符）")


def _unsupported(suffix: str, actual: str | None = None) -> ReaderError:
    what = (f"这个 {suffix} 文件实际是 {actual}，暂不支持" if actual
            else f"暂不支持 {suffix} 文件（{NOT_SUPPORTED.get(suffix, '未知格式')}）")
    return ReaderError(
        f"{what}。不能读取的格式：{' '.join(NOT_SUPPORTED)}；"
        "请用 Word 或 WPS 另存为 .docx（表格另存为 .xlsx，演示文稿另存为 .pdf）后再检查"
    )


def _office_encrypted() -> ReaderError:
    return ReaderError("文件已加密（设置了打开密码），无法读取；请取消密码后再检查")


_PDF_ENCRYPTED = "PDF 文件已加密，无法读取（需要打开密码）；请取消密码后再检查"
_ZIP_BOMB = "解压后过大，可能是恶意构造的压缩文件，已拒绝读取"


class _Budget:
    """Counts text characters and spreadsheet cells; raises once a cap is passed."""

    def __init__(self) -> None:
        self.chars = 0
        self.cells = 0
        self.rows = 0

    def text(self, n: int) -> None:
        self.chars += n
        if self.chars > MAX_TEXT_CHARS:
            raise ReaderError(f"文件的文字内容过多（超过 {MAX_TEXT_CHARS} 字），无法检查")

    def row(self, cells: int) -> None:
        self.rows += 1
        self.cells += cells
        if self.cells > MAX_CELLS or self.rows > MAX_ROWS:
            raise ReaderError(f"表格过大（超过 {MAX_CELLS} 个单元格或 {MAX_ROWS} 行），无法检查")


class _Lines:
    """Output lines under a budget."""

    def __init__(self, budget: _Budget | None = None) -> None:
        self.lines: list[str] = []
        self.budget = budget or _Budget()

    def add(self, line: str) -> None:
        self.budget.text(len(line) + 1)
        self.lines.append(line)

    def text(self) -> str:
        return "\n".join(self.lines)


@contextlib.contextmanager
def _quiet(logger: str | None = None) -> Iterator[None]:
    """Parsers of untrusted files warn a lot (odd styles, broken cross-references): keep
    that out of the output — the message of a ReaderError is what people see."""
    log = logging.getLogger(logger) if logger else None
    level = log.level if log else 0
    if log:
        log.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        if log:
            log.setLevel(level)


_CELL_SPACE = re.compile(r"[\t\r\n\v\f\x85\u2028\u2029]+")


def _cell(text: str) -> str:
    """A cell's text on one line: tabs and line breaks become a space."""
    return _CELL_SPACE.sub(" ", text).strip()


def _row(cells: list[str]) -> str:
    """Cells as one tab-separated line; trailing empty cells dropped."""
    while cells and not cells[-1]:
        cells.pop()
    return "\t".join(cells)


# ------------------------------------------------------------------- plain and HTML

def _decode_text(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReaderError("无法识别文本编码（应为 UTF-8 或 GBK）")


def read_txt(data: bytes) -> Document:
    return Document(_decode_text(data))


def read_html(data: bytes, url: str = "file:///") -> Document:
    html, _ = decode_html(data)
    page = extract_page(html, url)
    if page.error:
        raise ReaderError(f"无法解析 HTML：{page.error}")
    parts = [page.main_text, *page.chrome_blocks]
    return Document("\n".join(p for p in parts if p), page.published, page.title or None)


# --------------------------------------------------------------------------- zip

def _zip_infos(data: bytes, suffix: str) -> list[zipfile.ZipInfo]:
    """The members of a zip-based file, refused when their declared sizes look like a
    zip bomb: too many members, too much in total, or an absurd compression ratio."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, IndexError, KeyError, struct.error) as exc:
        raise _corrupt(suffix) from exc
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ReaderError(f"{suffix} 文件包含的部件过多（{len(infos)} 个），可能是恶意构造的文件，已拒绝读取")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise ReaderError(f"{suffix} 文件{_ZIP_BOMB}（解压后 {total / MB:.0f} MB，"
                          f"上限 {MAX_UNZIPPED_BYTES // MB} MB）")
    for info in infos:
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise ReaderError(f"{suffix} 文件{_ZIP_BOMB}（压缩比异常：约 "
                              f"{info.file_size // max(info.compress_size, 1)} 倍）")
    return infos


_INFLATE_CHUNK = 256 * 1024


def _inflate_problem(data: bytes, info: zipfile.ZipInfo) -> str | None:
    """"bomb" when the member's compressed data really decompresses to more than its
    declared size, "corrupt" when it cannot be decompressed, else None. zipfile trusts
    the declared size only to cut the output — it inflates all of a member's compressed
    data in one go first — so a member that lies about its size would blow up in the
    reader. This decompresses in bounded chunks and stops early."""
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return "corrupt"  # encrypted or an unusual method: Office files never use them
    offset = info.header_offset
    if data[offset:offset + 4] != b"PK\x03\x04" or len(data) < offset + 30:
        return "corrupt"
    name_len, extra_len = struct.unpack_from("<HH", data, offset + 26)
    start = offset + 30 + name_len + extra_len
    raw = memoryview(data)[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        return None if len(raw) <= info.file_size else "corrupt"
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced, pos, pending = 0, 0, b""
    try:
        while not inflater.eof:
            if not pending:
                if pos >= len(raw):
                    break
                pending = bytes(raw[pos:pos + _INFLATE_CHUNK])
                pos += _INFLATE_CHUNK
            produced += len(inflater.decompress(pending, _INFLATE_CHUNK))
            if produced > info.file_size:
                return "bomb"
            pending = inflater.unconsumed_tail
    except zlib.error:
        return "corrupt"
    return None


def check_zip(data: bytes, suffix: str) -> list[str]:
    """Member names of a zip-based file (.docx, .xlsx), after refusing zip bombs: too
    many members, too much in total when decompressed, an absurd compression ratio, or
    a member that decompresses to more than it declares. Run before any reader opens it."""
    infos = _zip_infos(data, suffix)
    for info in infos:
        problem = _inflate_problem(data, info)
        if problem == "bomb":
            raise ReaderError(f"{suffix} 文件{_ZIP_BOMB}（实际解压大小超过声明的大小）")
        if problem:
            raise _corrupt(suffix)
    return [info.filename for info in infos]


def _zip_kind(data: bytes, suffix: str) -> str:
    names = [info.filename for info in _zip_infos(data, suffix)]  # the reader runs check_zip
    tops = {name.split("/", 1)[0] for name in names}
    if "word" in tops:
        return "docx"
    if "xl/workbook.bin" in names:
        raise _unsupported(suffix, "Excel 二进制工作簿（.xlsb）")
    if "xl" in tops:
        return "xlsx"
    if "ppt" in tops:
        raise _unsupported(suffix, "PowerPoint 演示文稿（.pptx）")
    if "mimetype" in names:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo("mimetype")
            mimetype = zf.read(info)[:100] if info.file_size <= 100 else b""
        if b"spreadsheet" in mimetype:
            raise _unsupported(suffix, "OpenDocument 表格（.ods）")
        if b"opendocument" in mimetype:
            raise _unsupported(suffix, "OpenDocument 文档（.odt 等）")
    if "OFD.xml" in names:
        raise _unsupported(suffix, "OFD 版式文件（.ofd）")
    raise _corrupt(suffix)


# --------------------------------------------------------------------------- docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_WORD_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
}
# never text: properties, deleted text (tracked changes), field codes, the duplicate
# old-style copy of a drawing
_DOCX_SKIP = {
    _W + "pPr", _W + "rPr", _W + "tblPr", _W + "trPr", _W + "tcPr", _W + "sectPr",
    _W + "tblGrid", _W + "del", _W + "moveFrom", _W + "delText", _W + "instrText",
    _W + "sdtPr", _W + "sdtEndPr", _MC_FALLBACK,
}
_DOCX_CHARS = {
    _W + "tab": "\t", _W + "ptab": "\t", _W + "br": "\n", _W + "cr": "\n",
    _W + "noBreakHyphen": "-",
}
_DOCX_CONTAINERS = {_W + "sdt", _W + "sdtContent", _W + "customXml", _W + "ins",
                    _W + "moveTo", _W + "smartTag", _W + "txbxContent", _W + "body",
                    _W + "hdr", _W + "ftr", _W + "footnote", _W + "endnote",
                    _W + "footnotes", _W + "endnotes"}


def _docx_blocks(container: Any, out: _Lines) -> None:
    """Paragraphs and tables under `container`, in document order, onto `out`."""
    for child in container:
        tag = child.tag
        if not isinstance(tag, str) or tag in _DOCX_SKIP:
            continue
        if tag == _W + "p":
            boxes: list[Any] = []
            parts: list[str] = []
            _docx_runs(child, parts, boxes)
            for line in "".join(parts).split("\n"):
                if line.strip():
                    out.add(line.strip())
            for box in boxes:
                _docx_blocks(box, out)
        elif tag == _W + "tbl":
            for tr in _docx_rows(child):
                cells = [_docx_cell(tc, out.budget) for tc in _docx_cells(tr)]
                line = _row(cells)
                if line.strip():
                    out.add(line)
        else:  # content controls, custom XML, tracked insertions: look inside
            _docx_blocks(child, out)


def _docx_runs(el: Any, parts: list[str], boxes: list[Any]) -> None:
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _DOCX_SKIP:
            continue
        if tag == _W + "t":
            parts.append(child.text or "")
        elif tag in _DOCX_CHARS:
            parts.append(_DOCX_CHARS[tag])
        elif tag == _W + "txbxContent":
            boxes.append(child)  # a text box: its own lines after the paragraph
        else:
            _docx_runs(child, parts, boxes)


def _docx_rows(tbl: Any) -> Iterator[Any]:
    for child in tbl:
        if child.tag == _W + "tr":
            yield child
        elif child.tag in _DOCX_CONTAINERS:
            yield from _docx_rows(child)


def _docx_cells(tr: Any) -> Iterator[Any]:
    for child in tr:
        if child.tag == _W + "tc":
            yield child
        elif child.tag in _DOCX_CONTAINERS:
            yield from _docx_cells(child)


def _docx_cell(tc: Any, budget: _Budget) -> str:
    inner = _Lines(budget)
    _docx_blocks(tc, inner)
    return _cell(" ".join(inner.lines))


def _xml(part: Any) -> Any:
    element = getattr(part, "element", None)
    if element is not None:
        return element
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(part.blob, parser)


def read_docx(data: bytes) -> Document:
    """Body (paragraphs, tables, text boxes, content controls, tracked insertions — not
    deletions), then headers and footers, then footnotes and endnotes."""
    check_zip(data, ".docx")
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.package import Package

    out = _Lines()
    try:
        with _quiet():
            main = Package.open(io.BytesIO(data)).main_document_part
            if main.content_type not in _WORD_MAIN_TYPES:
                raise _corrupt(".docx")
            root = _xml(main)
            body = root.find(_W + "body")
            if body is None:
                raise _corrupt(".docx")
            _docx_blocks(body, out)
            # sections often repeat the same header text in several parts: once is enough
            seen: set[tuple[str, ...]] = set()
            rels = [r for r in main.rels.values() if not r.is_external]
            order = (RT.HEADER, RT.FOOTER, RT.FOOTNOTES, RT.ENDNOTES)
            parts = {r.target_part: order.index(r.reltype) for r in rels if r.reltype in order}
            for part in sorted(parts, key=lambda p: (parts[p], str(p.partname))):
                extra = _Lines(out.budget)
                _docx_blocks([_xml(part)], extra)
                if extra.lines and tuple(extra.lines) not in seen:
                    seen.add(tuple(extra.lines))
                    out.lines.extend(extra.lines)
    except ReaderError:
        raise
    except Exception as exc:  # untrusted input: any parser failure is a damaged file
        raise _corrupt(".docx") from exc
    return Document(out.text())


# ---------------------------------------------------------------------------- pdf

def read_pdf(data: bytes) -> Document:
    """The text layer, page by page (pypdf). A scan without text is an error: checking
    nothing must not look like a clean result."""
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, WrongPasswordError

    out = _Lines()
    try:
        with _quiet("pypdf"):
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise ReaderError(_PDF_ENCRYPTED)
            pages = len(reader.pages)
            if pages > MAX_PDF_PAGES:
                raise ReaderError(f"PDF 页数过多（{pages} 页，上限 {MAX_PDF_PAGES} 页），无法检查")
            for page in reader.pages:
                text = page.extract_text() or ""
                for line in text.splitlines():
                    if line.strip():
                        out.add(line.strip())
    except ReaderError:
        raise
    except (FileNotDecryptedError, WrongPasswordError, DependencyError, NotImplementedError) as exc:
        raise ReaderError(_PDF_ENCRYPTED) from exc
    except LimitReachedError as exc:
        raise ReaderError("PDF 文件的内容超出读取上限（可能是恶意构造的文件），无法检查") from exc
    except Exception as exc:  # untrusted input: any parser failure is a damaged file
        raise _corrupt(".pdf") from exc
    if not out.lines:
        raise ReaderError("PDF 文件中没有可提取的文字（可能是扫描件或图片），无法检查；请使用含文字的 PDF 或原始文稿")
    return Document(out.text())


# -------------------------------------------------------------------- spreadsheets

def format_number(value: float | int) -> str:
    """A number the way a spreadsheet shows it: integers as all their digits, floats with
    at most 15 significant digits (Excel's precision) and never in scientific notation.

    >>> format_number(520122198503121234), format_number(5.20122198503121e17), format_number(3.0)
    ('520122198503121234', '520122198503121000', '3')
    >>> format_number(0.1 + 0.2), format_number(13812345678.0)
    ('0.3', '13812345678')
    """
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    text = format(value, ".15g")
    if "e" in text:
        try:
            text = format(Decimal(text), "f")
        except InvalidOperation:  # pragma: no cover - format() always gives a valid number
            pass
    return text


def _format_datetime(value: datetime) -> str:
    if value.time() == time(0):
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M" if not value.second else "%Y-%m-%d %H:%M:%S")


def _format_time(value: time) -> str:
    return value.strftime("%H:%M" if not value.second else "%H:%M:%S")


def _cell_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _cell(value)
    if isinstance(value, (bool, int, float)):
        return format_number(value)
    if isinstance(value, datetime):
        return _format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _format_time(value)
    if isinstance(value, timedelta):
        return str(value)
    return _cell(str(value))


def _sheet(name: str | None, rows: Iterable[list[str]], out: _Lines) -> None:
    """A sheet's name on a line (unless None), then its non-empty rows; nothing at all
    for an empty sheet."""
    named = name is None
    for cells in rows:
        line = _row(cells)
        if not line.strip():
            continue
        if not named:
            out.add(_cell(name) or "工作表")
            named = True
        out.add(line)


def read_xlsx(data: bytes) -> Document:
    """Every worksheet (hidden ones too: hidden columns and sheets are where leaks hide),
    cached values of formulas."""
    check_zip(data, ".xlsx")
    import openpyxl

    out = _Lines()
    try:
        with _quiet():
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                for ws in wb.worksheets:
                    ws.reset_dimensions()  # never trust the declared size (A1:XFD1048576)
                    _sheet(ws.title, _xlsx_rows(ws, out.budget), out)
            finally:
                wb.close()
    except ReaderError:
        raise
    except Exception as exc:  # untrusted input: any parser failure is a damaged file
        raise _corrupt(".xlsx") from exc
    return Document(out.text())


def _xlsx_rows(ws: Any, budget: _Budget) -> Iterator[list[str]]:
    for row in ws.iter_rows(values_only=True):
        budget.row(len(row))
        yield [_cell_value(v) for v in row]


def read_xls(data: bytes) -> Document:
    """Excel 97-2003 workbooks (xlrd)."""
    import xlrd

    out = _Lines()
    try:
        with _quiet():
            book = xlrd.open_workbook(file_contents=data, logfile=io.StringIO(), verbosity=0,
                                      on_demand=True, ragged_rows=True)
            try:
                for index in range(book.nsheets):
                    sheet = book.sheet_by_index(index)
                    _sheet(sheet.name, _xls_rows(book, sheet, out.budget), out)
                    book.unload_sheet(index)
            finally:
                book.release_resources()
    except ReaderError:
        raise
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise _office_encrypted() from exc
        raise _corrupt(".xls") from exc
    except Exception as exc:  # untrusted input: any parser failure is a damaged file
        raise _corrupt(".xls") from exc
    return Document(out.text())


def _xls_rows(book: Any, sheet: Any, budget: _Budget) -> Iterator[list[str]]:
    import xlrd

    for r in range(sheet.nrows):
        types, values = sheet.row_types(r), sheet.row_values(r)
        budget.row(len(values))
        cells = []
        for ctype, value in zip(types, values):
            if ctype == xlrd.XL_CELL_NUMBER:
                cells.append(format_number(value))
            elif ctype == xlrd.XL_CELL_DATE:
                cells.append(_xls_date(value, book.datemode))
            elif ctype == xlrd.XL_CELL_BOOLEAN:
                cells.append("TRUE" if value else "FALSE")
            elif ctype == xlrd.XL_CELL_ERROR:
                cells.append(xlrd.error_text_from_code.get(value, "#ERR"))
            elif ctype == xlrd.XL_CELL_TEXT:
                cells.append(_cell(value))
            else:
                cells.append("")
        yield cells


def _xls_date(value: float, datemode: int) -> str:
    import xlrd

    try:
        y, m, d, hh, mm, ss = xlrd.xldate_as_tuple(value, datemode)
    except (xlrd.xldate.XLDateError, ValueError, OverflowError):
        return format_number(value)
    if (y, m, d) == (0, 0, 0):
        return _format_time(time(hh, mm, ss))
    return _format_datetime(datetime(y, m, d, hh, mm, ss))


def read_csv(data: bytes) -> Document:
    """Comma-, tab- or semicolon-separated text (UTF-8 with or without BOM, UTF-16 with a
    BOM, else GB18030); each record on one tab-separated line."""
    text = _decode_text(data)
    if "\x00" in text:
        raise _corrupt(".csv")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = max(",\t;|", key=lambda d: (first.count(d), d == ","))
    out = _Lines()

    def rows() -> Iterator[list[str]]:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            out.budget.row(len(record))
            yield [_cell(field) for field in record]

    try:
        _sheet(None, rows(), out)
    except csv.Error as exc:
        raise _corrupt(".csv") from exc
    return Document(out.text())


_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"


def read_spreadsheet_xml(data: bytes, suffix: str = ".xls") -> Document:
    """Excel 2003 XML (SpreadsheetML), which some systems export under the name .xls."""
    from lxml import etree

    out = _Lines()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _corrupt(suffix) from exc
    for ws in root.iter(_SS + "Worksheet"):
        _sheet(ws.get(_SS + "Name") or "", _ss_rows(ws, out.budget), out)
    return Document(out.text())


def _ss_rows(ws: Any, budget: _Budget) -> Iterator[list[str]]:
    for row in ws.iter(_SS + "Row"):
        cells: list[str] = []
        for cell in row.iter(_SS + "Cell"):
            index = cell.get(_SS + "Index")
            if index and index.isdigit() and len(cells) < int(index) - 1 <= 16384:
                cells.extend([""] * (int(index) - 1 - len(cells)))
            data = cell.find(_SS + "Data")
            value = "".join(data.itertext()) if data is not None else ""
            kind = data.get(_SS + "Type") if data is not None else None
            if kind == "Number":
                with contextlib.suppress(ValueError):
                    number = value.strip()
                    value = format_number(int(number) if re.fullmatch(r"-?[0-9]+", number) else float(number))
            elif kind == "DateTime" and value.endswith("T00:00:00.000"):
                value = value[:10]
            elif kind == "DateTime":
                value = value.replace("T", " ")[:19]
            cells.append(_cell(value))
        budget.row(len(cells))
        yield cells


# ---------------------------------------------------------------------- by type

_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|title|meta|link|style|script|table|tr|td|th"
    rb"|div|p|span|font|h[1-6])\b",
    re.I | re.S,
)
_MHT = re.compile(rb"^\s*(?:MIME-Version:|Content-Type:\s*multipart/related)", re.I)
_XML_SPREADSHEET = re.compile(rb"urn:schemas-microsoft-com:office:spreadsheet|progid=\"Excel\.Sheet\"")
_XML_WORD = re.compile(rb"progid=\"Word\.Document\"|schemas\.microsoft\.com/office/word/2003/wordml")


def _head(data: bytes) -> bytes:
    """The start of the file for sniffing, without a BOM (UTF-16 re-encoded as UTF-8)."""
    head = data[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", "ignore").encode("utf-8")
    return head.removeprefix(codecs.BOM_UTF8)


def _looks_text(data: bytes) -> bool:
    """Readable text (no control characters but tab and line breaks) in UTF-8/GB18030."""
    head = data[:8192]
    if b"\x00" in head and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    try:
        text = _decode_text(data)
    except ReaderError:
        return False
    return not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text[:8192])


def _cfb_has(data: bytes, stream: str) -> bool:
    """A stream of this name in an OLE2 compound file's directory (names are UTF-16LE)."""
    return (stream + "\0").encode("utf-16-le") in data


def _cfb_kind(data: bytes, suffix: str) -> str:
    if _cfb_has(data, "EncryptionInfo"):
        raise _office_encrypted()  # a .docx/.xlsx with an open password is stored this way
    if suffix in NOT_SUPPORTED:
        raise _unsupported(suffix)
    if _cfb_has(data, "Workbook") or _cfb_has(data, "Book"):
        return "xls"
    if _cfb_has(data, "WordDocument"):
        raise _unsupported(suffix, "Word 97-2003 文档（.doc）")
    if _cfb_has(data, "PowerPoint Document"):
        raise _unsupported(suffix, "PowerPoint 97-2003 演示文稿（.ppt）")
    if suffix == ".xls":
        return "xls"
    raise _corrupt(suffix)


def _kind(data: bytes, suffix: str) -> str:
    """Which reader: by extension, unless the bytes clearly are something else."""
    if suffix in TEXT_TYPES:
        return "txt"
    if suffix in HTML_TYPES:
        return "html"
    if data.startswith(_ZIP_MAGIC):
        return _zip_kind(data, suffix)
    if data.startswith(_CFB_MAGIC):
        return _cfb_kind(data, suffix)
    if b"%PDF-" in data[:1024]:
        return "pdf"
    head = _head(data).lstrip()
    if suffix == ".pdf":
        if _HTML_START.match(head):  # e.g. an error or login page saved under the attachment's name
            raise ReaderError("无法读取 .pdf 文件（文件实际是网页，不是 PDF）")
        raise _corrupt(suffix)
    if head.startswith(b"{\\rtf"):
        raise _unsupported(suffix, "RTF 文档") if suffix != ".rtf" else _unsupported(suffix)
    if _MHT.match(head):
        raise _unsupported(suffix, "单个文件网页（.mht）")
    if head.startswith(b"<?xml") or head.startswith(b"<Workbook"):
        if _XML_SPREADSHEET.search(head):
            return "xmlss"
        if _XML_WORD.search(head):
            raise _unsupported(suffix, "Word 2003 XML 文档")
    if _HTML_START.match(head) or (head.startswith(b"<?xml") and re.search(rb"<html\b", head, re.I)):
        return "html"  # a web page saved under an Office name: the usual CMS "Excel export"
    if suffix in NOT_SUPPORTED:
        raise _unsupported(suffix)
    if suffix == ".csv":
        return "csv"
    if suffix in (".xls", ".xlsx") and _looks_text(data):
        return "csv"  # tab-separated text saved as .xls, another usual CMS "Excel export"
    if suffix == ".xls":
        return "xls"  # old BIFF files are not compound documents; xlrd knows them
    raise _corrupt(suffix)


def read_document(data: bytes, name: str) -> Document:
    """Text of a document, by its file name's extension and what its bytes are."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED and suffix not in NOT_SUPPORTED:
        raise ReaderError(f"暂不支持 {suffix or '无扩展名'} 文件；目前支持：{' '.join(SUPPORTED)}")
    if len(data) > MAX_FILE_BYTES:
        raise ReaderError(f"文件过大（{len(data) / MB:.1f} MB），超过 {MAX_FILE_BYTES // MB} MB 的上限")
    if not data.strip():
        raise ReaderError("文件为空")
    kind = _kind(data, suffix)
    reader = {
        "txt": read_txt,
        "html": read_html,
        "docx": read_docx,
        "pdf": read_pdf,
        "xlsx": read_xlsx,
        "xls": read_xls,
        "csv": read_csv,
        "xmlss": lambda d: read_spreadsheet_xml(d, suffix),
    }[kind]
    document = reader(data)
    if len(document.text) > MAX_TEXT_CHARS:
        raise ReaderError(f"文件的文字内容过多（超过 {MAX_TEXT_CHARS} 字），无法检查")
    if kind not in ("txt", "html") and not document.text.strip():
        raise ReaderError("文件中没有文字内容")
    return document
