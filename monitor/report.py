"""Rectification lists (整改清单): a summary page and one HTML list per department.

Self-contained HTML (inline CSS, no external assets, prints on A4), rendered by one
Jinja2 environment with autoescape on: page content never executes in a report.
A folder `templates/` next to monitor.yaml overrides any bundled template by name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .config import Config
from .finding import CATEGORIES, SEVERITIES, SEVERITY_RANK, STATUSES, Finding
from .store import OPEN_STATUSES, Store

UNASSIGNED = "unassigned"


def safe_url(url: str | None) -> str:
    """Only http(s) URLs become links; anything else (javascript:, data:) is not clickable."""
    if url and urlsplit(url).scheme.lower() in ("http", "https"):
        return url
    return "#"


def highlight(finding: Finding) -> Markup:
    """The context with the hit wrapped in <mark>, every piece escaped."""
    ctx = finding.context or ""
    a, b = finding.context_start, finding.context_end
    if a is None or b is None or not (0 <= a <= b <= len(ctx)):
        return escape(ctx)
    return escape(ctx[:a]) + Markup("<mark>") + escape(ctx[a:b]) + Markup("</mark>") + escape(ctx[b:])


def environment(override_dir: Path | None = None) -> Environment:
    loaders: list[Any] = []
    if override_dir is not None and override_dir.is_dir():
        loaders.append(FileSystemLoader(str(override_dir)))
    loaders.append(PackageLoader("monitor", "templates"))
    env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["safe_url"] = safe_url
    env.filters["highlight"] = highlight
    env.globals.update(CATEGORIES=CATEGORIES, SEVERITIES=SEVERITIES, STATUSES=STATUSES)
    return env


def sort_key(f: Finding) -> tuple[Any, ...]:
    return (SEVERITY_RANK.get(f.severity, 9), list(CATEGORIES).index(f.category), f.url or "", f.start or 0)


@dataclass
class DepartmentList:
    id: str
    name: str
    findings: list[Finding]
    filename: str

    @property
    def counts(self) -> Counter:
        return Counter(f.severity for f in self.findings)


@dataclass
class ReportResult:
    directory: Path
    index: Path
    departments: dict[str, Path] = field(default_factory=dict)
    findings: int = 0


def build_report(config: Config, store: Store, out_dir: Path | None = None,
                 generated: date | None = None) -> ReportResult:
    """Write reports/<scan date>/index.html and <department>.html for the latest scans."""
    site_ids = [s.id for s in config.sites]
    scans = store.latest_scans(site_ids)
    scan_date = max((s.scan_date for s in scans), default=generated or date.today())
    directory = (out_dir or config.reports_path) / scan_date.isoformat()
    directory.mkdir(parents=True, exist_ok=True)

    findings = sorted(store.findings(sites=site_ids, statuses=OPEN_STATUSES), key=sort_key)
    incomplete = [s for s in scans if s.status != "complete"]
    dept_names = {d.id: d.name for d in config.departments}
    by_dept: dict[str, list[Finding]] = {d.id: [] for d in config.departments}
    for f in findings:
        dept = f.department if f.department in dept_names else UNASSIGNED
        by_dept.setdefault(dept, []).append(f)
    lists = [
        DepartmentList(dept, dept_names.get(dept, "未归属部门"), items, f"{dept}.html")
        for dept, items in by_dept.items() if items or dept in dept_names
    ]

    from .probe import availability
    from .verdict import site_verdict

    sites = []
    scan_by_site = {s.target: s for s in scans}
    for site in config.sites:
        scan = scan_by_site.get(site.id)
        site_findings = [f for f in findings if f.site == site.id]
        thresholds = config.thresholds_for(site)
        probes, failed = availability(store, site, thresholds)
        sites.append({
            "site": site, "scan": scan,
            "findings": len(site_findings),
            "veto": sum(1 for f in site_findings if f.severity == "veto"),
            "verdict": site_verdict(site_findings, probes, failed, thresholds.availability_min_probes),
            "audit": (scan.stats or {}).get("audit") if scan else None,
            "thresholds": thresholds,
            "probes": probes, "failed_probes": failed,
        })

    env = environment(config.resolve("templates"))
    site_names = {s.id: s.name for s in config.sites}
    common = {"scan_date": scan_date, "generated": generated or date.today(), "config": config,
              "incomplete": [(site_names.get(s.target, s.target), s) for s in incomplete]}
    result = ReportResult(directory=directory, index=directory / "index.html", findings=len(findings))
    for dl in lists:
        path = directory / dl.filename
        path.write_text(env.get_template("department.html").render(dept=dl, **common), encoding="utf-8")
        result.departments[dl.id] = path
    index = env.get_template("index.html").render(
        sites=sites, lists=lists, findings=findings,
        by_category=Counter(f.category for f in findings),
        by_severity=Counter(f.severity for f in findings),
        **common,
    )
    result.index.write_text(index, encoding="utf-8")
    return result
