"""Turn documents into text for the checks: drafts (`govmon check-text`) now, and the
attachments the site spider downloads later. One reader per file type.

Supported: .txt (UTF-8, else GB18030), .html/.htm/.shtml (main text + page chrome).
Not read yet: .docx, .pdf, .xlsx/.xls, .csv, .doc/.wps — they get a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .extract.encoding import decode_html
from .extract.page import extract_page

TEXT_TYPES = (".txt",)
HTML_TYPES = (".html", ".htm", ".shtml")
SUPPORTED = TEXT_TYPES + HTML_TYPES


class ReaderError(ValueError):
    """A document that cannot be turned into text; the message is for people."""


@dataclass
class Document:
    text: str
    published: date | None = None
    title: str | None = None


def read_txt(data: bytes) -> Document:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return Document(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise ReaderError("无法识别文本编码（应为 UTF-8 或 GBK）")


def read_html(data: bytes, url: str = "file:///") -> Document:
    html, _ = decode_html(data)
    page = extract_page(html, url)
    if page.error:
        raise ReaderError(f"无法解析 HTML：{page.error}")
    parts = [page.main_text, *page.chrome_blocks]
    return Document("\n".join(p for p in parts if p), page.published, page.title or None)


def read_document(data: bytes, name: str) -> Document:
    """Text of a document by its file name's extension."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise ReaderError(f"暂不支持 {suffix or '无扩展名'} 文件；目前支持：{' '.join(SUPPORTED)}"
                          "（.docx .pdf .xlsx 等格式的读取尚在开发中）")
    if not data.strip():
        raise ReaderError("文件为空")
    if suffix in TEXT_TYPES:
        return read_txt(data)
    return read_html(data)
