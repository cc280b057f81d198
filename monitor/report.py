"""Rectification lists (整改清单): a summary page and, per department, the list as HTML, XLSX
and JSON, all from the same rows (monitor/worklist.py).

Self-contained HTML (inline CSS and SVG charts, no scripts, no external assets, prints on
A4), rendered by one Jinja2 environment with autoescape on: page content never executes in
a report. A folder `templates/` next to monitor.yaml overrides any bundled template by name.
Files are written to a temporary name and renamed, so a crash never leaves half a list.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .charts import bar_chart, trend_chart
from .config import Config
from .finding import CATEGORIES, SEVERITIES, STATUSES, Finding
from .store import OPEN_STATUSES, Store
from .worklist import SECTIONS, UNASSIGNED, DepartmentList, department_lists, safe_url, sort_key
from .xlsx import write_department_xlsx

__all__ = ["build_report", "safe_url", "ReportResult", "DepartmentFiles", "UNASSIGNED", "sort_key"]


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
    env.globals.update(CATEGORIES=CATEGORIES, SEVERITIES=SEVERITIES, STATUSES=STATUSES, SECTIONS=SECTIONS)
    return env


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
class DepartmentFiles:
    html: Path
    xlsx: Path
    json: Path


@dataclass
class ReportResult:
    directory: Path
    index: Path
    scan_date: date
    departments: dict[str, DepartmentFiles] = field(default_factory=dict)
    lists: list[DepartmentList] = field(default_factory=list)
    findings: int = 0  # still to fix
    export: Path | None = None  # findings.json: every department's rows
    incomplete: list[tuple[str, Any]] = field(default_factory=list)  # (target name, scan) not complete


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def row_json(row: Any, dl: DepartmentList) -> dict[str, Any]:
    out = row.finding.to_dict()
    out.update(section=row.section, section_label=SECTIONS[row.section], department_name=dl.name,
               deadline=row.deadline.isoformat() if row.deadline else None, days_open=row.days_open,
               days_left=row.days_left, overdue=row.overdue)
    return out


def department_json(dl: DepartmentList, scan_date: date, generated: date) -> dict[str, Any]:
    return {"department": {"id": dl.id, "name": dl.name}, "scan_date": scan_date.isoformat(),
            "generated": generated.isoformat(),
            "counts": {s: dl.section_counts[s] for s in SECTIONS},
            "rows": [row_json(r, dl) for r in (*dl.todo, *dl.section("fixed"), *dl.section("ignored"))]}


def build_report(config: Config, store: Store, out_dir: Path | None = None,
                 generated: date | None = None) -> ReportResult:
    """Write reports/<scan date>/: index.html, and per department <id>.html, <id>.xlsx and
    <id>.json, plus findings.json (every department), for the latest scans."""
    generated = generated or date.today()
    site_ids = config.scan_targets
    scans = store.latest_scans(site_ids)
    scan_date = max((s.scan_date for s in scans), default=generated)
    directory = (out_dir or config.reports_path) / scan_date.isoformat()
    directory.mkdir(parents=True, exist_ok=True)

    latest_ids = {s.id for s in scans}
    todo = store.findings(sites=site_ids, statuses=OPEN_STATUSES)
    fixed = [f for f in store.findings(sites=site_ids, statuses=["fixed"]) if f.fixed_scan_id in latest_ids]
    ignored = store.findings(sites=site_ids, statuses=["ignored"])
    lists = department_lists(config, [*todo, *fixed, *ignored], scan_date)
    findings = sorted(todo, key=sort_key)
    incomplete = [(s.target, s) for s in scans if s.status != "complete"]
    scanned = {s.target for s in scans}
    incomplete += [(target, None) for target in site_ids if target not in scanned]  # never scanned

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
    common = {"scan_date": scan_date, "generated": generated, "config": config,
              "incomplete": [(site_names.get(target, target), scan) for target, scan in incomplete],
              "deadlines": {sev: config.deadlines.days_for(sev) for sev in SEVERITIES}}
    result = ReportResult(directory=directory, index=directory / "index.html", scan_date=scan_date,
                          lists=lists, findings=len(findings), incomplete=common["incomplete"])
    export = []
    for dl in lists:
        files = DepartmentFiles(directory / dl.filename, directory / f"{dl.stem}.xlsx", directory / f"{dl.stem}.json")
        _write(files.html, env.get_template("department.html").render(dept=dl, **common))
        write_department_xlsx(dl, config, files.xlsx, scan_date, generated)
        data = department_json(dl, scan_date, generated)
        _write(files.json, json.dumps(data, ensure_ascii=False, indent=2))
        export.extend(data["rows"])
        result.departments[dl.id] = files
    result.export = directory / "findings.json"
    _write(result.export, json.dumps({"scan_date": scan_date.isoformat(), "generated": generated.isoformat(),
                                      "rows": export}, ensure_ascii=False, indent=2))

    by_category = Counter(f.category for f in findings)
    overdue_by_category = Counter(r.finding.category for dl in lists for r in dl.section("overdue"))
    charts = {
        "trend": trend_chart("各扫描日期的待整改问题数（不含已忽略）", store.trend(site_ids)),
        "category": bar_chart("待整改问题（按问题类型）",
                              [(label, by_category[c], overdue_by_category[c]) for c, label in CATEGORIES.items()
                               if by_category[c]], "待整改", "其中逾期"),
        "department": bar_chart("待整改问题（按责任单位）",
                                [(dl.name, len(dl.todo), dl.section_counts["overdue"]) for dl in lists if dl.todo],
                                "待整改", "其中逾期"),
    }
    index = env.get_template("index.html").render(
        sites=sites, lists=lists, findings=findings, accounts=accounts,
        account_counts=account_counts(accounts), charts=charts,
        by_category=by_category, by_severity=Counter(f.severity for f in findings),
        **common,
    )
    _write(result.index, index)
    return result
