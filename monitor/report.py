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
    accounts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(f.severity for f in self.findings)


def account_rows(config: Config, store: Store, findings: list[Finding]) -> list[dict[str, Any]]:
    """One row per registered account (its latest check) and per unregistered account the
    site checks found: platform, name, newest post, days silent, recent posts, status."""
    from zoneinfo import ZoneInfo

    from .checks.accounts import PLATFORMS, STATUS_LABELS

    tz = ZoneInfo(config.timezone)
    checks = store.latest_account_checks()
    rows = []
    for account in config.accounts:
        check = checks.get(account.id)
        newest = None
        if check is not None and check.newest is not None:
            from datetime import timezone

            newest = check.newest.replace(tzinfo=timezone.utc).astimezone(tz).date()
        status = "未检查" if check is None else "未配置订阅源" if check.status == "no_feed" \
            else STATUS_LABELS.get(check.status, check.status)
        rows.append({"id": account.id, "platform": PLATFORMS.get(account.platform, account.platform),
                     "name": account.name, "department": account.department, "newest": newest,
                     "days_silent": check.days_silent if check else None,
                     "recent_posts": check.recent_posts if check and check.ok and check.status != "undated" else None,
                     "status": status,
                     "error": check.error if check else None})
    for f in findings:
        if f.category == "unregistered_account":
            rows.append({"id": None, "platform": PLATFORMS.get((f.extra or {}).get("platform", "other"), "其他"),
                         "name": (f.extra or {}).get("name") or f.text, "department": f.department,
                         "newest": None, "days_silent": None, "recent_posts": None,
                         "status": STATUS_LABELS["unregistered"], "error": None, "url": f.url})
    return rows


def account_counts(rows: list[dict[str, Any]]) -> dict[str, Counter]:
    """platform → Counter of status labels."""
    counts: dict[str, Counter] = {}
    for row in rows:
        counts.setdefault(row["platform"], Counter())[row["status"]] += 1
    return counts


@dataclass
class ReportResult:
    directory: Path
    index: Path
    departments: dict[str, Path] = field(default_factory=dict)
    findings: int = 0


def build_report(config: Config, store: Store, out_dir: Path | None = None,
                 generated: date | None = None) -> ReportResult:
    """Write reports/<scan date>/index.html and <department>.html for the latest scans."""
    site_ids = config.scan_targets
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
    site_names["accounts"] = "政务新媒体账号"
    accounts = account_rows(config, store, findings)
    for dl in lists:
        dl.accounts = [a for a in accounts if a["department"] == dl.id]
    common = {"scan_date": scan_date, "generated": generated or date.today(), "config": config,
              "incomplete": [(site_names.get(s.target, s.target), s) for s in incomplete]}
    result = ReportResult(directory=directory, index=directory / "index.html", findings=len(findings))
    for dl in lists:
        path = directory / dl.filename
        path.write_text(env.get_template("department.html").render(dept=dl, **common), encoding="utf-8")
        result.departments[dl.id] = path
    index = env.get_template("index.html").render(
        sites=sites, lists=lists, findings=findings, accounts=accounts,
        account_counts=account_counts(accounts),
        by_category=Counter(f.category for f in findings),
        by_severity=Counter(f.severity for f in findings),
        **common,
    )
    result.index.write_text(index, encoding="utf-8")
    return result
