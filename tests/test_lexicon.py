"""Lexicon files, normalisation with offsets, the cached automaton and jieba boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.lexicon import LexiconError, Matcher, default_lexicon_dir, lexicon_files, load_entries, normalize

HEADER = "term\tcategory\tseverity\tsuggestion\tsince\tuntil\tunless\tnote\tsource\n"


def write_lexicon(folder: Path, name: str, rows: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("# test lexicon\n" + HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_bundled_lexicons_load_and_every_entry_names_its_source():
    entries = load_entries(lexicon_files([default_lexicon_dir()]))
    assert len(entries) > 50
    assert all(e.source for e in entries), "every lexicon entry must say where it comes from"
    rules = {e.rule for e in entries}
    assert {"protected-names", "outdated-names", "typos", "spam"} <= rules


def test_spam_lexicon_never_lists_state_symbols_or_leader_names():
    entries = load_entries(lexicon_files([default_lexicon_dir() / "spam.tsv"]))
    for entry in entries:
        for protected in ("习近平", "中华人民共和国", "国旗", "国徽", "共产党"):
            assert protected not in entry.term


def test_bad_lexicon_row_names_file_and_line(tmp_path):
    path = write_lexicon(tmp_path, "bad.tsv", ["错字\ttypo\tfatal\t对字"])
    with pytest.raises(LexiconError, match=r"bad.tsv:3: 未知的 severity"):
        load_entries([path])
    path = write_lexicon(tmp_path, "bad2.tsv", ["旧名\toutdated\tmajor\t新名\t2018-13-01"])
    with pytest.raises(LexiconError, match=r"bad2.tsv:3: since 应为 YYYY-MM-DD"):
        load_entries([path])


def test_normalisation_maps_offsets_back_to_the_original():
    original = "关于\u200b县国 土资源局的通知，ＡＢＣ１２３"
    norm = normalize(original)
    assert norm.text == "关于县国土资源局的通知,ABC123"
    start = norm.text.index("国土资源局")
    o_start, o_end = norm.span_to_original(start, start + len("国土资源局"))
    assert original[o_start:o_end] == "国 土资源局"


def test_spaces_between_words_of_latin_text_are_kept():
    assert normalize("Zhang San 张 三").text == "Zhang San 张三"


def test_hits_through_inserted_spaces_and_full_width_are_found(matcher):
    text = "本网站发现“澳 门 赌 场”字样。"
    hits, _ = matcher.find(text)
    assert [text[h.start:h.end] for h in hits] == ["澳 门 赌 场"]


def test_jieba_rejects_hits_that_cut_through_a_word(matcher):
    hits, _ = matcher.find("我们既使用传统媒体，又使用新媒体。")
    assert hits == []
    hits, _ = matcher.find("既使遇到困难，也要坚持。")
    assert [h.entry.term for h in hits] == ["既使"]


def test_longest_match_wins(matcher):
    hits, _ = matcher.find("原国家卫生和计划生育委员会发布")
    assert [h.entry.term for h in hits] == ["国家卫生和计划生育委员会"]


def test_allow_entries_silence_hits_inside_them(tmp_path):
    folder = tmp_path / "lex"
    write_lexicon(folder, "typos.tsv", ["坐阵\ttypo\tminor\t坐镇\t\t\t\t\ttest"])
    write_lexicon(folder, "allow.tsv", ["坐阵地\tallow\tallow\t\t\t\t\t\ttest: 坐 + 阵地"])
    m = Matcher.from_dirs([folder], cache_dir=tmp_path / "cache")
    assert m.find("战士们坐阵地上休息")[0] == []
    assert [h.entry.term for h in m.find("县长亲自坐阵指挥")[0]] == ["坐阵"]


def test_automaton_is_cached_and_rebuilt_when_a_lexicon_changes(tmp_path):
    folder, cache = tmp_path / "lex", tmp_path / "cache"
    path = write_lexicon(folder, "typos.tsv", ["坐阵\ttypo\tminor\t坐镇\t\t\t\t\ttest"])
    first = Matcher.from_dirs([folder], cache_dir=cache)
    assert len(list(cache.glob("automaton-*.pickle"))) == 1
    again = Matcher.from_dirs([folder], cache_dir=cache)
    assert again.digest == first.digest
    assert [h.entry.term for h in again.find("县长坐阵指挥")[0]] == ["坐阵"]
    path.write_text(path.read_text(encoding="utf-8") + "九宵\ttypo\tminor\t九霄\t\t\t\t\ttest\n", encoding="utf-8")
    changed = Matcher.from_dirs([folder], cache_dir=cache)
    assert changed.digest != first.digest
    assert [h.entry.term for h in changed.find("响彻九宵")[0]] == ["九宵"]


def test_a_corrupt_cache_is_rebuilt_not_fatal(tmp_path):
    folder, cache = tmp_path / "lex", tmp_path / "cache"
    write_lexicon(folder, "typos.tsv", ["坐阵\ttypo\tminor\t坐镇\t\t\t\t\ttest"])
    m = Matcher.from_dirs([folder], cache_dir=cache)
    next(cache.glob("automaton-*.pickle")).write_bytes(b"not a pickle")
    again = Matcher.from_dirs([folder], cache_dir=cache)
    assert again.digest == m.digest
    assert [h.entry.term for h in again.find("县长坐阵指挥")[0]] == ["坐阵"]


def test_extra_lexicons_from_config_are_used_together_with_the_bundled_ones(tmp_path):
    from monitor.lexicon import shared_matcher

    folder = tmp_path / "local"
    write_lexicon(folder, "local_names.tsv", ["示例县人民攻府办\tsevere_error\tveto\t示例县人民政府办\t\t\t\t\tlocal"])
    m = shared_matcher((str(folder),))
    assert {h.entry.rule for h in m.find("县长坐阵指挥")[0]} == {"typos"}
    assert {h.entry.rule for h in m.find("示例县人民攻府办印发")[0]} == {"local-names"}


def test_columns_are_read_by_header_name_and_optional_ones_may_be_left_out(tmp_path):
    path = tmp_path / "mini.tsv"
    path.write_text("severity\tterm\tcategory\nminor\t坐阵\ttypo\n", encoding="utf-8")
    (entry,) = load_entries([path])
    assert (entry.term, entry.category, entry.severity, entry.suggestion) == ("坐阵", "typo", "minor", None)


def test_unknown_or_missing_columns_are_named(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("term\tcategory\tcolour\n坐阵\ttypo\tred\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="未知列：colour；缺少：severity"):
        load_entries([path])


def test_bad_regex_and_bad_severity_rule_are_named(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("term\tcategory\tseverity\tafter\n坐阵\ttypo\tminor\t(unclosed\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad.tsv:2: after 不是有效的正则表达式"):
        load_entries([path])
    path.write_text("term\tcategory\tseverity\tseverity_if\n坐阵\ttypo\tminor\t指挥=>fatal\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad.tsv:2: severity_if 应写成 正则=>级别"):
        load_entries([path])


def test_matcher_folds_lookalike_code_points_and_ideographic_spaces(matcher):
    # ⼈ is the Kangxi radical U+2F08 (NFKC → 人); 　 is an ideographic space
    for text in ("经县⼈民攻府研究", "经县人民　攻府研究", "经县人\u200b民攻府研究"):
        hits, _ = matcher.find(text)
        assert [h.entry.term for h in hits] == ["人民攻府"], text
        assert text[hits[0].start:hits[0].end].replace("\u3000", "").replace("\u200b", "") in ("⼈民攻府", "人民攻府")


def test_spaces_next_to_latin_or_digits_are_kept(matcher):
    assert normalize("2026 年 人 民").text == "2026 年人民"


def _jieba_says_on_boundaries(matcher, norm: str, start: int, end: int) -> bool:
    """The reference: segment the window with jieba every time, no shortcut, no cache."""
    line_start = norm.rfind("\n", 0, start) + 1
    line_end = norm.find("\n", end)
    line_end = len(norm) if line_end < 0 else line_end
    lo = max(line_start, start - matcher.BOUNDARY_WINDOW)
    hi = min(line_end, end + matcher.BOUNDARY_WINDOW)
    pos = lo
    for token in matcher.tokenizer.cut(norm[lo:hi], HMM=False):
        if pos < start < pos + len(token) or pos < end < pos + len(token):
            return False
        pos += len(token)
    return True


def test_boundary_shortcut_and_cache_agree_with_jieba_everywhere(matcher):
    """The dictionary pre-check only skips jieba where jieba could not cut through a hit,
    and cached segmentations give the answer a fresh one gives: every 2- and 3-character
    span of real government text (and of mixed Latin/digit text) is judged alike."""
    corpus = Path(__file__).parent / "fixtures" / "corpus" / "correct_gov_text.txt"
    text = corpus.read_text(encoding="utf-8")[:1500] + "\n关于G20峰会和5G基站建设的通知，ABC123号文件既使用又使用。"
    matcher._cut_cache.clear()
    checked = 0
    for _ in range(2):  # the second round answers from the cache
        for length in (2, 3):
            for start in range(0, len(text) - length):
                end = start + length
                if "\n" in text[start:end]:
                    continue
                assert matcher._on_word_boundaries(text, start, end) == \
                    _jieba_says_on_boundaries(matcher, text, start, end), text[start:end]
                checked += 1
    assert checked > 5000
