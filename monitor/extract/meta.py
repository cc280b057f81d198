"""Government meta tags (政府网站 meta 标签) and the page title."""

from __future__ import annotations

import re
from typing import Any

from monitor.extract.blocks import text_content

#: the meta names of the national government-website guidelines, in their canonical spelling
GOV_META_NAMES = (
    "SiteName",
    "SiteDomain",
    "SiteIDCode",
    "ColumnName",
    "ColumnDescription",
    "ColumnKeywords",
    "ColumnType",
    "ArticleTitle",
    "PubDate",
    "ContentSource",
    "Keywords",
    "Description",
    "Author",
    "Url",
)
_CANONICAL = {name.lower(): name for name in GOV_META_NAMES}

_SPACE = re.compile(r"\s+")


def fold_space(text: str) -> str:
    """Collapse every run of whitespace (including \\u3000 and &nbsp;) to one space and strip."""
    return _SPACE.sub(" ", text).strip()


def gov_meta(tree: Any) -> dict[str, str]:
    """``<meta name=… content=…>`` values: gov names under canonical keys, others as spelled.

    Names match case-insensitively; values are stripped; empty values are dropped; the first
    non-empty value of a name wins.
    """
    found: dict[str, str] = {}
    for el in _root(tree).iter("meta"):
        name = (el.get("name") or "").strip()
        value = (el.get("content") or "").strip()
        if not name or not value:
            continue
        key = _CANONICAL.get(name.lower(), name)
        found.setdefault(key, value)
    return found


def page_title(tree: Any, meta: dict[str, str] | None = None) -> str:
    """The ArticleTitle meta if present, else ``<title>``; whitespace folded.
    `meta`: gov_meta of the page, when the caller has it already."""
    article_title = fold_space((gov_meta(tree) if meta is None else meta).get("ArticleTitle", ""))
    if article_title:
        return article_title
    for el in _root(tree).iter("title"):
        return fold_space(text_content(el))
    return ""


def _root(tree: Any) -> Any:
    """Accept an lxml element or an ElementTree."""
    return tree.getroot() if hasattr(tree, "getroot") else tree
