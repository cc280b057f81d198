"""Feed exporters behind `scrapy crawl site … -O FILE`: one record per finding, in every format.

Items carry page text, which may hold personal numbers; a feed must never dump it. Every
format Scrapy knows is mapped here (monitor/settings.py FEED_EXPORTERS) to an exporter that
writes the page's findings (masked, with the URL each was found on) and nothing else.
"""

from __future__ import annotations

from typing import Any

from scrapy import exporters

# Flat fields for tabular formats (csv), in the order of the rectification list.
CSV_FIELDS = ["rule", "category", "severity", "text", "suggestion", "note", "context", "url", "parent_url",
              "site", "account", "column", "department", "page_title", "published", "start", "end", "fingerprint"]


class _FindingsMixin:
    """Turn each PageItem into its findings' dicts before the real exporter sees them."""

    def export_item(self, item: Any) -> None:
        for finding in getattr(item, "findings", None) or []:
            super().export_item(finding.to_dict())  # type: ignore[misc]


class FindingsJsonLinesExporter(_FindingsMixin, exporters.JsonLinesItemExporter):
    def __init__(self, file: Any, **kwargs: Any) -> None:
        kwargs.setdefault("ensure_ascii", False)
        super().__init__(file, **kwargs)


class FindingsJsonExporter(_FindingsMixin, exporters.JsonItemExporter):
    def __init__(self, file: Any, **kwargs: Any) -> None:
        kwargs.setdefault("ensure_ascii", False)
        super().__init__(file, **kwargs)


class FindingsCsvExporter(_FindingsMixin, exporters.CsvItemExporter):
    def __init__(self, file: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fields_to_export", CSV_FIELDS)
        super().__init__(file, **kwargs)


class FindingsXmlExporter(_FindingsMixin, exporters.XmlItemExporter):
    pass


class FindingsPickleExporter(_FindingsMixin, exporters.PickleItemExporter):
    pass


class FindingsMarshalExporter(_FindingsMixin, exporters.MarshalItemExporter):
    pass
