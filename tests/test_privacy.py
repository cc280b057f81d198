"""Personal-data check: exposed ID, mobile and bank card numbers, masking, redaction.

All ID and card numbers here are fictional, built from region code 520122 (and a few others)
with a checksum helper; none is copied from a real person.
"""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from monitor.checks.privacy import (
    CARD_CODE_WORDS,
    CARD_WORDS,
    CODE_WORDS,
    LIST_WORDS,
    OFFICIAL_PHONE_WORDS,
    ORG_ACCOUNT_WORDS,
    check_privacy,
    id_checksum_ok,
    luhn_ok,
    mask_card,
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


# -------------------------------------------------------------------- bank cards

def luhn_digit(body: str) -> str:
    """The Luhn check digit for `body` (computed here, independently of the module)."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def make_card(body: str) -> str:
    """A fictional card number: `body` plus a correct Luhn check digit."""
    return body + luhn_digit(body)


def fail_luhn(card: str) -> str:
    return card[:-1] + str((int(card[-1]) + 1) % 10)


def grouped(card: str, sep: str = " ") -> str:
    return sep.join(card[i:i + 4] for i in range(0, len(card), 4))


CARD_19 = make_card("622202" + "123456789012")  # UnionPay, 19 digits
CARD_16 = make_card("622848" + "012345678")  # UnionPay, 16 digits
VISA_16 = make_card("436742" + "012345678")
VISA_19 = make_card("436742" + "012345678901")  # 19-digit Chinese Visa debit card
MC_16 = make_card("532435" + "123456789")
MC2_16 = make_card("222100" + "123456789")  # Mastercard 2-series
BIN60_19 = make_card("601382" + "123456789012")  # older domestic BIN outside 62
CARD_BAD = fail_luhn(make_card("621700" + "987654321098"))  # 62…, 19 digits, fails Luhn
CARDS = (CARD_19, CARD_16, VISA_16, VISA_19, MC_16, MC2_16, BIN60_19)

UNVERIFIED = "校验未通过、疑似银行卡号，请人工确认"


def card_rules(text: str) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in check(text)]


def assert_no_raw_card(finding, raw: str) -> None:
    """None of the places a finding is shown or stored holds the card number or its
    hidden middle digits."""
    digits = raw.replace("-", "").replace(" ", "").replace("\u3000", "")
    dumped = json.dumps(finding.to_dict(), ensure_ascii=False)
    for where in (finding.text, finding.suggestion, finding.key, finding.context, finding.note, dumped):
        assert raw not in where
        assert digits not in where
        assert digits[4:-4] not in where


def test_test_helpers_build_luhn_valid_cards():
    assert luhn_ok("79927398713") and luhn_ok("4111111111111111")  # textbook examples
    assert not luhn_ok("4111111111111112") and not luhn_ok("7")
    assert luhn_ok(grouped(CARD_19)) and luhn_ok(grouped(CARD_19, "-"))
    for card in CARDS:
        assert luhn_ok(card) and not luhn_ok(fail_luhn(card))
    assert not luhn_ok(CARD_BAD) and CARD_BAD.startswith("62")


def test_mask_card_keeps_first_four_and_last_four_digits_and_separators():
    assert mask_card("6222021234567890123") == "6222***********0123"
    assert mask_card("6222 0212 3456 7890 123") == "6222 **** **** ***0 123"
    assert mask_card("6228-4801-2345-6789") == "6228-****-****-6789"
    for s in (CARD_19, CARD_16, grouped(CARD_19), grouped(CARD_16, "-")):
        assert len(mask_card(s)) == len(s)


def test_valid_card_in_prose_is_major():
    text = f"经查，涉案银行卡（{CARD_19}）已冻结，相关资金正在追缴。"
    [f] = check(text)
    assert f.rule == "bank-card" and f.category == "privacy" and f.severity == "major"
    assert text[f.start:f.end] == CARD_19
    assert f.text == f.suggestion == f.key == mask_card(CARD_19)
    assert "银行卡号" in f.note and mask_card(CARD_19) in f.note and UNVERIFIED not in f.note
    assert f.context[f.context_start:f.context_end] == f.text
    assert_no_raw_card(f, CARD_19)


@pytest.mark.parametrize("card", CARDS)
def test_every_issuer_prefix_is_a_card(card):
    text = f"号码 {card} 已登记"
    [f] = check(text)
    assert (f.rule, f.severity) == ("bank-card", "major")
    assert text[f.start:f.end] == card
    assert_no_raw_card(f, card)


def test_subsidy_table_with_names_and_cards_is_veto():
    text = (
        "2024年耕地地力保护补贴发放公示\n"
        "序号\t姓名\t村组\t银行卡号\t补贴金额\n"
        f"1\t张三\t新民村一组\t{CARD_19}\t1200.50\n"
        f"2\t李四\t新民村二组\t{grouped(CARD_16)}\t860.00\n"
        f"3\t王五\t新民村三组\t{VISA_19}\t430.25\n"
    )
    found = check(text)
    assert [(f.rule, f.severity) for f in found] == [("bank-card", "veto")] * 3
    assert [text[f.start:f.end] for f in found] == [CARD_19, grouped(CARD_16), VISA_19]
    for f in found:
        assert "泄露个人隐私" in f.note
        for raw in (CARD_19, CARD_16, VISA_19):
            assert_no_raw_card(f, raw)


@pytest.mark.parametrize("text", [
    f"张三，银行卡号：{CARD_19}。",
    f"户主：李秀兰 一卡通账号 {CARD_19}",
    f"{CARD_19} 王德明",
    f"经评议，拟发放临时救助金，收款卡号{CARD_19}。",  # a list word before
])
def test_card_next_to_a_name_or_in_a_list_context_is_veto(text):
    assert card_rules(text) == [("bank-card", "veto")]


@pytest.mark.parametrize("text", [
    f"银行卡号：{CARD_19}",  # 银… is a surname, 银行卡号 is not a name
    f"开户行：农业银行 {CARD_19}",
    f"社保卡号 {CARD_19}",
])
def test_bank_and_card_labels_are_not_names(text):
    assert card_rules(text) == [("bank-card", "major")]


@pytest.mark.parametrize("raw", [
    grouped(CARD_19),  # 6222 0212 3456 7890 12x
    grouped(CARD_19, "-"),
    grouped(CARD_16),
    grouped(CARD_16, "-"),
    grouped(MC_16),
])
def test_cards_grouped_by_four_are_found_and_masked_in_place(raw):
    text = f"申请人银行卡号：{raw}，开户行：示例县农商行"
    [f] = check(text)
    assert f.rule == "bank-card"
    assert text[f.start:f.end] == raw
    assert f.text == mask_card(raw) and len(f.text) == len(raw)
    sep = raw[4]
    assert f.text[4] == sep and f.text.count(sep) == raw.count(sep)
    assert f.key == mask_card(raw.replace(sep, ""))  # the key does not depend on the grouping
    assert_no_raw_card(f, raw)


def test_a_grouped_card_keeps_its_last_four_digits_visible():
    raw = "6222 0212 3456 7890 123"
    assert mask_card(raw) == "6222 **** **** ***0 123"


@pytest.mark.parametrize("raw", [
    fullwidth(CARD_19),
    fullwidth(CARD_16[:8]) + CARD_16[8:],  # mixed widths
    "\u3000".join(fullwidth(CARD_19)[i:i + 4] for i in range(0, 19, 4)),  # ideographic spaces
])
def test_full_width_cards_are_found_and_masked(raw):
    text = f"卡号：{raw}。"
    [f] = check(text)
    assert f.rule == "bank-card"
    assert text[f.start:f.end] == raw
    assert f.text == f.suggestion
    assert f.text[:4] == raw[:4] and f.text[-4:] == raw[-4:] and len(f.text) == len(raw)
    canonical = CARD_19 if len(raw) >= 19 else CARD_16
    assert f.key == mask_card(canonical)
    assert_no_raw_card(f, raw)
    assert_no_raw_card(f, canonical)


def test_the_same_card_twice_in_two_forms_is_one_finding():
    text = f"卡号{CARD_19}，复核卡号{grouped(CARD_19)}，{fullwidth(CARD_19)}。"
    [f] = check(text)
    assert f.start == text.index(CARD_19)


# ------------------------------------------------ 62… numbers that fail Luhn

@pytest.mark.parametrize("word", CARD_WORDS)
def test_62_number_failing_luhn_after_a_card_word_is_minor(word):
    text = f"经核实，{word}：{CARD_BAD}，请于本月内到柜台办理。"
    [f] = check(text)
    assert (f.rule, f.severity) == ("bank-card", "minor")
    assert text[f.start:f.end] == CARD_BAD
    assert f.text == mask_card(CARD_BAD)
    assert UNVERIFIED in f.note
    assert_no_raw_card(f, CARD_BAD)


def test_62_number_failing_luhn_grouped_after_a_card_word_is_minor():
    raw = grouped(CARD_BAD)
    text = f"银行账户 {raw}"
    [f] = check(text)
    assert (f.severity, text[f.start:f.end], f.text) == ("minor", raw, mask_card(raw))


@pytest.mark.parametrize("text", [
    f"经核实，号码{CARD_BAD}，请于本月内到柜台办理。",
    f"{CARD_BAD}",
    f"张三 {CARD_BAD}",
    f"卡号为本人所有。{CARD_BAD}",  # the card word is in another sentence
    f"卡号说明见附件，由乡镇财政所统一登记造册：{CARD_BAD}",  # too far away
    f"卡号：{fail_luhn(VISA_19)}",  # failing Luhn counts only for UnionPay 62…
])
def test_62_number_failing_luhn_without_a_card_word_just_before_is_not_flagged(text):
    assert check(text) == []


def test_62_number_failing_luhn_in_a_list_is_major():
    text = f"2024年临时救助发放名单：李四，银行卡号：{CARD_BAD}"
    [f] = check(text)
    assert (f.rule, f.severity) == ("bank-card", "major")
    assert UNVERIFIED in f.note and "公示名单" in f.note


def test_62_number_failing_luhn_under_a_card_column_header_is_flagged():
    text = ("序号\t姓名\t一卡通账号\t金额\n"
            f"1\t张三\t{CARD_19}\t300\n"
            f"2\t李四\t{CARD_BAD}\t300\n")
    found = check(text)
    assert [(f.severity, text[f.start:f.end]) for f in found] == [("veto", CARD_19), ("major", CARD_BAD)]
    assert UNVERIFIED in found[1].note and UNVERIFIED not in found[0].note
    # the same rows under a column that is not a card column: only the valid card
    assert [f.severity for f in check(text.replace("一卡通账号", "备注"))] == ["veto"]


# ---------------------------------------------------------- not cards

ORDER_19 = make_card("622202" + "202406010001")  # Luhn-valid and 62…, but labelled a code


@pytest.mark.parametrize("text", [
    f"交易流水号：{ORDER_19}",
    f"交易流水号 {grouped(ORDER_19)}",
    f"订单号：{ORDER_19}",
    f"快递单号{ORDER_19}",
    f"订单编号：{CARD_16}",
    f"发票号码：{CARD_16}",
    f"纳税人识别号：{CARD_16}",
    f"统一社会信用代码：{CARD_19[:18]}",
    f"身份证号：{make_card('62010219850312012')}",  # an ID label: an ID (with a typo), not a card
    f"身份证号：{fail_luhn(CARD_19)}",
] + [f"{word}：{CARD_19}" for word in CARD_CODE_WORDS])
def test_numbers_labelled_as_codes_are_not_cards(text):
    assert check(text) == []


@pytest.mark.parametrize("text", [
    f"订单号20240601{CARD_19[:12]}",  # 20 digits
    f"订单号：{CARD_19}8",  # 20 digits
    "订单号：2024060112345678901",  # 19 digits, no issuer prefix
    "交易时间20240601123045123",  # a timestamp (17 digits)
    f"单据{grouped(CARD_16)} 1234",  # a fifth group: a 20-digit number
    f"统计 120 {grouped(CARD_19)}",  # one of many space-separated figures
    f"A{CARD_19}",
    f"{CARD_19}B",
    f"NO.{CARD_19}",
    f"2023-{CARD_19}",
    f"{CARD_19}-01",
    f"{CARD_19}.50",
    f"金额{VISA_16}元",
    f"¥{VISA_16}",
    f"号码{make_card('8' + '123456789012345')}",  # Luhn-valid, no issuer prefix
    f"号码{make_card('52012219850312123')}",  # 18 digits starting 52: Mastercard issues 16 only
    f"号码{make_card('62012219850312123')}",  # shaped like a Gansu ID with a wrong check digit
])
def test_card_lookalikes_are_not_flagged(text):
    assert [f for f in check(text) if f.rule == "bank-card"] == []


def test_valid_id_that_also_passes_luhn_is_an_id_not_a_card():
    gansu = next(c for c in (make_id("620102", "19850312", f"{n:03d}") for n in range(1000))
                 if c[-1] != "X" and luhn_ok(c))
    for text in (f"号码{gansu}", f"卡号：{gansu}", f"张三 {gansu}"):
        found = check(text)
        assert [f.rule for f in found] == ["id-number"]
        assert found[0].text == mask_id(gansu)
    # a valid ID starting 4/5 is never a card either (18 digits are not a Visa/Mastercard length)
    assert rules(f"号码{ID_A}") == ["id-number"]


def test_id_label_with_a_typo_is_a_card_after_a_card_word():
    # an ID-shaped 18-digit 62… number that fails the ID checksum but passes Luhn
    number = next(c for c in (make_card(f"62010219850312{n:03d}") for n in range(1000))
                  if not id_checksum_ok(c))
    assert check(f"号码{number}") == []
    assert card_rules(f"卡号：{number}") == [("bank-card", "major")]


@pytest.mark.parametrize("text", [
    "银行卡号：6222********1234",
    "银行卡号：6222 **** **** 1234",
    "银行卡号：6222-****-****-1234",
    "银行卡号：6222××××××××1234",
    "银行卡号：6222＊＊＊＊＊＊＊＊＊＊＊0123",
    "卡号：６２２２＊＊＊＊＊＊＊＊１２３４",
    f"卡号：{CARD_19[:4]}{'*' * 11}{CARD_19[-4:]}",
    f"卡号：{mask_card(grouped(CARD_BAD))}",
])
def test_masked_cards_are_compliant(text):
    assert check(text) == []


# -------------------------------------------------- organisation accounts

@pytest.mark.parametrize("word", ORG_ACCOUNT_WORDS)
def test_numbers_after_an_organisation_account_word_are_not_personal(word):
    text = f"缴费方式：请将费用转入{word}：{CARD_19}，开户行：示例县农商行营业部。"
    assert check(text) == []
    # the same number labelled as a person's card is flagged
    assert card_rules(text.replace(word, "申请人银行卡号")) == [("bank-card", "major")]


def test_payment_notice_block_with_an_office_holder_is_not_personal():
    text = ("关于收取2024年度城乡居民医疗保险费的通知\n缴费账户信息如下：\n"
            "账户名称：示例县医疗保障局\n开户行：中国农业银行示例县支行\n"
            f"账号：{grouped(CARD_19)}\n另：卡号：{CARD_BAD}\n")
    assert check(text) == []
    assert len(check(text.replace("示例县医疗保障局", "张三"))) == 2


@pytest.mark.parametrize("holder", ["示例县财政局", "示例县人民医院", "县社会保险事业管理中心", "示例县第一中学校"])
def test_organisation_account_holders(holder):
    text = f"户名：{holder}\n账号：{CARD_19}"
    assert check(text) == []


def test_a_personal_name_as_holder_is_flagged_even_if_it_ends_like_an_office():
    # 李院 ends in 院 but is a surname plus one character: a person
    assert card_rules(f"户名：李院 账号：{CARD_19}") == [("bank-card", "veto")]


def test_a_receiving_account_column_in_a_list_of_people_is_still_personal():
    text = ("2024年高龄津贴发放公示\n序号\t姓名\t收款账户\t金额\n"
            f"1\t张三\t{CARD_19}\t100\n")
    assert card_rules(text) == [("bank-card", "veto")]


def test_an_organisation_account_word_far_above_does_not_excuse_a_card():
    text = ("单位对公账户见附件。" + "示" * 90 + f"\n申请人银行卡号：{CARD_19}")
    assert card_rules(text) == [("bank-card", "major")]


# -------------------------------------------------- cards, IDs, mobiles together

def test_card_id_and_mobile_in_one_row_mask_each_other():
    text = f"张三\t{ID_A}\t{CARD_19}\t13912345678\n"
    found = check(text)
    assert sorted(f.rule for f in found) == ["bank-card", "id-number", "mobile"]
    for f in found:
        assert text[f.start:f.end] in (ID_A, CARD_19, "13912345678")
        assert_no_raw(f, ID_A)
        assert_no_raw_card(f, CARD_19)
        assert "13912345678" not in f.context


def test_card_neighbours_cut_at_a_context_edge_are_masked():
    gap = "，经村民代表会议评议，登记人为本组村民，"  # 20 characters: neighbours are cut
    text = "示" * 40 + grouped(CARD_19) + gap + ID_A + gap + grouped(CARD_16, "-") + "示" * 40
    found = check(text)
    assert [f.rule for f in found] == ["bank-card", "id-number", "bank-card"]
    for f in found:
        assert_no_raw(f, ID_A)
        for raw in (grouped(CARD_19), grouped(CARD_16, "-")):
            assert_no_raw_card(f, raw)
            digits = raw.replace(" ", "").replace("-", "")
            for k in range(len(digits) - 7):  # no 8 consecutive digits of a card survive
                assert digits[k:k + 8] not in f.context.replace(" ", "").replace("-", "")


# ----------------------------------------------------------------- redact cards

def test_redact_masks_card_shaped_runs_length_preserving():
    text = (f"甲{CARD_19}乙{grouped(CARD_16)}丙{grouped(VISA_16, '-')}丁{CARD_BAD}戊"
            f"{fullwidth(CARD_19)}己{grouped(CARD_BAD)}庚")
    out = redact(text)
    assert len(out) == len(text)
    assert out == (f"甲{mask_card(CARD_19)}乙{mask_card(grouped(CARD_16))}丙{mask_card(grouped(VISA_16, '-'))}"
                   f"丁{mask_card(CARD_BAD)}戊{fullwidth(CARD_19)[:4]}{'*' * 11}{fullwidth(CARD_19)[-4:]}己"
                   f"{mask_card(grouped(CARD_BAD))}庚")


def test_redact_leaves_other_long_numbers_alone():
    not_card = "8" * 15 + "1"  # 16 digits, fails Luhn, not 62…
    assert not luhn_ok(not_card)
    text = f"编号{not_card}，{grouped(not_card)}，发布日期20240601，流水号2023041752012219850312123"
    assert redact(text) == text


@pytest.mark.parametrize("text, want", [
    ("…0212 3456 7890 123 张三", "…**** **** **** 123 张三"),
    ("…12-3456-7890-123 张三", "…**-****-****-123 张三"),
    ("张三 6222 0212 34…", "张三 62** **** **…"),
    ("张三 6222-0212…", "张三 62**-****…"),
    ("张三 6222-0212-…", "张三 62**-****-…"),
    ("…-3456-7890-123 张三", "…-****-****-123 张三"),
])
def test_redact_masks_a_grouped_card_cut_at_an_edge(text, want):
    assert redact(text) == want


# ------------------------------------------------------------------- speed, cards

def test_a_large_page_full_of_long_numbers_is_checked_quickly():
    chunk = (f"订单号{ORDER_19}，交易流水号 {grouped(ORDER_19)}，统计 120 {grouped(CARD_16)}，"
             f"号码{CARD_BAD}，已脱敏卡号 {mask_card(CARD_19)}，日期20240601123045123。\n")
    text = chunk * 3000  # ≈ 400,000 characters
    started = time.perf_counter()
    assert check(text) == []
    redact(text)
    assert time.perf_counter() - started < 5


def test_numbers_written_with_any_digit_form_pass_the_quick_gate():
    # the gate that skips number-free pages must let through every form the check folds
    from monitor.checks.privacy import _GATE

    for text in ("13812345678", "１３８１２３４５６７８", "138 1234 5678", "138\u30001234\u30005678",
                 "138－1234－5678", "6222 0212 3456 7890", "520122198503121234"):
        assert _GATE.search(text), text
    for text in ("2026年11月20日", "发布时间：2026-11-20 09:30", "共计123万元", "第45号"):
        assert not _GATE.search(text), text


def test_an_id_truncated_by_a_spreadsheet_is_still_a_leak_in_a_list():
    truncated = "520122198503121000"  # Excel keeps 15 significant digits
    (f,) = check_privacy(f"低保对象名单\n张三\t{truncated}\t某村", date(2026, 11, 20))
    assert f.rule == "id-number" and f.severity == "veto" and "截断" in f.note
    assert truncated not in f.text + f.context
    (f,) = check_privacy(f"身份证号：{truncated}", date(2026, 11, 20))
    assert f.severity == "major"


def test_an_18_digit_number_ending_in_000_alone_is_not_an_id():
    assert check_privacy("项目编码520122198503121000已登记", date(2026, 11, 20)) == []
    assert check_privacy("累计金额 520122198503121000 元", date(2026, 11, 20)) == []


def test_scanning_only_lines_with_numbers_finds_what_a_whole_text_scan_finds(monkeypatch):
    """check_privacy searches only the lines that hold a number-shaped run; searching the
    whole text must give the same findings, including numbers at the very start or end of
    a line or of the text, and lines next to lines of other numbers."""
    import monitor.checks.privacy as privacy

    a, b = make_id("520122", "19800101", "123"), make_id("110101", "19751231", "004")
    texts = [
        a,
        f"{a}\n{b}",
        f"序号\t姓名\t身份证号\n1\t张三\t{a}\n2\t李四\t{b}\n",
        f"联系电话：0851-86812345\n手机：13812345678\n银行卡号：6222021234567890123\n",
        f"2026-10-21\n{a}1\n1{b}\n{a}\n",
        f"卡号 6222 0212 3456 7890 123\n\n证件号码：{a[:15]}\n",
        "办公电话 0851-8681234５\n联系人手机 １３８１２３４５６７８",
    ]
    today = date(2026, 11, 20)
    windowed = [check_privacy(t, today) for t in texts]
    monkeypatch.setattr(privacy, "_windows", lambda text: [(0, len(text))] if privacy._GATE.search(text) else [])
    whole = [check_privacy(t, today) for t in texts]
    assert windowed == whole
    assert sum(map(len, whole)) >= 8
