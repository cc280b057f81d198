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
    """Scan the sites and (with `accounts`) the registered new-media accounts, showing pages
    crawled so far: one after another here, or all at once on Scrapyd nodes (runner.kind)."""
    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[unit]}"), TimeElapsedColumn(), console=console, transient=False) as progress:
        run = _on_nodes if config.runner.kind == "scrapyd" else _one_by_one
        results = run(config, store, sites, as_of, timeout, accounts, full, progress)
    _print_table(console, results, as_of)
    return results


def _one_by_one(config: Any, store: Any, sites: list[Any], as_of: date, timeout: float, accounts: bool, full: bool,
                progress: Progress) -> list[Any]:
    """runner.kind: local — one crawl subprocess at a time."""
    results = []
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
    return results


def _on_nodes(config: Any, store: Any, sites: list[Any], as_of: date, timeout: float, accounts: bool, full: bool,
              progress: Progress) -> list[Any]:
    """runner.kind: scrapyd — every site (and the accounts) a job on a Scrapyd node at once;
    one progress line each, naming the node it runs on."""
    from .distributed import interrupted_by_signals, run_crawls, scan_results, targets_for

    targets = targets_for(sites, accounts and bool(config.accounts))
    names = {s.id: f"{s.name}（{s.id}）" for s in sites}
    names["accounts"] = f"政务新媒体账号（{len(config.accounts)} 个，读取订阅源）"
    tasks = {t: progress.add_task(f"{names[t]} 等待分派", total=None, unit="页" if k == "site" else "")
             for t, k in targets}

    def on_progress(target: str, pages: int, node: str | None) -> None:
        progress.update(tasks[target], description=f"{names[target]} @ {node}", completed=pages)

    def on_result(r: Any) -> None:
        pages = r.scan.pages if r.kind == "site" else 1
        progress.update(tasks[r.target], total=max(pages, 1), completed=pages)

    with interrupted_by_signals():
        crawls = run_crawls(config, store, targets, as_of, timeout, full=full, on_progress=on_progress,
                            on_result=on_result)
    ended = scan_results(config, store, crawls)
    order = [t for t, _ in targets]
    return sorted(ended, key=lambda r: order.index(r.site.id if hasattr(r, "site") else "accounts"))


def _print_table(console: Console, results: list[Any], as_of: date) -> None:
    labels = {"complete": "[green]完成[/]", "partial": "[yellow]部分完成[/]", "failed": "[red]失败[/]"}
    table = Table(title=f"扫描结果（{as_of}）")
    for header in ("站点", "状态", "页面", "问题"):
        table.add_column(header)
    # the message may end with a crawl log's address: folded over lines, never cut with "…"
    # (piped to a file, the console is 80 columns wide)
    table.add_column("说明", overflow="fold")
    for r in results:
        if isinstance(r, AccountsScanResult):
            table.add_row("政务新媒体账号", labels.get(r.status, r.status), f"{r.accounts} 个账号", str(r.findings),
                          r.message or "")
        else:
            table.add_row(r.site.name, labels.get(r.status, r.status), str(r.pages), str(r.findings), r.message or "")
    console.print(table)
