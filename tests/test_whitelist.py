"""Whitelists silence a false positive once: globally, per site, or for one rule."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import yaml

from monitor.checks.terms import check_terms
from monitor.checks.whitelist import apply_whitelist
from monitor.config import WhitelistEntry, validate

TODAY = date(2026, 11, 20)


def test_a_hit_inside_a_whitelisted_phrase_is_silenced_and_the_real_one_still_found(matcher):
    # a book title without 《》 names the old bureau; the next sentence really uses the old name
    text = "本馆藏有县国土资源局志一部。请将材料报送县国土资源局。"
    (only,) = check_terms(text, matcher, TODAY)
    assert only.start == text.index("县国土资源局志") + 1
    (real,) = check_terms(text, matcher, TODAY, [WhitelistEntry(text="县国土资源局志")])
    assert real.start == text.rindex("国土资源局")


def test_whitelist_entry_for_one_rule_only(matcher):
    text = "经县人民攻府研究，希望大家再接再励。"
    findings = check_terms(text, matcher, TODAY)
    entries = [WhitelistEntry(text="再接再励", rule="typos")]
    assert [f.text for f in apply_whitelist(findings, text, entries)] == ["人民攻府"]
    entries = [WhitelistEntry(text="人民攻府", rule="typos")]  # wrong rule: nothing silenced
    assert len(apply_whitelist(findings, text, entries)) == 2


def test_config_accepts_plain_strings_and_objects(tmp_path):
    config = validate({
        "whitelist": ["某某集团总经理", {"text": "坐阵地", "rule": "typos", "reason": "军事新闻"}],
        "departments": [{"id": "office", "name": "办公室"}],
        "sites": [{"id": "p", "name": "n", "url": "http://127.0.0.1/", "department": "office",
                   "whitelist": ["太阳城娱乐中心"]}],
    })
    assert [e.text for e in config.whitelist] == ["某某集团总经理", "坐阵地"]
    assert config.whitelist[1].rule == "typos"
    assert config.sites[0].whitelist[0].text == "太阳城娱乐中心"


def test_check_text_uses_the_config_whitelist(tmp_path):
    (tmp_path / "monitor.yaml").write_text(yaml.safe_dump({
        "whitelist": [{"text": "再接再励杯", "reason": "活动名称"}],
        "departments": [{"id": "office", "name": "办公室"}],
    }, allow_unicode=True), encoding="utf-8")
    (tmp_path / "d.txt").write_text("第三届“再接再励杯”比赛开幕。", encoding="utf-8")
    run = lambda *a: subprocess.run([sys.executable, "-m", "monitor.cli", "check-text", "d.txt", "--format", "json", *a],
                                    cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert [f["text"] for f in json.loads(run().stdout)] == ["再接再励"]
    silenced = run("--config", "monitor.yaml")
    assert silenced.returncode == 0, silenced.stderr
    assert json.loads(silenced.stdout) == []
