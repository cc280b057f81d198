"""Scanning several sites with a live progress display and a summary table (on stderr)."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from .scanning import AccountsScanResult, scan_accounts, scan_site


def scan_with_progress(config: Any, store: Any, sites: list[Any], as_of: date, timeout: float,
                       accounts: bool = False, full: bool = False) -> list[Any]:
    """Scan each site in turn (one crawl subprocess each), showing pages crawled so far, then
    (with `accounts`) the registered new-media accounts."""
    console = Console(stderr=True)
    results = []
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[unit]}"), TimeElapsedColumn(), console=console, transient=False) as progress:
        for site in sites:
            task = progress.add_task(f"{site.name}（{site.id}）", total=site.max_pages, unit="页")

            def on_progress(pages: int, task: Any = task) -> None:
                progress.update(task, completed=pages)

            result = scan_site(config, store, site, as_of, timeout=timeout, on_progress=on_progress, full=full)
            progress.update(task, total=max(result.pages, 1), completed=result.pages)
            results.append(result)
        if accounts and config.accounts:
            task = progress.add_task(f"政务新媒体账号（{len(config.accounts)} 个，读取订阅源）", total=None, unit="")
            result = scan_accounts(config, store, as_of, timeout=timeout)
            progress.update(task, total=1, completed=1)
            results.append(result)
    labels = {"complete": "[green]完成[/]", "partial": "[yellow]部分完成[/]", "failed": "[red]失败[/]"}
    table = Table(title=f"扫描结果（{as_of}）")
    for header in ("站点", "状态", "页面", "问题", "说明"):
        table.add_column(header)
    for r in results:
        if isinstance(r, AccountsScanResult):
            table.add_row("政务新媒体账号", labels.get(r.status, r.status), f"{r.accounts} 个账号", str(r.findings),
                          r.message or "")
        else:
            table.add_row(r.site.name, labels.get(r.status, r.status), str(r.pages), str(r.findings), r.message or "")
    console.print(table)
    return results
