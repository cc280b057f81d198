"""The checklist verdict: vetoes with evidence, estimated deductions, 合格/不合格."""

from __future__ import annotations

from monitor.finding import Finding
from monitor.verdict import site_verdict


def finding(rule: str, category: str, severity: str = "major", **extra) -> Finding:
    return Finding(rule=rule, category=category, severity=severity, text=rule, extra=extra)


def test_a_clean_site_passes_with_full_marks():
    verdict = site_verdict([])
    assert verdict.passed and verdict.label == "合格" and verdict.score == 100


def test_any_veto_fails_the_site_and_is_shown_as_evidence():
    leak = Finding(rule="id-number", category="privacy", severity="veto", text="52*************15X")
    stale = Finding(rule="columns-not-updated", category="stale_column", severity="veto",
                    text="栏目不更新：5 个栏目未按时更新", note="未按时更新的栏目共 5 个")
    verdict = site_verdict([leak, stale])
    assert not verdict.passed and verdict.label == "不合格" and verdict.score == 100
    groups = {label: (n, evidence) for label, n, evidence in verdict.veto_groups}
    assert groups["个人隐私"] == (1, ["52*************15X"])
    assert groups["栏目不更新"][1] == ["栏目不更新：5 个栏目未按时更新（未按时更新的栏目共 5 个）"]


def test_many_serious_errors_are_summarised():
    errors = [Finding(rule="protected-names", category="severe_error", severity="veto", text=f"错{i}")
              for i in range(8)]
    ((label, n, evidence),) = site_verdict(errors).veto_groups
    assert label == "严重错误" and n == 8 and evidence[-1] == "等共 8 处" and len(evidence) == 6


def test_deductions_follow_the_checklist():
    findings = ([finding("broken-link", "broken_link", on_home=True)] * 2
                + [finding("broken-link", "broken_link", on_home=False)] * 3
                + [finding("home-few-updates", "site_not_updated")]
                + [finding("stale-column", "stale_column", kind="news")] * 2
                + [finding("stale-column", "stale_column", kind="policy"),
                   finding("stale-column", "stale_column", kind="personnel")])
    verdict = site_verdict(findings, probes=100, failed_probes=2)
    points = {d.item: d.points for d in verdict.deductions}
    assert points == {"首页链接不可用": 2.0, "其他页面链接不可用": 0.3, "首页两周内更新量不足": 5.0,
                      "动态要闻类栏目两周未更新": 6.0, "政策文件类栏目半年未更新": 4.0, "人事类栏目一年未更新": 5.0,
                      "首页不可访问（每 1% 扣 5 分）": 10.0}
    assert verdict.deducted == 32.3 and verdict.score == 67.7 and verdict.passed
    assert verdict.availability_percent == 2.0


def test_below_sixty_points_fails_without_a_veto():
    verdict = site_verdict([finding("stale-column", "stale_column", kind="news")] * 14)
    assert verdict.score == 58 and not verdict.passed and verdict.vetoes == []


def test_availability_costs_points_only_from_the_minimum_number_of_probes():
    few = site_verdict([], probes=1, failed_probes=1, min_probes=20)
    assert few.passed and few.deductions == [] and few.availability_percent == 100.0
    enough = site_verdict([], probes=20, failed_probes=1, min_probes=20)
    assert enough.deducted == 25.0
