"""Precision and recall checks for lexicons/typos.tsv, row by row.

A monitor that flags correct text gets switched off, so every typo row must
(1) fire on its wrong form in a sentence and stay silent on the same sentence with the right form,
(2) not be an ordinary word (a 2–3 character wrong form that jieba knows as a frequent word
    must be justified below, or dropped),
(3) never fire anywhere in a long corpus of correct government prose that is full of the right
    forms and of look-alikes (既使用, 截止日期, 报名截止, 帐篷, 交通迅速, 关注消费者…).
"""

from __future__ import annotations

import csv
import logging
import re
from datetime import date
from pathlib import Path

import pytest

from monitor.checks.terms import check_terms
from monitor.lexicon import default_lexicon_dir, load_entries

TODAY = date(2026, 11, 20)
TYPOS = default_lexicon_dir() / "typos.tsv"
CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus" / "correct_gov_text.txt"


def _rows() -> list[dict[str, str]]:
    with open(TYPOS, encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if line.strip() and not line.startswith("#")]
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader)
    return [dict(zip(header, cells)) for cells in reader]


ROWS = _rows()

# The generic sentence puts the wrong form between commas, so that jieba cannot merge it with
# its neighbours. Rows whose `after` condition needs a particular context get their own sentence.
FRAME = "会上，大家{}，表示要认真落实。"
SPECIAL = {
    "截止": "截止2026年10月底，全县共完成改造任务。",
    "宏扬": "会上，大家表示要大力宏扬劳模精神。",
}

# Rows with an `after` condition: the wrong form in a context where it is correct (or where the
# hit is something else, such as a name) must stay silent.
NOT_FLAGGED = {
    "截止": ["报名截止日期为11月30日。", "申报于11月30日截止。", "截止时间：2026年12月1日"],
    "宏扬": ["会议由宏扬同志主持。", "宏扬等3人获得表彰。"],
    "共同富余": ["两村共同富余劳动力统一组织外出务工。"],
    "招聘启示": ["这次招聘启示我们，岗位条件要合理设置。"],
    "寻人启示": ["这则寻人启示大家，要照看好身边的老人。"],
    "而己": ["律人而己不律，难以服众。"],
}

# Wrong forms of 2–3 characters that jieba's stock dictionary lists with a frequency of 50 or
# more, and why they stay. jieba's counts come from older corpora that still used forms the
# current standards have since settled.
JIEBA_FREQ_LIMIT = 50
JUSTIFIED = {
    "截止": "correct as 'deadline' (截止日期, 报名截止); the row only fires before a point in time (after regex)",
    "签定": "not in 现代汉语词典 (only 签订); jieba's count comes from older texts with the typo",
    "帐户": "现代汉语词典 (5th ed. on) writes 账 for accounts; 帐 is for 帐篷/蚊帐 — no reading of 帐户 is correct today",
    "帐目": "same 账/帐 division: 账目 is the only standard form",
    "坏帐": "same 账/帐 division: 坏账 is the only standard form",
    "成份": "第一批异形词整理表 (2001): 成分 recommended over 成份; the older form is what jieba counted",
    "过份": "第一批异形词整理表 (2001): 过分 recommended over 过份",
    "辈份": "第一批异形词整理表 (2001): 辈分 recommended over 辈份",
}


def _sentence(term: str) -> str:
    return SPECIAL.get(term) or FRAME.format(term)


# ---------------------------------------------------------------- the file itself
def test_enough_rows():
    assert len(ROWS) >= 300


def test_every_row_is_well_formed():
    for row in ROWS:
        term = row["term"]
        assert row["category"] == "typo", term
        assert row["severity"] in ("minor", "major"), term
        assert row.get("suggestion") and row["suggestion"] != term, term
        assert row.get("note"), term
        assert row.get("source"), f"{term}: every row names where it comes from"
        if row.get("after"):
            re.compile(row["after"])


def test_no_duplicate_terms():
    terms = [row["term"] for row in ROWS]
    duplicates = sorted({t for t in terms if terms.count(t) > 1})
    assert duplicates == []


def test_the_file_loads_and_every_after_regex_compiles():
    entries = load_entries([TYPOS])
    assert len(entries) == len(ROWS)
    assert all(e.after is not None for e in entries if e.term in {r["term"] for r in ROWS if r.get("after")})


def test_no_wrong_form_is_inside_a_right_form():
    """A suggestion that contained another row's wrong form would be flagged once fixed."""
    terms = {row["term"] for row in ROWS}
    clashes = [(t, row["suggestion"]) for row in ROWS for t in terms if t in row["suggestion"]]
    assert clashes == []


# ---------------------------------------------------------------- every row, in context
@pytest.mark.parametrize("row", ROWS, ids=[row["term"] for row in ROWS])
def test_wrong_form_is_flagged_and_right_form_is_silent(matcher, row):
    term, right = row["term"], row["suggestion"]
    wrong_text = _sentence(term)
    findings = check_terms(wrong_text, matcher, TODAY)
    assert [(f.text, f.suggestion, f.severity) for f in findings if f.category == "typo"] == [
        (term, right, row["severity"])]
    right_text = wrong_text.replace(term, right)
    assert check_terms(right_text, matcher, TODAY) == []


@pytest.mark.parametrize("term, text", [(t, s) for t, texts in NOT_FLAGGED.items() for s in texts])
def test_after_condition_keeps_correct_uses_silent(matcher, term, text):
    assert term in text
    assert [f.text for f in check_terms(text, matcher, TODAY) if f.category == "typo"] == []


def test_every_row_with_an_after_condition_has_a_negative_example():
    assert {row["term"] for row in ROWS if row.get("after")} <= set(NOT_FLAGGED)


# ---------------------------------------------------------------- not ordinary words
@pytest.fixture(scope="module")
def jieba_freq():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.check_initialized()
    return tk.FREQ


def test_short_wrong_forms_are_not_frequent_jieba_words(jieba_freq):
    frequent = {row["term"]: jieba_freq[row["term"]] for row in ROWS
                if len(row["term"]) <= 3 and jieba_freq.get(row["term"], 0) >= JIEBA_FREQ_LIMIT}
    unexplained = {t: f for t, f in frequent.items() if t not in JUSTIFIED}
    assert unexplained == {}, "justify these in JUSTIFIED or drop the rows"
    assert set(JUSTIFIED) <= set(frequent), "stale justification: the row is gone or no longer frequent"


# ---------------------------------------------------------------- a corpus of correct text
@pytest.fixture(scope="module")
def corpus() -> str:
    return CORPUS.read_text(encoding="utf-8")


def test_corpus_is_long_varied_and_full_of_the_right_forms(corpus):
    assert len(corpus) >= 15000
    for kind in ("政府工作报告", "政府信息公开工作年度报告", "通知", "常务会议", "政策解读", "公示",
                 "经济运行情况", "招聘", "通报", "预算", "乡镇动态", "告知书", "预警"):
        assert kind in corpus
    for near_miss in ("既使用", "截止日期", "报名截止", "截至2026年", "帐篷", "交通迅速", "关注消费者",
                      "自己经常", "为己任", "完成份额", "按股分红", "难以自已", "筚路蓝缕"):
        assert near_miss in corpus
    right_forms = {row["suggestion"] for row in ROWS}
    assert sum(form in corpus for form in right_forms) >= 150


def test_correct_corpus_has_no_typo_findings(matcher, corpus):
    typos = [(f.text, f.context) for f in check_terms(corpus, matcher, TODAY) if f.category == "typo"]
    assert typos == []


def test_correct_corpus_paragraph_by_paragraph(matcher, corpus):
    """Also per paragraph: one finding per term per text must not hide a second false hit."""
    typos = []
    for paragraph in corpus.split("\n"):
        typos += [(f.text, paragraph[:30]) for f in check_terms(paragraph, matcher, TODAY) if f.category == "typo"]
    assert typos == []
