"""Personal-data check: exposed ID and mobile numbers, masking, redaction.

All ID numbers here are fictional, built from region code 520122 (and a few others)
with a checksum helper; none is copied from a real person.
"""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from monitor.checks.privacy import (
    CODE_WORDS,
    LIST_WORDS,
    OFFICIAL_PHONE_WORDS,
    check_privacy,
    id_checksum_ok,
    mask_id,
    mask_mobile,
    redact,
)

TODAY = date(2024, 6, 1)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(region: str = "520122", birth: str = "19850312", seq: str = "123") -> str:
    """A fictional 18-digit ID number with a correct check digit."""
    body = region + birth + seq
    assert len(body) == 17
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS)) % 11]


def make_id_with_x(region: str = "520122", birth: str = "19900307") -> str:
    """A fictional ID number whose check digit is X."""
    for n in range(1000):
        candidate = make_id(region, birth, f"{n:03d}")
        if candidate.endswith("X"):
            return candidate
    raise AssertionError("no X check digit found")


def wrong_check_digit(id_number: str) -> str:
    good = id_number[-1]
    return id_number[:-1] + ("0" if good != "0" else "1")


def make_id15(region: str = "520122", yymmdd: str = "650312", seq: str = "123") -> str:
    return region + yymmdd + seq


def check(text: str):
    return check_privacy(text, today=TODAY)


def rules(text: str) -> list[str]:
    return [f.rule for f in check(text)]


ID_A = make_id("520122", "19850312", "123")
ID_B = make_id("520122", "19720101", "456")
ID_C = make_id("520103", "20010630", "078")
ID_X = make_id_with_x()
ID15 = make_id15()


def assert_no_raw(finding, raw: str) -> None:
    """None of the places a finding is shown or stored holds the raw number."""
    digits = raw.replace("-", "").replace(" ", "")
    middle = digits[3:-4] if len(digits) == 11 else digits[2:-3]
    dumped = json.dumps(finding.to_dict(), ensure_ascii=False)
    for where in (finding.text, finding.suggestion, finding.key, finding.context, finding.note, dumped):
        assert raw not in where
        assert digits not in where
        assert middle not in where


# ----------------------------------------------------------------- checksum and masks

def test_checksum_matches_the_standard_examples():
    # the worked examples printed in GB 11643-1999
    assert id_checksum_ok("11010519491231002X")
    assert id_checksum_ok("11010519491231002x")
    assert id_checksum_ok("440524188001010014")
    assert not id_checksum_ok("110105194912310021")
    assert not id_checksum_ok("44052418800101001")  # too short
    assert not id_checksum_ok("91520122MA6H123456")  # a credit code, not an ID
    assert not id_checksum_ok("")


def test_test_helper_builds_valid_numbers():
    assert id_checksum_ok(ID_A) and id_checksum_ok(ID_X)
    assert not id_checksum_ok(wrong_check_digit(ID_A))


def test_mask_id_keeps_first_two_and_last_three():
    assert mask_id("520122198503121234") == "52*************234"
    assert mask_id(ID_X) == "52*************" + ID_X[-3:]
    assert mask_id(ID15) == "52**********123"
    for s in (ID_A, ID_X, ID15):
        assert len(mask_id(s)) == len(s)


def test_mask_mobile_keeps_first_three_and_last_four_and_separators():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("138-1234-5678") == "138-****-5678"
    assert mask_mobile("138 1234 5678") == "138 **** 5678"
    assert mask_mobile("+86 138 1234 5678") == "+86 138 **** 5678"
    for s in ("13812345678", "138-1234-5678", "+86 138 1234 5678"):
        assert len(mask_mobile(s)) == len(s)


# ------------------------------------------------------------------- 18-digit IDs

def test_id_in_a_news_paragraph_is_major():
    text = (f"3月5日，县公安局在办理一起电信诈骗案件时，查获涉案人员使用的身份证号码{ID_A}"
            "及银行卡若干张，案件正在进一步侦办中。")
    [f] = check(text)
    assert f.rule == "id-number"
    assert f.category == "privacy"
    assert f.severity == "major"
    assert text[f.start:f.end] == ID_A
    assert f.text == mask_id(ID_A) == f.suggestion == f.key
    assert "公民身份号码" in f.note and mask_id(ID_A) in f.note
    assert f.context[f.context_start:f.context_end] == mask_id(ID_A)
    assert_no_raw(f, ID_A)


def test_dibao_table_with_names_and_ids_is_veto():
    text = (
        "关于2024年5月城乡低保对象的公示\n"
        "序号\t姓名\t性别\t身份证号码\t保障人数\t月发放金额\n"
        f"1\t张三\t男\t{ID_A}\t3\t1200\n"
        f"2\t李四\t女\t{ID_B}\t1\t450\n"
        f"3\t王五\t男\t{ID_X}\t2\t800\n"
    )
    found = check(text)
    assert [f.rule for f in found] == ["id-number"] * 3
    assert {f.severity for f in found} == {"veto"}
    assert [text[f.start:f.end] for f in found] == [ID_A, ID_B, ID_X]
    for f, raw in zip(found, (ID_A, ID_B, ID_X)):
        assert_no_raw(f, raw)


def test_row_deep_in_a_table_is_veto_by_the_name_in_its_row():
    header = "关于城乡低保对象的公示\n序号\t姓名\t身份证号码\n"
    rows = "".join(f"{n}\t张{n:02d}\t{'*' * 18}\n" for n in range(1, 40))  # already masked rows
    text = header + rows + f"40\t赵六\t{ID_A}\n"
    [f] = check(text)
    assert f.severity == "veto"


def test_id_directly_next_to_a_name_is_veto():
    assert [f.severity for f in check(f"经核实，张三，{ID_A}，已于3月迁出本县。")] == ["veto"]
    assert [f.severity for f in check(f"{ID_A} 李小明 系本村村民。")] == ["veto"]


@pytest.mark.parametrize("word", LIST_WORDS)
def test_list_words_make_an_id_veto(word):
    text = f"有关{word}事项说明：号码{ID_A}请核对。"
    assert [f.severity for f in check(text)] == ["veto"]


def test_list_word_within_eighty_characters_before_is_veto():
    text = "2024年第二批临时救助名单\n" + "经村民代表大会评议、乡镇审核，" + f"申请人（身份证号{ID_A}）符合条件。"
    assert [f.severity for f in check(text)] == ["veto"]


@pytest.mark.parametrize("text", [
    f"姓名：张三，身份证号：{ID_A}。",
    f"申请人：欧阳明明（身份证号{ID_A}）",
    f"王小二 公民身份号码 {ID_A}",
])
def test_name_then_id_label_then_number_is_veto(text):
    assert [f.severity for f in check(text)] == ["veto"]


@pytest.mark.parametrize("text", [
    f"据悉，当事人身份证号：{ID_A}，已登记在案。",  # a label is not a name
    f"据悉，身份证号：{ID_A}已被冒用。",  # 据悉 is a word, not a name
    f"经查，{ID_A}系冒用号码。",
])
def test_words_next_to_an_id_that_are_not_names_keep_it_major(text):
    assert [f.severity for f in check(text)] == ["major"]


def test_id_with_lowercase_x_check_digit():
    text = f"证件号：{ID_X.lower()}。"
    [f] = check(text)
    assert text[f.start:f.end] == ID_X.lower()
    assert_no_raw(f, ID_X.lower())


@pytest.mark.parametrize("text", [
    f"身份证号：{ID_A}。",
    f"（{ID_A}）",
    f"\t{ID_A}\t",
    f"号码 {ID_A} 登记",
    f"号码{ID_A}登记",
    f"｜{ID_A}｜",
    ID_A,
])
def test_cjk_text_spaces_and_punctuation_around_an_id_are_fine(text):
    [f] = check(text)
    assert text[f.start:f.end] == ID_A


@pytest.mark.parametrize("text", [
    f"订单编号：12{ID_A}",  # inside a 20-digit order number
    f"流水号{ID_A}99",
    f"ABC{ID_A}",
    f"{ID_A}ABC",
    f"No{ID_A}",
    f"金额{ID_A}.50元",
])
def test_id_inside_a_longer_run_of_digits_or_letters_is_not_flagged(text):
    assert check(text) == []


@pytest.mark.parametrize("number", [
    wrong_check_digit(ID_A),  # checksum wrong
    "520122198513121234",  # month 13
    make_id("520122", "19850230", "123"),  # 30 February
    make_id("520122", "18990101", "123"),  # born before 1900
    make_id("520122", "20250101", "123"),  # born after TODAY
    make_id("990122", "19850312", "123"),  # no province 99
    make_id("000122", "19850312", "123").replace("0", "1", 1),  # province 10
    "91520122MA6H123456",  # unified social credit code
])
def test_implausible_18_digit_numbers_are_not_ids(number):
    assert check(f"身份证号：{number}") == []


def test_birth_date_in_the_future_depends_on_today():
    number = make_id("520122", "20240715", "123")
    assert check_privacy(f"号码{number}", today=date(2024, 6, 1)) == []
    assert [f.rule for f in check_privacy(f"号码{number}", today=date(2024, 8, 1))] == ["id-number"]


def test_two_ids_next_to_each_other_mask_each_other_in_context():
    text = f"身份证号 {ID_A} {ID_C} 登记"
    found = check(text)
    assert len(found) == 2
    for f in found:
        assert_no_raw(f, ID_A)
        assert_no_raw(f, ID_C)
        assert len(f.context) == len(f.context[:f.context_start]) + len(f.text) + len(f.context[f.context_end:])


def test_same_number_twice_is_one_finding():
    text = f"身份证号{ID_A}，复核身份证号{ID_A}。"
    [f] = check(text)
    assert f.start == text.index(ID_A)


def test_different_numbers_that_mask_alike_get_distinct_keys():
    a = make_id("520122", "19850312", "123")
    # same head, same masked tail: search for another fictional number ending in a[-3:]
    b = next(c for c in (make_id("520103", f"1970{m:02d}01", f"{s:03d}")
                         for m in range(1, 13) for s in range(1000))
             if c[-3:] == a[-3:])
    found = check(f"身份证号 {a}\n身份证号 {b}\n")
    assert [f.text for f in found] == [mask_id(a), mask_id(b)] and mask_id(a) == mask_id(b)
    assert found[0].key != found[1].key
    assert found[0].fingerprint != found[1].fingerprint
    for f in found:
        assert_no_raw(f, a)
        assert_no_raw(f, b)


# -------------------------------------------------------------------- 15-digit IDs

def test_15_digit_id_after_an_id_word_is_flagged():
    text = f"当事人王某，身份证号{ID15}，住示例县。"
    [f] = check(text)
    assert f.rule == "id-number-15"
    assert text[f.start:f.end] == ID15
    assert f.text == "52**********123"
    assert_no_raw(f, ID15)


def test_15_digit_number_without_id_context_is_not_flagged():
    assert check(f"项目编码{ID15}，投资额见附表。") == []
    assert check(f"{ID15}") == []


def test_15_digit_id_with_an_id_word_on_the_same_line():
    assert rules(f"公民身份号码（旧）及其他信息：示例县示例镇示例村示例组 {ID15}") == ["id-number-15"]


def test_15_digit_id_on_a_line_with_an_18_digit_id():
    text = f"张三 {ID_A} 李四 {ID15}"
    assert sorted(rules(text)) == ["id-number", "id-number-15"]


def test_15_digit_ids_in_a_table_under_an_id_header():
    second = make_id15("520122", "580707", "456")
    text = ("序号\t姓名\t身份号码\n"
            f"1\t张三\t{ID15}\n"
            f"2\t李四\t{second}\n")
    found = check(text)
    assert [f.rule for f in found] == ["id-number-15", "id-number-15"]
    assert [text[f.start:f.end] for f in found] == [ID15, second]


def test_15_digit_number_with_an_impossible_date_is_not_an_id():
    assert check("身份证号520122651312123") == []  # month 13
    assert check("身份证号990122650312123") == []  # province 99


# ------------------------------------------------------------------------ mobiles

@pytest.mark.parametrize("text, raw", [
    ("申请人本人手机：13812345678。", "13812345678"),
    ("手机 138-1234-5678", "138-1234-5678"),
    ("电话：+86 138 1234 5678", "138 1234 5678"),
    ("电话：+8613812345678", "13812345678"),
    ("(+86)13812345678", "13812345678"),
    ("（+86）13812345678", "13812345678"),
    ("86-13812345678", "13812345678"),
    ("张三13912345678李四", "13912345678"),
    ("号码\t19912345678\t", "19912345678"),
])
def test_mobile_numbers_in_their_usual_forms_are_flagged(text, raw):
    [f] = check(text)
    assert f.rule == "mobile"
    assert f.severity == "major"
    assert text[f.start:f.end] == raw
    assert f.text == mask_mobile(raw) == f.suggestion == f.key
    assert "手机号码" in f.note
    assert_no_raw(f, raw)


@pytest.mark.parametrize("text", [
    "办公电话：0851-12345678",
    "联系电话：(0851)1234567",
    "政务服务便民热线12345",
    "消费者投诉举报专线12315",
    "客服电话400-123-4567",
    "客服电话4001234567",
    "服务热线95588",
    "座机085112345678",
])
def test_landlines_and_hotlines_are_never_flagged(text):
    assert check(text) == []


@pytest.mark.parametrize("text", [
    "订单号1381234567890",  # 13 digits
    "编号A13812345678",
    "编号13812345678B",
    "总投资15000000000元",  # an amount, not a phone
    "共计18000000000人次",
    "比值13812345678.5",
    "批次2023-13812345678",
    "统计 120 138 1234 5678 99",  # one of many space-separated figures
    "举报电话：13812345678",  # published on purpose
    "监督热线 13812345678",
    "举报电话：0851-12345678、13812345678",  # hotline list: landline first, then a mobile
])
def test_mobile_lookalikes_are_not_flagged(text):
    assert check(text) == []


def test_two_mobiles_separated_by_a_space_are_both_flagged():
    text = "申请人手机：13812345678 13987654321"
    found = check(text)
    assert [text[f.start:f.end] for f in found] == ["13812345678", "13987654321"]


# ------------------------------------------------- full-width digits, X/×/Ｘ check character

def fullwidth(s: str) -> str:
    """ASCII digits and X written full-width (as some editors and IMEs produce them)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() or c == "X" else c for c in s)


def mask_shown(raw: str, keep_head: int, keep_tail: int) -> str:
    return raw[:keep_head] + "*" * (len(raw) - keep_head - keep_tail) + raw[-keep_tail:]


@pytest.mark.parametrize("raw", [
    ID_X[:-1] + "Ｘ",  # full-width check character
    ID_X[:-1] + "×",  # multiplication sign used for X (U+00D7, not touched by NFKC)
    fullwidth(ID_X),  # everything full-width
    fullwidth(ID_A),
    fullwidth(ID_A[:9]) + ID_A[9:],  # mixed widths
])
def test_full_width_ids_and_check_characters_are_found_and_masked(raw):
    text = f"王德明 {raw} 城关镇和平社区"
    [f] = check(text)
    assert f.rule == "id-number" and f.severity == "veto"
    assert text[f.start:f.end] == raw
    # shown as written, hidden characters as *; the key is the canonical masked form
    assert f.text == f.suggestion == mask_shown(raw, 2, 3)
    canonical = ID_X if raw[-1] in "Ｘ×X" else ID_A
    assert f.key == mask_id(canonical)
    assert f.context[f.context_start:f.context_end] == f.text
    assert_no_raw(f, raw)
    assert_no_raw(f, canonical)


def test_the_same_id_in_two_widths_is_one_finding_with_the_ascii_key():
    text = f"身份证号{ID_A}，复核身份证号{fullwidth(ID_A)}。"
    [f] = check(text)
    assert f.key == mask_id(ID_A)


@pytest.mark.parametrize("text", [
    f"身份证号：{fullwidth(wrong_check_digit(ID_A))}",  # checksum wrong, full-width
    f"身份证号：{ID_A[:-1]}×",  # × is X only where X is the right check character
    f"面积{ID_X[:-1]}×3",  # a product, not a check character
    "身份证号：５２＊＊＊＊＊＊＊＊＊＊＊＊＊１２３Ｘ",  # masked, full-width
    "手机：１３８＊＊＊＊５６７８",
    "订单号１３８１２３４５６７８９０",  # 13 full-width digits
])
def test_full_width_lookalikes_are_not_flagged(text):
    assert check(text) == []


def test_full_width_mobile_is_found_and_masked():
    raw = fullwidth("13912345678")
    text = f"申请人手机：{raw}。"
    [f] = check(text)
    assert f.rule == "mobile" and text[f.start:f.end] == raw
    assert f.text == "１３９****５６７８"
    assert f.key == "139****5678"
    assert_no_raw(f, raw)
    assert_no_raw(f, "13912345678")


def test_redact_masks_full_width_numbers_in_place():
    fw_id, fw_mobile = fullwidth(ID_A), fullwidth("13812345678")
    text = f"甲{fw_id}乙{fw_mobile}丙{ID_X[:-1]}Ｘ丁{ID_X[:-1]}×戊"
    out = redact(text)
    assert len(out) == len(text)
    assert out == (f"甲{mask_shown(fw_id, 2, 3)}乙１３８****５６７８丙{mask_shown(ID_X, 2, 3)[:-1]}Ｘ"
                   f"丁{mask_shown(ID_X, 2, 3)[:-1]}×戊")


def test_redact_of_a_term_context_hides_a_full_width_id():
    # a term finding's context is cut from the page and only goes through redact()
    context = f"…公示如下：王德明 {ID_X[:-1]}Ｘ 城关镇人民攻府…"
    out = redact(context)
    assert ID_X[:-1] not in out and ID_X[2:-3] not in out
    assert f"王德明 {ID_X[:2]}{'*' * 13}{ID_X[-3:-1]}Ｘ 城关镇" in out


def test_redact_masks_a_full_width_number_cut_at_the_edge():
    out = redact("…" + fullwidth(ID_B[5:]) + " 张三")
    assert out == "…" + "*" * (len(ID_B) - 8) + fullwidth(ID_B[-3:]) + " 张三"


# --------------------------------------------------------- codes that look like mobiles

@pytest.mark.parametrize("text", [
    "合同编号：13520240001",
    "采购项目编号：15220231108",
    "受理编号13820241015",
    "订单号 13900001111",
    "项目号：13900001111",
    "交易流水号 13900001111，",
    "（案号：13900001111）",
    "统一代码 13900001111",
    "合同编号：１３５２０２４０００１",  # full-width
] + [f"{word}：13900001111" for word in CODE_WORDS])
def test_numbers_right_after_a_code_word_are_not_mobiles(text):
    assert check(text) == []


@pytest.mark.parametrize("text", [
    "合同编号：HT2024，签约人手机13912345678",  # the code word is not the number's label
    "项目编号2024-01，负责人手机：13912345678",
    "手机13912345678，合同编号：HT2024",  # the code word comes after
    "编号后请拨打申请人手机，号码为：13912345678",  # more than 10 characters away
    "订单。申请人手机13912345678",  # a sentence ends between
    "编号 手机13912345678",  # a phone word between
    "银行账号：13912345678",  # accounts are personal: not a code word
    "卡号：13912345678",
])
def test_mobiles_not_labelled_by_a_code_word_are_still_flagged(text):
    assert rules(text) == ["mobile"]


def test_account_and_card_words_are_not_code_words():
    assert not {"账号", "卡号", "银行卡号", "账户"} & set(CODE_WORDS)


# ------------------------------------------------------- published official contacts

@pytest.mark.parametrize("text", [
    "联系人：王科长，联系电话：13912345678。",
    "值班手机：13912345678",
    "咨询电话：13912345678",
    "联系方式：13912345678",
    "如有异议，请与县民政局社会救助股联系。联系人：陈某某，手机：13912345678。",
    "监督电话：0851-12345678，13912345678",
] + [f"{word}：13912345678" for word in OFFICIAL_PHONE_WORDS])
def test_published_official_contacts_are_not_personal_data(text):
    assert check(text) == []


@pytest.mark.parametrize("text", [
    "请联系我局。申请人王某手机13912345678",  # the label is in another sentence
    "联系人：王科长（县民政局社会救助股股长），其本人手机13912345678",  # more than 20 characters
    "联系人：王科长\n张三 13912345678",  # another line
])
def test_a_contact_label_elsewhere_does_not_excuse_a_mobile(text):
    assert rules(text) == ["mobile"]


@pytest.mark.parametrize("text", [
    f"姓名：张三，身份证号：{ID_A}，联系电话：13912345678",
    f"张三 {ID_A} 联系方式：13912345678",
    "张三 52************123X 联系电话：13912345678",  # masked ID: still a personal row
])
def test_a_mobile_in_a_row_with_a_name_and_an_id_is_personal_even_with_a_label(text):
    assert "mobile" in rules(text)


def test_a_label_with_a_name_but_no_id_is_an_official_contact():
    assert check("联系人：张三，联系电话：13912345678") == []


def test_a_tab_separated_list_row_under_a_phone_header_is_personal():
    header = "2026年临时救助对象名单公示\n序号\t姓名\t关系\t联系电话\n"
    text = header + "1\t张三\t联系人\t13912345678\n"
    assert rules(text) == ["mobile"]
    # the same row without a 公示/名单 word, or without a phone header, is a contact list
    assert check(text.replace("临时救助对象名单公示", "业务科室通讯录")) == []
    assert check(text.replace("\t联系电话", "\t备注")) == []


def test_demo_contact_line_and_table_row():
    text = ("城乡低保对象名单公示\n姓名 身份证号 住址 保障人数 联系电话\n"
            "王德明 52012219520314015X 城关镇和平社区 2 13912345678\n"
            "李秀兰 520122195808260226 青山镇新民村三组 1 138****5678\n"
            "如有异议，请与县民政局社会救助股联系。联系人：陈某某，手机：13887654321。\n")
    found = [f for f in check(text) if f.rule == "mobile"]
    assert [text[f.start:f.end] for f in found] == ["13912345678"]


# --------------------------------------------------------------- never flagged

@pytest.mark.parametrize("text", [
    "身份证号：52************123X",
    "身份证号：5201**********1234",
    "身份证号：52012219850312****",
    "身份证号：520122********1234",
    "手机：138****5678",
    "手机：138××××5678",
    "手机：138＊＊＊＊5678",
    "网站标识码：5201220001",
    "公安机关备案号：52012202006106",
    "黔公网安备 52012202006106号",
    "黔ICP备10201081号-1",
    "（2023）黔0122民初1234号",
    "发布日期：20230417",
    "交易流水号：2023041752012219850312123",
    "统一社会信用代码：91520122MA6H123456",
    "统一社会信用代码：115201220000123456",
    "文号：示府办发〔2024〕12号",
])
def test_things_that_look_like_numbers_but_are_not_personal_data(text):
    assert check(text) == []


def test_a_typical_page_footer_is_clean():
    text = ("主办单位：示例县人民政府办公室 网站标识码：5201220001\n"
            "黔ICP备10201081号-1 黔公网安备 52012202006106号\n"
            "联系电话：0851-12345678 政务服务便民热线：12345")
    assert check(text) == []


# ----------------------------------------------------------------------- redact

def test_redact_is_length_preserving_and_masks_every_number_shape():
    bad_checksum = wrong_check_digit(ID_A)
    text = (f"甲{bad_checksum}乙{ID15}丙13812345678丁138-1234-5678戊"
            f"+86 139 8765 4321己{ID_X}")
    out = redact(text)
    assert len(out) == len(text)
    assert mask_id(bad_checksum) in out
    assert mask_id(ID15) in out
    assert "138****5678" in out and "138-****-5678" in out and "+86 139 **** 4321" in out
    assert mask_id(ID_X) in out
    for raw in (bad_checksum, ID15, "13812345678", "1234-5678", "9876 4321", ID_X):
        assert raw not in out


def test_redact_leaves_other_text_alone():
    text = ("网站标识码5201220001，黔公网安备 52012202006106号，黔ICP备10201081号-1，"
            "（2023）黔0122民初1234号，发布日期20230417，热线12345，电话0851-12345678，"
            "流水号2023041752012219850312123，已脱敏 52************123X。")
    assert redact(text) == text


def test_redact_masks_a_number_cut_in_half_at_a_context_edge():
    # make_context cuts 30 characters each side: a neighbouring number may be cut
    left = "…" + ID_B[5:] + " 张三 " + mask_id(ID_A)
    out = redact(left)
    assert len(out) == len(left)
    assert ID_B[5:-3] not in out and out.startswith("…" + "*" * (len(ID_B) - 8) + ID_B[-3:])
    right = mask_id(ID_A) + " 李四 " + ID_B[:12] + "…"
    out = redact(right)
    assert len(out) == len(right)
    assert out.endswith(ID_B[:2] + "*" * 10 + "…")
    # a cut ID whose tail happens to be 15 digits long still keeps only 3 digits
    assert redact("…" + ID_B[3:] + " 张三") == "…" + "*" * 12 + ID_B[-3:] + " 张三"
    # a cut, space-separated mobile keeps only its outer digits
    assert redact("…1234 5678 王五") == "…**** *678 王五"


@pytest.mark.parametrize("text", [
    "…2026-10-19 10:30",
    "…6-10-19 10:30 发布",
    "…026年10月19日",
    "…10:30 发布",
    "…19 2026年",
    "发布时间：2026-10-19 10:30…",
    "发布时间：2026-10…",
    "于2026年10月19…",
    "…1234 张三",  # 4 digits: not a cut number
    "电话 1391…",
])
def test_redact_leaves_dates_and_short_runs_at_an_edge_alone(text):
    assert redact(text) == text


@pytest.mark.parametrize("text, want", [
    ("…12345 张三", "…**345 张三"),
    ("…1234X 张三", "…**34X 张三"),
    ("…8-1234-5678 王五", "…*-****-*678 王五"),
    ("张三 52012219…", "张三 52******…"),
    ("手机 138 1234…", "手机 13* ****…"),
])
def test_redact_masks_runs_of_five_digits_or_mobile_pieces_at_an_edge(text, want):
    assert redact(text) == want


def test_redact_of_a_finding_context_masks_neighbours_cut_at_the_edge():
    gap = "，经村民代表会议评议，登记人为本组村民，"  # 20 characters: neighbours are cut
    text = "示" * 40 + ID_B + gap + ID_A + gap + "13987654321" + "示" * 40
    found = check(text)
    assert len(found) == 3
    middle = found[1]
    assert middle.context.startswith("…**") and middle.context.endswith("**…")
    for f in found:
        for raw in (ID_A, ID_B, "13987654321"):
            assert_no_raw(f, raw)


# ------------------------------------------------------------------------ speed

def test_a_large_page_is_checked_quickly():
    chunk = ("示例县人民政府关于印发工作方案的通知，网站标识码5201220001，订单1381234567890，"
             "发布日期20230417，金额15000000000元，电话0851-12345678。\n")
    text = chunk * 5000  # ≈ 400,000 characters
    started = time.perf_counter()
    assert check(text) == []
    assert time.perf_counter() - started < 5
