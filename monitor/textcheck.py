"""`govmon check-text`: check a draft or a saved page before it is published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from .finding import CATEGORIES, SEVERITIES, Finding
from .lexicon import Matcher
from .checks.text import check_text
from .readers import MAX_FILE_BYTES, ReaderError, read_document


class TextCheckError(Exception):
    """A file that cannot be checked; the message names the file."""


@dataclass
class TextCheckResult:
    path: Path
    text: str
    findings: list[Finding]


def check_file(path: Path, matcher: Matcher, published: date | None = None,
               whitelist: Iterable[Any] = ()) -> TextCheckResult:
    try:
        if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
            raise TextCheckError(f"{path}：文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，未读取")
        data = path.read_bytes()
    except FileNotFoundError:
        raise TextCheckError(f"{path}：文件不存在") from None
    except IsADirectoryError:
        raise TextCheckError(f"{path}：是目录，不是文件") from None
    except OSError as exc:
        raise TextCheckError(f"{path}：无法读取（{exc.strerror}）") from None
    try:
        document = read_document(data, path.name)
    except ReaderError as exc:
        raise TextCheckError(f"{path}：{exc}") from None
    when = published or document.published
    findings = sorted(check_text(document.text, matcher, when, whitelist=whitelist),
                      key=lambda f: (f.start or 0, f.rule))
    return TextCheckResult(path, document.text, findings)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def format_text(result: TextCheckResult, color: bool = False) -> str:
    """Each finding with its line, column and a highlighted excerpt, for an editor."""
    lines = []
    for f in result.findings:
        line, col = _line_col(result.text, f.start or 0)
        ctx = f.context
        a, b = f.context_start or 0, f.context_end or 0
        hit = ctx[a:b]
        marked = f"\x1b[1;31m{hit}\x1b[0m" if color else f"【{hit}】"
        suggestion = f" → {f.suggestion}" if f.suggestion else ""
        lines.append(f"{result.path}:{line}:{col}: [{SEVERITIES[f.severity]}] {CATEGORIES[f.category]}：{f.text}{suggestion}")
        lines.append(f"    {ctx[:a]}{marked}{ctx[b:]}")
        if f.note:
            lines.append(f"    说明：{f.note}")
    return "\n".join(lines)
