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

from lxml import etree

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
    main_text, blocks, _ = page_texts(body, find_chrome(body))
    return main_text, blocks


def page_texts(body: Any, chrome: list[Any]) -> tuple[str, list[str], str]:
    """split_text of a page whose body and chrome are at hand, and the main text without the
    text of its links (``render_text(body, chrome + every <a>)``, for listing's blank notice)."""
    main_text, without_links = render_text_pair(body, set(chrome), "a")
    blocks = [text for text in (render_text(el) for el in chrome) if text]
    return main_text, blocks, without_links


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
    if not isinstance(root.tag, str) or root.tag.lower() in _DROP or root in skip:
        return ""
    out: list[str] = []
    append = out.append
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            tag = el.tag.lower()
            if tag in _DROP or el in skip:
                walker.skip_subtree()  # its "end" still comes: its tail is kept there
                continue
            if tag in _BLOCK or tag == "br":
                append("\n")
            if el.text:
                append(el.text)
        elif event == "end":
            tag = el.tag.lower()
            if tag in _BLOCK:
                append("\n")
            elif tag in _CELL:
                append(" ")
            if el.tail and el is not root:
                append(el.tail)
        elif el.tail:  # a comment or processing instruction: its tail is text of the parent
            append(el.tail)
    return _tidy("".join(out))


def render_text_pair(root: Any, skip: set[Any] | frozenset[Any], leave_out: str) -> tuple[str, str]:
    """``render_text(root, skip)``, and in the same pass the text without the elements tagged
    `leave_out` (``render_text(root, skip | set(root.iter(leave_out)))``)."""
    if not isinstance(root.tag, str) or root.tag.lower() in _DROP or root in skip:
        return "", ""
    out: list[str] = []
    rest: list[str] = []  # without leave_out
    inside = 0  # leave_out elements the walk is in
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            tag = el.tag.lower()
            if tag in _DROP or el in skip:
                walker.skip_subtree()
                continue
            if el.tag == leave_out:
                inside += 1
            piece = ("\n" if tag in _BLOCK or tag == "br" else "") + (el.text or "")
        elif event == "end":
            tag = el.tag.lower()
            if el.tag == leave_out and not (tag in _DROP or el in skip):
                inside -= 1
            tail = el.tail if el.tail and el is not root else ""
            piece = ("\n" if tag in _BLOCK else " " if tag in _CELL else "") + tail
        else:
            piece = el.tail or ""
        if piece:
            out.append(piece)
            if not inside:
                rest.append(piece)
    return _tidy("".join(out)), _tidy("".join(rest))


def text_content(el: Any) -> str:
    """All the text in ``el`` (lxml.html's ``text_content()``, for any lxml element)."""
    return _STRING(el)


_STRING = etree.XPath("string()", smart_strings=False)


def _tidy(text: str) -> str:
    # [^\S\n] never crosses a line: one pass over the text, then the lines
    return "\n".join(filter(None, map(str.strip, _HSPACE.sub(" ", text).split("\n"))))


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
    tag = el.tag
    if not isinstance(tag, str):
        return False
    if tag.lower() == "article":
        return True
    ident, classes = el.get("id"), el.get("class")
    if ident and ident.strip().lower() in _ARTICLE_IDS:
        return True
    return bool(classes) and not _ARTICLE_CLASSES.isdisjoint(classes.lower().split())
