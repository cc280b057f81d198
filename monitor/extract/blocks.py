"""Split a page into its own text (main) and site chrome (header, nav, footer …).

Rules, in order:

* ``<script>``, ``<style>``, ``<noscript>``, ``<template>`` and comments are dropped; text hidden
  with CSS (``display:none``) is kept — hidden spam links are exactly what must be found.
* An *article container* (``#zoom``, ``#UCAP-CONTENT``, ``.TRS_Editor``, ``.Custom_UnionStyle``,
  ``.article``, ``.article-content``, ``<article>``) is always main text, with everything in it.
* Outside article containers, an element is *chrome* when it is ``<header>``, ``<nav>``,
  ``<footer>``, has an ARIA landmark role banner/navigation/contentinfo, or its id/class has a
  chrome word (header, head, top, nav, menu, footer, foot, bottom, copyright, breadcrumb, crumb,
  banner …) and no content word (content, article, detail, news) — unless it holds an article
  container. Only the outermost chrome element counts; sidebars stay main.
* main_text is the body's text without chrome; chrome_blocks has one string per chrome
  element (empty ones dropped), in document order.
"""

from __future__ import annotations

import re
from typing import Any

_DROP = {"script", "style", "noscript", "template", "head", "title"}
_BLOCK = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "html", "legend", "li", "main", "nav", "ol", "p", "pre", "section",
    "table", "tbody", "tfoot", "thead", "tr", "ul", "option", "select", "iframe",
}  # fmt: skip
_CELL = {"td", "th"}

_CHROME_TAGS = {"header", "nav", "footer"}
_CHROME_ROLES = {"banner", "navigation", "contentinfo"}
_CHROME_WORDS = {
    "header", "head", "top", "topbar", "topnav", "nav", "navbar", "navs", "navigation",
    "subnav", "mainnav", "menu", "menus", "footer", "foot", "bottom", "copyright",
    "breadcrumb", "breadcrumbs", "crumb", "crumbs", "banner",
    "daohang", "toubu", "dibu", "banquan",  # pinyin: 导航 头部 底部 版权
}  # fmt: skip
_CONTENT_WORDS = {"content", "article", "detail", "details", "news"}

_ARTICLE_IDS = {"zoom", "ucap-content"}
_ARTICLE_CLASSES = {"trs_editor", "custom_unionstyle", "article", "article-content"}

_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_HSPACE = re.compile(r"[^\S\n]+")


def split_text(tree: Any) -> tuple[str, list[str]]:
    """(main_text, chrome_blocks) of a parsed page; see the module docstring for the rules."""
    body = _body(tree)
    if body is None:
        return "", []
    chrome = find_chrome(body)
    skip = set(chrome)
    main_text = render_text(body, skip)
    blocks = [text for text in (render_text(el) for el in chrome) if text]
    return main_text, blocks


def find_chrome(body: Any) -> list[Any]:
    """The outermost chrome elements under ``body``, in document order."""
    holders: set[Any] = set()  # article containers and their ancestors
    for el in body.iter():
        if _is_article_container(el):
            holders.add(el)
            holders.update(el.iterancestors())
    found = []
    stack = list(reversed(_children(body)))
    while stack:
        el = stack.pop()
        if _is_article_container(el):
            continue
        if el not in holders and _looks_chrome(el):
            found.append(el)
            continue
        stack.extend(reversed(_children(el)))
    return found


def render_text(root: Any, skip: set[Any] | frozenset[Any] = frozenset()) -> str:
    """Text of ``root`` with block-level line breaks, folded spaces, one line per block.

    Elements in ``skip`` are left out (their tail text is kept).
    """
    out: list[str] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        el, closing = stack.pop()
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if closing:
            out.append(_after(tag))
            if el is not root and el.tail:
                out.append(el.tail)
            continue
        if not tag or tag in _DROP or el in skip:  # comments, PIs, dropped, skipped
            if el is not root:
                out.append(_after(tag) + (el.tail or ""))
            continue
        if tag in _BLOCK or tag == "br":
            out.append("\n")
        if el.text:
            out.append(el.text)
        stack.append((el, True))
        stack.extend((child, False) for child in reversed(el))
    return _tidy("".join(out))


def _after(tag: str) -> str:
    if tag in _BLOCK:
        return "\n"
    if tag in _CELL:
        return " "
    return ""


def _tidy(text: str) -> str:
    lines = (_HSPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _body(tree: Any) -> Any:
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    if root is None:
        return None
    if isinstance(root.tag, str) and root.tag.lower() == "html":
        body = root.find("body")
        return body if body is not None else root
    return root


def _children(el: Any) -> list[Any]:
    return [child for child in el if isinstance(child.tag, str)]


def _tokens(el: Any) -> set[str]:
    words: set[str] = set()
    for value in (el.get("id") or "", el.get("class") or ""):
        for part in re.split(r"[^A-Za-z0-9]+", value):
            if not part:
                continue
            words.add(part.lower())  # "topnav" as written …
            words.update(t.lower() for t in _TOKEN.findall(part))  # … and camelCase parts
    return {w.rstrip("0123456789") or w for w in words}


def _looks_chrome(el: Any) -> bool:
    if el.tag.lower() in _CHROME_TAGS:
        return True
    if (el.get("role") or "").strip().lower() in _CHROME_ROLES:
        return True
    tokens = _tokens(el)
    return bool(tokens & _CHROME_WORDS) and not tokens & _CONTENT_WORDS


def _is_article_container(el: Any) -> bool:
    if not isinstance(el.tag, str):
        return False
    if el.tag.lower() == "article":
        return True
    if (el.get("id") or "").strip().lower() in _ARTICLE_IDS:
        return True
    classes = (el.get("class") or "").lower().split()
    return any(c in _ARTICLE_CLASSES for c in classes)
