"""The checklist verdict for one site, as an inspector would give it — an estimate over the
items govmon can check (RULES.md §1–2). Pure: open findings and figures in, verdict out.

- Any open `veto` finding (单项否决) → 不合格, with the finding as evidence.
- Deductions (扣分) over the automatable items, from 100; below PASS_SCORE → 不合格:
  broken links 1 point each on the home page, 0.1 elsewhere; fewer than the minimum
  home-page items in two weeks 5; stale columns 3 (news), 4 (notice/policy), 5 (personnel,
  plan, other — the one-year kinds); availability 5 per 1 % of failed probes.
Items the tool cannot check (互动回应, 调查征集, accuracy of basic information …) are not
counted: the verdict says so, and is labelled an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .finding import CATEGORIES, Finding

PASS_SCORE = 60
COLUMN_POINTS = {"news": 3.0, "notice": 4.0, "policy": 4.0, "personnel": 5.0, "plan": 5.0, "other": 5.0}
HOME_LINK_POINTS = 1.0
OTHER_LINK_POINTS = 0.1
HOME_VOLUME_POINTS = 5.0
AVAILABILITY_POINTS_PER_PERCENT = 5.0
MAX_EXAMPLES = 5
SITE_LEVEL = {"stale_column", "blank_column", "site_not_updated", "availability"}
NOT_CHECKED = ("互动回应（政务咨询留言办理）", "调查征集", "基本信息准确性", "内容真实性")


@dataclass
class Deduction:
    item: str
    count: int
    points: float


@dataclass
class Verdict:
    vetoes: list[Finding] = field(default_factory=list)
    deductions: list[Deduction] = field(default_factory=list)
    availability_percent: float | None = None
    probes: int = 0

    @property
    def deducted(self) -> float:
        return round(sum(d.points for d in self.deductions), 1)

    @property
    def score(self) -> float:
        return max(0.0, round(100 - self.deducted, 1))

    @property
    def passed(self) -> bool:
        return not self.vetoes and self.score >= PASS_SCORE

    @property
    def label(self) -> str:
        return "合格" if self.passed else "不合格"

    @property
    def veto_groups(self) -> list[tuple[str, int, list[str]]]:
        """(category label, count, evidence) per veto category, in category order. Evidence:
        the note of a site-level finding, else up to MAX_EXAMPLES suspect texts."""
        groups: dict[str, list[Finding]] = {}
        for f in self.vetoes:
            groups.setdefault(f.category, []).append(f)
        out = []
        for category in CATEGORIES:
            items = groups.get(category)
            if not items:
                continue
            if category in SITE_LEVEL:
                evidence = [f"{f.text}（{f.note}）" if f.note else f.text for f in items]
            else:
                evidence = [f.text for f in items[:MAX_EXAMPLES]]
                if len(items) > MAX_EXAMPLES:
                    evidence.append(f"等共 {len(items)} 处")
            out.append((CATEGORIES[category], len(items), evidence))
        return out

    not_checked = NOT_CHECKED


def site_verdict(findings: Iterable[Finding], probes: int = 0, failed_probes: int = 0,
                 min_probes: int = 1) -> Verdict:
    """The verdict over a site's open findings and its availability probes (points are
    deducted for availability only from `min_probes` probes on: a handful is no evidence)."""
    verdict = Verdict(probes=probes)
    links_home = links_other = volume = 0
    columns: dict[str, int] = {}
    for f in findings:
        if f.severity == "veto":
            verdict.vetoes.append(f)
        if f.category == "broken_link":
            if (f.extra or {}).get("on_home"):
                links_home += 1
            else:
                links_other += 1
        elif f.rule == "home-few-updates":
            volume += 1
        elif f.rule == "stale-column":
            kind = (f.extra or {}).get("kind", "other")
            columns[kind] = columns.get(kind, 0) + 1
    if links_home:
        verdict.deductions.append(Deduction("首页链接不可用", links_home, links_home * HOME_LINK_POINTS))
    if links_other:
        verdict.deductions.append(Deduction("其他页面链接不可用", links_other, round(links_other * OTHER_LINK_POINTS, 1)))
    if volume:
        verdict.deductions.append(Deduction("首页两周内更新量不足", 1, HOME_VOLUME_POINTS))
    labels = {"news": "动态要闻类栏目两周未更新", "notice": "通知公告类栏目半年未更新", "policy": "政策文件类栏目半年未更新",
              "personnel": "人事类栏目一年未更新", "plan": "规划计划类栏目一年未更新", "other": "其他栏目一年未更新"}
    for kind in COLUMN_POINTS:
        if columns.get(kind):
            verdict.deductions.append(Deduction(labels[kind], columns[kind], columns[kind] * COLUMN_POINTS[kind]))
    if probes:
        percent = round(failed_probes * 100 / probes, 1)
        verdict.availability_percent = percent
        if failed_probes and probes >= min_probes:
            verdict.deductions.append(Deduction("首页不可访问（每 1% 扣 5 分）", failed_probes,
                                                round(percent * AVAILABILITY_POINTS_PER_PERCENT, 1)))
    return verdict
