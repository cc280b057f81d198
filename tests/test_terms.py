"""The term check: what must be flagged, and the correct text right next to it that must not."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.checks.terms import check_terms

TODAY = date(2026, 11, 20)


def found(text, matcher, published=TODAY):
    return [(f.text, f.category, f.severity) for f in check_terms(text, matcher, published)]


# ---- protected names (严重错误)
@pytest.mark.parametrize("wrong, right", [
    ("深入学习贯彻习近乎新时代中国特色社会主义思想", "深入学习贯彻习近平新时代中国特色社会主义思想"),
    ("中华人民共合国成立七十七周年", "中华人民共和国成立七十七周年"),
    ("经县人民攻府研究决定", "经县人民政府研究决定"),
    ("国务院总经理主持召开国务院常务会议", "国务院总理主持召开国务院常务会议"),
])
def test_protected_names_wrong_form_is_a_veto_and_the_correct_form_is_silent(matcher, wrong, right):
    hits = check_terms(wrong, matcher, TODAY)
    assert len(hits) == 1
    assert hits[0].category == "severe_error" and hits[0].severity == "veto"
    assert hits[0].suggestion and hits[0].suggestion in right
    assert check_terms(right, matcher, TODAY) == []


def test_protected_name_misspelling_inside_a_title_is_still_an_error(matcher):
    assert found("根据《中华人民共合国政府信息公开条例》规定", matcher) == [("中华人民共合国", "severe_error", "veto")]


def test_leader_name_hit_across_a_word_is_not_flagged(matcher):
    # 学习近乎 contains 习近乎 but reads 学习 / 近乎 ("study almost ...")
    assert found("这种学习近乎完美", matcher) == []


def test_agency_name_with_yu_instead_of_he(matcher):
    assert found("国家发展与改革委员会印发通知", matcher) == [("国家发展与改革委员会", "severe_error", "major")]
    assert found("国家发展和改革委员会印发通知", matcher) == []


# ---- outdated names: date-aware
def test_outdated_name_on_a_page_published_after_the_change(matcher):
    hits = check_terms("请将材料报送县国土资源局耕地保护股。", matcher, date(2026, 11, 3))
    assert [(h.text, h.severity, h.suggestion) for h in hits] == [("国土资源局", "major", "自然资源局")]


def test_outdated_name_on_a_page_published_before_the_change_is_correct(matcher):
    assert found("请将材料报送县国土资源局耕地保护股。", matcher, date(2017, 6, 12)) == []


def test_outdated_name_on_the_day_of_the_change(matcher):
    assert found("国务院扶贫开发领导小组办公室发布", matcher, date(2021, 2, 24)) == []
    assert found("国务院扶贫开发领导小组办公室发布", matcher, date(2021, 2, 25)) == [
        ("国务院扶贫开发领导小组办公室", "outdated", "major")]


def test_outdated_name_without_a_date_is_minor_never_more(matcher):
    hits = check_terms("请将材料报送县国土资源局。", matcher, None)
    assert [(h.severity) for h in hits] == ["minor"]
    assert "发布日期未知" in hits[0].note


@pytest.mark.parametrize("text", [
    "原县国土资源局的档案已移交县自然资源局。",
    "县自然资源局（原县国土资源局）负责该项工作。",
    "原示例县国土资源局局长张某某",
    "转发《国家卫生和计划生育委员会关于印发国家基本公共卫生服务规范（第三版）的通知》",
])
def test_historical_mentions_are_not_flagged(matcher, text):
    assert found(text, matcher) == []


def test_yuan_as_in_principle_does_not_make_a_mention_historical(matcher):
    assert found("会议原则同意县国土资源局的方案", matcher) != []


def test_covid_rename_of_2022_12_26(matcher):
    assert found("做好新冠肺炎疫情防控", matcher, date(2022, 6, 1)) == []
    assert found("做好新冠肺炎疫情防控", matcher, date(2023, 3, 1)) == [("新冠肺炎", "outdated", "major")]


# ---- typos
@pytest.mark.parametrize("wrong, right", [("再接再励", "再接再厉"), ("迫不急待", "迫不及待"), ("按步就班", "按部就班")])
def test_idiom_typos(matcher, wrong, right):
    assert found(f"希望大家{wrong}，取得新成绩。", matcher) == [(wrong, "typo", "minor")]
    assert found(f"希望大家{right}，取得新成绩。", matcher) == []


# ---- spam
def test_hidden_gambling_spam_is_a_veto(matcher):
    hits = found("澳门赌场 百家乐 网上赌场", matcher)
    assert sorted(hits) == sorted([("澳门赌场", "sensitive", "veto"), ("百家乐", "sensitive", "veto"),
                                   ("网上赌场", "sensitive", "veto")])


def test_anti_gambling_notice_is_not_spam(matcher):
    assert found("公安机关将严厉打击六合彩、网络赌博等违法犯罪活动。", matcher) == []
    assert found("谨防“百家乐”网络诈骗，发现线索请举报。", matcher) == []


# ---- finding shape
def test_offsets_point_into_the_text_as_given(matcher):
    text = "第一段。\n第二段：经县人民攻府研究决定，现通知如下。"
    (hit,) = check_terms(text, matcher, TODAY)
    assert text[hit.start:hit.end] == "人民攻府"
    assert hit.context[hit.context_start:hit.context_end] == "人民攻府"


def test_context_masks_personal_numbers_near_a_term_hit(matcher):
    text = "经县人民攻府研究，张三 520122198503121234 同意。"
    (hit,) = check_terms(text, matcher, TODAY)
    assert "520122198503121234" not in hit.context
    assert "人民攻府" in hit.context


def test_one_finding_per_term_per_text(matcher):
    hits = check_terms("再接再励！再接再励！再接再励！", matcher, TODAY)
    assert len(hits) == 1 and hits[0].start == 0


# ---- context conditions in the lexicon (data, not code)
@pytest.mark.parametrize("text", ["截止2026年10月底，全县共完成", "截止目前，已受理申请120件", "截止 11月20日，累计发放"])
def test_jiezhi_before_a_point_in_time_should_be_jiezhi_up_to(matcher, text):
    assert [(f.text, f.suggestion) for f in check_terms(text, matcher, TODAY)] == [("截止", "截至")]


@pytest.mark.parametrize("text", ["报名截止日期为11月30日", "申报于11月30日截止。", "截至2026年10月底，全县共完成", "截止时间：2026年12月1日"])
def test_jiezhi_meaning_deadline_and_correct_jiezhi_are_silent(matcher, text):
    assert check_terms(text, matcher, TODAY) == []


def test_before_after_and_severity_if_columns(tmp_path):
    from monitor.lexicon import Matcher

    folder = tmp_path / "lex"
    folder.mkdir()
    (folder / "ctx.tsv").write_text(
        "term\tcategory\tseverity\tbefore\tafter\tseverity_if\tsource\n"
        "坐阵\ttypo\tminor\t\t指挥\t\ttest\n"
        "九宵\ttypo\tminor\t响彻$\t\t标题|通知=>major\ttest\n", encoding="utf-8")
    m = Matcher.from_dirs([folder], cache_dir=tmp_path / "cache")
    assert [f.text for f in check_terms("县长亲自坐阵指挥", m, TODAY)] == ["坐阵"]
    assert check_terms("县长亲自坐阵，现场很热闹", m, TODAY) == []
    assert check_terms("歌声直上九宵", m, TODAY) == []
    assert [f.severity for f in check_terms("歌声响彻九宵", m, TODAY)] == ["minor"]
    assert [f.severity for f in check_terms("通知：歌声响彻九宵", m, TODAY)] == ["major"]


# ---- found in review: place names with 原, citations, agency names jieba splits, court news
@pytest.mark.parametrize("text", ["太原市国土资源局发布通知", "平原县国土资源局召开会议", "高原县国土资源局"])
def test_yuan_inside_a_place_name_is_not_former(matcher, text):
    assert [f.text for f in check_terms(text, matcher, TODAY)] == ["国土资源局"]


def test_former_before_a_place_name_is_still_former(matcher):
    assert check_terms("原太原市国土资源局档案移交", matcher, TODAY) == []


@pytest.mark.parametrize("text", ["依据《土地调查条例实施办法》（国土资源部令第45号）", "根据农业部公告2017年第1号要求"])
def test_citations_of_old_regulations_are_not_outdated_names(matcher, text):
    assert check_terms(text, matcher, TODAY) == []


@pytest.mark.parametrize("text", ["住房与城乡建设部印发通知", "县住房与城乡建设局召开会议"])
def test_he_replaced_by_yu_in_agency_names_is_found_even_when_jieba_splits_it(matcher, text):
    assert [f.suggestion for f in check_terms(text, matcher, TODAY)] == ["住房和城乡建设"]


@pytest.mark.parametrize("text", ["县公安局破获一起网络百家乐赌博案，抓获犯罪嫌疑人5名。",
                                  "被告人以开设赌场罪被判处有期徒刑，其经营的六合彩网站被关停。",
                                  "县人民法院公开宣判一起网上赌场案件。"])
def test_police_and_court_news_about_gambling_is_not_spam(matcher, text):
    assert check_terms(text, matcher, TODAY) == []


# ---- sentences explicitly about the past
@pytest.mark.parametrize("text", [
    "张某某，男，1975年生，曾任县国土资源局副局长。",
    "2017年，县国土资源局完成了第三次土地调查准备工作。",
    "机构改革前，该项职责由县卫生和计划生育委员会承担。",
    "当时县扶贫开发办公室共有干部8名。",
])
def test_sentences_about_the_past_may_use_the_old_name(matcher, text):
    assert check_terms(text, matcher, TODAY) == []


@pytest.mark.parametrize("text", [
    "2017年以来，县国土资源局持续开展土地整治。",
    "请于2026年11月30日前将材料报送县国土资源局。",
    "县国土资源局局长曾某某出席会议。",
])
def test_present_tense_sentences_with_the_old_name_are_flagged(matcher, text):
    assert [f.suggestion for f in check_terms(text, matcher, TODAY)] == ["自然资源局"]


def test_the_past_rule_is_only_for_outdated_names(matcher):
    assert [f.text for f in check_terms("2017年，县人民攻府召开会议。", matcher, TODAY)] == ["人民攻府"]


# ---- county/city forms, short forms, leaders' titles, political expressions
@pytest.mark.parametrize("text, suggestion", [
    ("县环保局开展执法检查", "生态环境局"),
    ("请到县工商局办理登记", "市场监督管理局"),
    ("县卫生和计划生育局召开会议", "卫生健康局"),
    ("县扶贫办组织培训", "乡村振兴局"),
    ("县地税局办税服务厅", "税务局"),
    ("国务院总理李克强主持召开国务院常务会议", "国务院总理李强"),
])
def test_local_and_short_forms_of_renamed_agencies(matcher, text, suggestion):
    assert [f.suggestion for f in check_terms(text, matcher, TODAY)] == [suggestion]


@pytest.mark.parametrize("text", [
    "环保部门要加强监管",  # 环保部门 is one word
    "县农业农村局召开会议",
    "县市场监督管理局开展检查",
    "2022年3月，国务院总理李克强作政府工作报告。",
    "县地税局2017年完成税收收入3亿元。",
])
def test_current_names_generic_words_and_history_are_silent(matcher, text):
    assert check_terms(text, matcher, TODAY) == []


@pytest.mark.parametrize("text, suggestion", [
    ("会见台湾政府官员", "台湾当局"),
    ("所谓台湾总统选举", "台湾地区领导人"),
    ("北朝鲜代表团", "朝鲜"),
    ("香港政府宣布", "香港特区政府"),
])
def test_political_expressions(matcher, text, suggestion):
    (f,) = check_terms(text, matcher, TODAY)
    assert f.suggestion == suggestion and f.category == "severe_error"


@pytest.mark.parametrize("text", ["1912年，孙中山就任中华民国临时大总统。", "香港特区政府宣布", "台湾当局",
                                  "朝鲜和韩国", "1996年香港政府公布的数据"])
def test_correct_political_expressions_and_history_are_silent(matcher, text):
    assert check_terms(text, matcher, TODAY) == []
