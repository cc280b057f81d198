"""Feed exporter behind `scrapy crawl site -a url=… -O findings.jsonl`: one finding a line."""

from __future__ import annotations

import json
from typing import Any

from scrapy.exporters import BaseItemExporter


class FindingsJsonLinesExporter(BaseItemExporter):
    def __init__(self, file: Any, **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.file = file

    def export_item(self, item: Any) -> None:
        for finding in getattr(item, "findings", None) or []:
            line = json.dumps(finding.to_dict(), ensure_ascii=False, default=str) + "\n"
            self.file.write(line.encode(self.encoding or "utf-8"))
