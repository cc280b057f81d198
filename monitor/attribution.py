"""Which column and department (责任单位) a URL belongs to. Pure functions over config."""

from __future__ import annotations

from urllib.parse import urlsplit

from .config import Column, Site


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def column_for(site: Site, url: str) -> Column | None:
    """The configured column whose URL is the longest prefix of `url`."""
    best: Column | None = None
    for column in site.columns:
        col = urlsplit(column.url)
        target = urlsplit(url)
        if col.netloc.lower() != target.netloc.lower():
            continue
        prefix = col.path or "/"
        if prefix.endswith(("index.html", "index.htm", "index.shtml")):
            prefix = prefix.rsplit("/", 1)[0] + "/"
        if (target.path or "/").startswith(prefix) and (best is None or len(prefix) > len(urlsplit(best.url).path)):
            best = column
    return best


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
