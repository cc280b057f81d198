"""Which column and department (责任单位) a URL belongs to. Pure functions over config."""

from __future__ import annotations

from urllib.parse import urlsplit

from .config import Column, Site


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def _column_prefix(column: Column) -> str:
    """The folder a column's list page stands for: /zwgk/tzgg/index.html → /zwgk/tzgg/."""
    prefix = urlsplit(column.url).path or "/"
    if not prefix.endswith("/"):
        prefix = prefix.rsplit("/", 1)[0] + "/"
    return prefix


def column_for(site: Site, url: str) -> Column | None:
    """The configured column whose folder is the longest prefix of `url`'s path."""
    target = urlsplit(url)
    best: tuple[int, Column] | None = None
    for column in site.columns:
        if urlsplit(column.url).netloc.lower() != target.netloc.lower():
            continue
        prefix = _column_prefix(column)
        if (target.path or "/").startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), column)
    return best[1] if best else None


def department_for(site: Site | None, url: str, column: Column | None = None) -> str | None:
    """The column's owner, else the longest configured path prefix, else the site's default."""
    if site is None:
        return None
    if column is not None and column.department:
        return column.department
    path = _path(url)
    matches = [prefix for prefix in site.paths if path.startswith(prefix)]
    if matches:
        return site.paths[max(matches, key=len)]
    return site.department
