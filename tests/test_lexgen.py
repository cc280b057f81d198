"""The generated lexicon of wrong forms of protected names (monitor/lexgen.py): it is up to
date, it never flags a correct form or an ordinary word, and every kind of error it makes is
found by the term check."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from monitor import lexgen
from monitor.checks.terms import check_terms
from monitor.lexicon import default_lexicon_dir, lexicon_files, load_entries, normalize

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def rows() -> list[lexgen.Row]:
    return lexgen.generate()


@pytest.fixture(scope="module")
def names() -> list[lexgen.Name]:
    return lexgen.read_names()


@pytest.fixture(scope="module")
def generator(names) -> lexgen.Generator:
    correct = lexgen._lexicon_terms(lexgen.HAND_WRITTEN_FILE, "suggestion")
    return lexgen.Generator(names, lexgen.read_lookalikes(), correct, lexgen.listed_elsewhere())


@pytest.fixture(scope="module")
def correct_forms(names) -> list[str]:
    return sorted({n.name for n in names} | lexgen._lexicon_terms(lexgen.HAND_WRITTEN_FILE, "suggestion"))


def terms(rows) -> set[str]:
    return {r.term for r in rows}


# ---- up to date and deterministic
def test_generation_is_deterministic(rows):
    again = lexgen.generate()
    assert again == rows
    assert lexgen.render(again) == lexgen.render(rows)


def test_committed_lexicon_equals_a_fresh_generation(rows):
    committed = lexgen.OUTPUT_FILE.read_text(encoding="utf-8")
    assert committed == lexgen.render(rows), "run `python -m monitor.lexgen` and commit lexicons/protected_generated.tsv"
    assert lexgen.main(["--check"]) == 0


def test_check_fails_on_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "protected_generated.tsv"
    text = lexgen.OUTPUT_FILE.read_text(encoding="utf-8")
    stale.write_text(text.replace("中华民人共和国", "中华人民共和国X"), encoding="utf-8")
    assert lexgen.main(["--check", "--output", str(stale)]) == 1
    assert "python -m monitor.lexgen" in capsys.readouterr().err
    assert lexgen.main(["--output", str(stale)]) == 0
    assert lexgen.main(["--check", "--output", str(stale)]) == 0


def test_the_generated_file_loads_as_a_lexicon_and_every_row_has_a_source():
    entries = load_entries([lexgen.OUTPUT_FILE])
    assert entries and all(e.category == "severe_error" and e.source.startswith("generated: ") for e in entries)
    assert all(e.suggestion and e.note for e in entries)


def test_the_lexicon_stays_reviewable(rows):
    assert 500 < len(rows) < 4000


def test_a_bad_source_line_names_file_and_line(tmp_path):
    bad = tmp_path / "names.tsv"
    bad.write_text("name\tkind\tseverity\tsource\n中华人民共和国\tcountry\tveto\tx\n", encoding="utf-8")
    with pytest.raises(lexgen.SourceError, match=r"names.tsv:2: 未知的 kind"):
        lexgen.read_names(bad)


# ---- filters
def test_no_generated_term_is_contains_or_lies_inside_a_correct_form(rows, correct_forms):
    for row in rows:
        for correct in correct_forms:
            assert correct not in row.term and row.term not in correct, (row.term, correct)


def test_no_generated_term_is_a_jieba_word(rows):
    assert [r.term for r in rows if lexgen.word_freq(r.term) > 0] == []


@pytest.mark.parametrize("term, why", [
    ("全国人民代表大会", "a protected name (drop from 全国人民代表大会常务委员会)"),
    ("习习近平", "contains 习近平: 学习习近平…"),
    ("中华人民共和", "lies inside 中华人民共和国"),
    ("全国人大常委回", "contains 全国人大常委, a member's title: 全国人大常委回到家乡"),
    ("张国庆", "a jieba word (homophone of 张国清)"),
    ("中国现代化", "common words only (drop from 中国式现代化)"),
    ("中国是现代化", "common words joined by a function word"),
    ("国务员", "3 characters cut as 国务/员 with a common word"),
])
def test_filters_drop(generator, term, why):
    assert not generator.acceptable(term), why


@pytest.mark.parametrize("term", ["习近评", "中华人民和国", "中华民人共和国", "全国人民代表大常务委员会"])
def test_filters_keep(generator, term):
    assert generator.acceptable(term)


def test_two_character_names_get_no_drop_or_doubling_variants(rows, names):
    short = {n.name for n in names if len(n.name) == 2}
    assert short
    for row in rows:
        if row.suggestion in short:
            assert len(row.term) == 2, row.term
    # and no name of 3 characters loses one
    for row in rows:
        if len(row.suggestion) == 3:
            assert len(row.term) >= 3


def test_homophones_are_capped_per_position(rows):
    per_position: dict[tuple[str, int, str], int] = {}
    for row in rows:
        if len(row.term) != len(row.suggestion) or row.before:  # gated rows come in pairs
            continue
        diff = [i for i, (a, b) in enumerate(zip(row.term, row.suggestion)) if a != b]
        if len(diff) == 1:
            kind = row.note[row.note.index("（") + 1:-1]
            key = (row.suggestion, diff[0], kind)
            per_position[key] = per_position.get(key, 0) + 1
    assert per_position
    for (name, pos, kind), count in per_position.items():
        cap = {"同音字": lexgen.HOMOPHONE_CAP, "近音字": lexgen.NEAR_HOMOPHONE_CAP}.get(kind)
        if cap is not None:
            assert count <= cap, (name, pos, kind)


def test_homophone_candidates_are_common_characters_ranked_by_frequency():
    inventory = lexgen.inventory()
    assert len(inventory) == lexgen.INVENTORY_SIZE
    assert all(lexgen._is_common_han(ch) for ch in inventory)
    table = lexgen._by_pinyin()
    assert table["jin"][:2] == tuple(sorted(table["jin"][:2], key=inventory.__getitem__))
    assert "进" in table["jin"] and "繖" not in inventory  # jieba's dictionary has mis-decoded entries


def test_near_homophones():
    assert lexgen.near_syllables("zhong") == ["zong"]
    assert lexgen.near_syllables("min") == ["ming"]
    assert lexgen.near_syllables("jian") == ["jiang"]
    assert lexgen.near_syllables("ning") == ["ling", "nin"]
    assert lexgen.near_syllables("si") == ["shi"]
    assert lexgen.near_syllables("ge") == []


def test_nothing_listed_in_another_lexicon_is_generated_again(rows):
    others = [f for f in lexicon_files([default_lexicon_dir()]) if f.name != lexgen.OUTPUT_FILE.name]
    listed = {normalize(e.term).text for e in load_entries(others)}
    assert {"习近乎", "习进平", "中国共产觉", "中华人名共和国"} <= listed
    assert {normalize(t).text for t in terms(rows)} & listed == set()


def test_terms_are_unique_except_the_pairs_of_leader_context_rows(rows):
    seen: dict[str, list[lexgen.Row]] = {}
    for row in rows:
        seen.setdefault(row.term, []).append(row)
    for term, group in seen.items():
        if len(group) > 1:
            assert len(group) == 2 and {bool(r.before) for r in group} == {True, False}, term


def test_short_variants_of_leaders_with_common_surnames_need_a_title(rows, names):
    leaders = {n.name for n in names if n.kind == "leader"}
    for row in rows:
        gated = bool(row.before or row.after)
        person_like = (row.suggestion in leaders and len(row.term) <= 3
                       and row.suggestion[0] in lexgen.COMMON_SURNAMES)
        assert gated == person_like, row.term
    assert "习" not in lexgen.COMMON_SURNAMES


# ---- every kind is found by the term check, with the right suggestion
@pytest.mark.parametrize("text, wrong, right, note", [
    ("深入学习贯彻习今平总书记重要讲话精神", "习今平", "习近平", "国家领导人姓名错误（同音字）"),
    ("学习习近评新时代中国特色社会主义思想", "习近评", "习近平", "国家领导人姓名错误（同音字）"),
    ("庆祝中华人明共和国成立七十七周年", "中华人明共和国", "中华人民共和国", "国名错误（近音字）"),
    ("根据中国共产堂章程规定", "中国共产堂", "中国共产党", "党的名称错误（形近字）"),
    ("中华人民共和图成立以来", "中华人民共和图", "中华人民共和国", "国名错误（形近字）"),
    ("依照中华人民和国宪法", "中华人民和国", "中华人民共和国", "国名错误（漏字）"),
    ("中华人民民共和国成立", "中华人民民共和国", "中华人民共和国", "国名错误（重字）"),
    ("中华民人共和国成立", "中华民人共和国", "中华人民共和国", "国名错误（颠倒）"),
    ("报送最高人民检查院", "最高人民检查院", "最高人民检察院", "国家机关名称错误（同音字）"),
    ("国物院办公厅印发通知", "国物院", "国务院", "国家机关名称错误（同音字）"),
    ("全国人民代表大常务委员会公告", "全国人民代表大常务委员会", "全国人民代表大会常务委员会", "国家机关名称错误（漏字）"),
    ("坚持以马克斯列宁主义为指导", "马克斯列宁主义", "马克思列宁主义", "重要提法错误（同音字）"),
    ("国务院总理李墙主持会议", "李墙", "李强", "国家领导人姓名错误（同音字）"),
    ("李墙总理主持会议", "李墙", "李强", "国家领导人姓名错误（同音字）"),
])
def test_generated_errors_are_flagged(matcher, text, wrong, right, note):
    findings = check_terms(text, matcher, TODAY)
    assert [(f.text, f.suggestion, f.category, f.note, f.rule) for f in findings] == [
        (wrong, right, "severe_error", note, "protected-generated")]
    assert check_terms(text.replace(wrong, right), matcher, TODAY) == []


def test_severity_comes_from_the_source(matcher):
    assert check_terms("中华民人共和国", matcher, TODAY)[0].severity == "veto"
    assert check_terms("弘扬社会主义核心价值观和中国式县代化", matcher, TODAY)[0].severity == "major"


@pytest.mark.parametrize("text", [
    "县政协主席李前主持会议",  # 李前: a local official, no national title
    "任命李倩同志为县卫生健康局副局长",
    "李墙主持会议",  # no title: cannot tell a person called 李墙 from a misspelt 李强
    "东盟六国中有四个国家参加",  # 六国中 sounds like 刘国中
    "张国青同志任县农业农村局局长",
    "全国人大常委今年赴地方调研",
    "推动科学发展关键在于落实",
    "中国是现代化进程中的后来者",
    "深入学习习近平新时代中国特色社会主义思想",
    "李强调研时强调",
])
def test_ordinary_text_next_to_protected_names_is_not_flagged(matcher, text):
    assert [f for f in check_terms(text, matcher, TODAY) if f.category == "severe_error"] == []


# ---- precision over correct text
def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.txt"))


def test_the_correct_corpus_is_there_and_long_enough():
    files = corpus_files()
    assert files
    assert sum(len(p.read_text(encoding="utf-8")) for p in files) >= 5000


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_correct_corpus_has_no_severe_errors(matcher, path):
    text = path.read_text(encoding="utf-8")
    hits = [(f.text, f.suggestion, f.context) for f in check_terms(text, matcher, TODAY) if f.category == "severe_error"]
    assert hits == []
