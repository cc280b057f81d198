"""Personal-data check: exposed resident ID numbers, mobile numbers and bank card numbers
in published text.

Pure (no I/O). Precision comes first — a monitor that flags correct text gets switched
off — so every candidate must pass structural checks (province code, birth date,
ISO 7064 MOD 11-2 checksum, word boundaries) before it becomes a finding, and the
15-digit first-generation numbers additionally need an ID word or other ID numbers
nearby. Bank card numbers must pass the Luhn check and start with a known issuer prefix;
UnionPay (62…) numbers that fail Luhn — some real cards do — are only taken with a card
word just before them, and reported with lower confidence. Numbers labelled as codes
(流水号, 订单号, 代码 …) and published organisation accounts (对公账户, 收款账户 …) are
not personal data.

Nothing unmasked ever leaves this module in a Finding: `text`, `suggestion`, `key`
and `note` carry the masked form, and the context goes through `redact()` so that
neighbouring numbers are masked too. All masking is length-preserving, so offsets
into a context stay valid after redaction.

Numbers are matched on the NFKC-folded text (`lexicon._nfkc_table()`, one character for
one character), so full-width digits and check characters (５２０…０１５Ｘ) are found and
masked like ASCII ones; offsets and masks always refer to the text as given.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import date

from ..finding import Finding, make_context
from ..lexicon import _nfkc_table

__all__ = [
    "check_privacy",
    "redact",
    "mask_id",
    "mask_mobile",
    "mask_card",
    "id_checksum_ok",
    "luhn_ok",
    "PROVINCE_CODES",
    "ID_WORDS",
    "LIST_WORDS",
    "OFFICIAL_PHONE_WORDS",
    "CODE_WORDS",
    "CARD_WORDS",
    "CARD_CODE_WORDS",
    "CARD_PREFIXES",
    "ORG_ACCOUNT_WORDS",
    "ORG_ACCOUNT_LABELS",
    "ORG_SUFFIXES",
    "SURNAMES",
    "NOT_NAMES",
]

# --------------------------------------------------------------------------- data

#: GB/T 2260 province-level codes valid as the first two digits of an ID number
PROVINCE_CODES: frozenset[str] = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)

#: words that say "the number nearby is an ID number" (needed for 15-digit numbers)
ID_WORDS: tuple[str, ...] = ("身份证", "身份证号", "证件号", "公民身份号码", "身份号码")

#: words that make an exposed ID number a list/公示 leak → severity `veto`
LIST_WORDS: tuple[str, ...] = ("公示", "名单", "花名册", "低保", "特困", "贫困户", "补贴", "救助", "发放")

#: a mobile number right after one of these (same sentence) is an office's contact,
#: published on purpose (RULES.md §5) — unless it sits in a row of a personal list
OFFICIAL_PHONE_WORDS: tuple[str, ...] = (
    "举报电话", "举报热线", "监督电话", "监督热线", "投诉电话", "投诉热线",
    "咨询电话", "服务热线", "值班电话", "值班手机", "办公电话", "热线电话", "热线",
    "联系电话", "联系人", "联系方式",
)

#: an 11-digit number right after one of these is a code (contract, order, case …), not a
#: mobile. Bank card / 账号 words are deliberately absent: those numbers are personal too.
CODE_WORDS: tuple[str, ...] = (
    "编号", "单号", "订单", "流水号", "批号", "项目号", "受理号", "案号", "序号", "代码",
    "文号", "证号", "登记号",
)

#: a 16–19 digit number right after one of these (same line, nothing but labels and
#: separators between) is a bank card/account number. A UnionPay (62…) number that fails
#: the Luhn check is only reported with one of these just before it (or as the column
#: header of its table cell).
CARD_WORDS: tuple[str, ...] = (
    "卡号", "银行卡", "账号", "帐号", "银行账户", "开户账号", "社保卡号", "一卡通", "一折通", "存折",
)

#: a card-shaped number right after one of these is a code (order, transaction, invoice,
#: tax number …), not a card — CODE_WORDS (订单, 单号, 流水号, 代码 …) plus codes that come in
#: 16–20 digits
CARD_CODE_WORDS: tuple[str, ...] = CODE_WORDS + (
    "识别号", "税号", "发票", "票号", "票据号", "凭证号", "合同号", "保单", "运单", "工单", "条码",
)

_ANY_CARD_LENGTH = (16, 17, 18, 19)
#: issuer prefixes (IIN/BIN, looked up by the first 1, 2, 4 and 6 digits) → the card
#: lengths issued under them. Mastercard issues 16 digits only, so 18-digit numbers starting
#: 4/5 (ID numbers of 41–46/50–54, numeric credit codes of 民政 bodies) are never cards.
CARD_PREFIXES: dict[str, tuple[int, ...]] = {
    "62": _ANY_CARD_LENGTH,  # 中国银联 UnionPay: most Chinese debit cards (16 or 19 digits)
    "4": (16, 19),  # Visa, incl. 19-digit Chinese Visa debit cards (4367 42…)
    **dict.fromkeys(("51", "52", "53", "54", "55"), (16,)),  # Mastercard
    **dict.fromkeys((str(n) for n in range(2221, 2721)), (16,)),  # Mastercard 2-series
    # older domestic BINs outside 62 still in circulation (中行 601382, 交行 601428, 城商行
    # 6033…/6034…/6035…/6036…/6037…, 招行 690755)
    **dict.fromkeys(("601382", "601428", "603367", "603445", "603506", "603601", "603694",
                     "603708", "690755"), _ANY_CARD_LENGTH),
}

#: an account number after one of these (within _ORG_REACH characters) is an
#: organisation's account published for payments (缴费/收费 notices), not personal data —
#: unless the number sits next to a personal name
ORG_ACCOUNT_WORDS: tuple[str, ...] = (
    "对公账户", "对公账号", "收款账户", "收款账号", "单位账户", "单位账号", "基本账户", "财政专户",
)
#: …and so does an account holder label followed by an organisation's name
#: (账户名称：示例县人力资源和社会保障局)
ORG_ACCOUNT_LABELS: tuple[str, ...] = (
    "账户名称", "帐户名称", "账户名", "帐户名", "户名", "收款单位", "收款人", "开户单位", "单位名称",
)
ORG_SUFFIXES: tuple[str, ...] = (
    "局", "委员会", "委", "办公室", "办", "中心", "政府", "厅", "处", "所", "站", "院", "校",
    "学校", "医院", "馆", "队", "部", "公司", "协会", "街道", "社区", "村委会", "居委会",
    "管委会", "专户",
)

#: 2–4 Han character cells that are column labels or common words, not personal names
NOT_NAMES: frozenset[str] = frozenset({
    "姓名", "性别", "民族", "汉族", "年龄", "出生", "出生日期", "籍贯", "住址", "地址", "家庭住址",
    "身份证", "身份证号", "身份证号码", "证件号", "证件号码", "证件类型", "号码", "身份号码",
    "联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "序号", "编号", "备注", "合计",
    "金额", "类别", "类型", "村组", "单位", "职务", "其中", "以及", "或者", "并且", "如下",
    "经查", "另外", "同时", "此外", "目前", "现将", "特此", "项目", "申请人", "户主",
    "本人", "配偶", "子女", "父亲", "母亲", "儿子", "女儿", "孙子", "孙女", "家庭", "成员",
})

#: common Chinese surnames: a 2–4 Han word next to an ID number is only taken for a
#: personal name when it starts with one (single characters that are mostly function
#: words, such as 和/但/由/都/来, are left out on purpose)
SURNAMES: frozenset[str] = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰"
    "焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲"
    "房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵"
    "苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班"
    "储栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻厉伊仝郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰卿狄索宣晋"
    "云容敬扈晁芮阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇哈湛宾"
    "戎勾茅揭干尉冶斯束檀信阴昝智幸奉植衡富尧闭杞"
)
COMPOUND_SURNAMES: frozenset[str] = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "申屠",
})

#: a "mobile" directly followed by one of these is an amount or a count, not a phone
_UNIT_CHARS = "元万亿人户个次件吨米亩克斤台辆套股%％"

_VETO_REACH = 80  # characters before the hit searched for LIST_WORDS
_LINE_REACH = 200  # how far along its own line a hit looks for words and names
_ID15_WORD_REACH = 20  # an ID word this close before a 15-digit number is enough
_ID15_TABLE_REACH = 1000  # header with an ID word this far above an ID table row
_OFFICIAL_REACH = 20  # hotline label this close before a mobile number (may list a landline first)
_NAME_REACH = 24  # characters scanned for a name directly before a hit
_CODE_REACH = 10  # a CODE_WORDS word ends at most this far before a mobile-shaped number
_TABLE_REACH = 1000  # header line (电话/手机) and list word this far above a tab row
_SENTENCE_END = "。;；!！?？"
_CARD_WORD_REACH = 12  # a CARD_WORDS word ends at most this far before a card number
_ORG_REACH = 80  # an organisation account word/label this far before an account number

# ------------------------------------------------------------------ regular expressions

# Characters that make a digit run part of something longer (a code, an order number,
# a masked number). Full-width letters/digits count as well; CJK text and punctuation
# do not.
_RUN = r"0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a*×＊"
_NOT_AFTER_RUN = rf"(?<![{_RUN}])(?<![0-9][.．])"
_NOT_BEFORE_RUN = rf"(?![{_RUN}])(?![.．][0-9])"

# All patterns run on the NFKC-folded text: full-width digits/letters are ASCII there.
# × (U+00D7, untouched by NFKC) is a common stand-in for the check character X.
_ID18 = re.compile(rf"{_NOT_AFTER_RUN}[1-8][0-9]{{16}}[0-9Xx×]{_NOT_BEFORE_RUN}")
_ID15 = re.compile(rf"{_NOT_AFTER_RUN}[1-8][0-9]{{14}}{_NOT_BEFORE_RUN}")
_MOBILE = re.compile(
    rf"""
    (?<![{_RUN}+＋])
    (?P<prefix>(?:[+＋]86|\([+＋]?86\)|（[+＋]?86）)[ \-]?|86[ \-])?
    (?P<num>1[3-9][0-9](?P<sep>[ \-]?)[0-9]{{4}}(?P=sep)[0-9]{{4}})
    (?![{_RUN}])
    """,
    re.X,
)

# Bank cards: 16–19 digits in one run, or in groups of four separated by one kind of
# separator (6222 0212 3456 7890 123, 6222-0212-3456-7890). Not a piece of a hyphenated,
# dotted or slashed code (2023-6222…, 6222….01); a space-grouped number is not one of many
# space-separated figures (no digit group right before it, no further 4-digit group).
_CARD = re.compile(
    rf"""
    (?<![{_RUN}])(?<![0-9A-Za-z][\-.．/_])
    (?:
        (?P<plain>[0-9]{{16,19}})
      | (?<![0-9][ \-])
        (?P<grouped>[0-9]{{4}}(?P<gsep>[ \-])[0-9]{{4}}(?P=gsep)[0-9]{{4}}(?P=gsep)[0-9]{{4}}
                    (?:(?P=gsep)[0-9]{{1,3}}|(?!(?P=gsep)[0-9])))
    )
    (?![{_RUN}])(?![\-.．/_][0-9A-Za-z])
    """,
    re.X,
)

# redact(): deliberately looser than the check — mask anything that looks like a number
# of the right shape, checksum or not.
_REDACT = re.compile(
    r"(?<![0-9])(?P<id>[0-9]{17}[0-9Xx×]|[0-9]{15})(?![0-9])"
    r"|(?<![0-9])(?:86)?(?P<mob>1[3-9][0-9](?P<sep>[ \-]?)[0-9]{4}(?P=sep)[0-9]{4})(?![0-9])"
    r"|(?<![0-9])(?P<card>[0-9]{16,19}"
    r"|[0-9]{4}(?P<csep>[ \-])[0-9]{4}(?P=csep)[0-9]{4}(?P=csep)[0-9]{4}(?:(?P=csep)[0-9]{1,3})?)"
    r"(?![0-9])"
)
# A context cut by make_context() starts/ends with "…" and may cut a number in half.
# Only a run of at least 5 digits touching the edge counts as a cut number (a left one may
# end in a check character, and 4 digits + X count too), or the visible part of a
# separated mobile (…1234 5678 / …8-1234-5678 on the left, 138 1234… on the right) or of a
# grouped card (…34 5678 9012 345 or …-3456-7890-123 on the left, 6222 0212 34… or
# 6222-0212-… on the right).
# Dates and times (2026-10-19, 2026年10月19日, 10:30) never match.
_EDGE_LEFT = re.compile(
    r"^…(?P<frag>[0-9]{5,}[Xx×]?|[0-9]{4}[Xx×]"
    r"|[0-9]{1,4}(?P<s>[ \-])[0-9]{4}(?P=s)[0-9]{4}(?:(?P=s)[0-9]{4})?(?:(?P=s)[0-9]{1,3})?"
    r"(?![0-9]|[:.\-/年月日时点号])"
    r"|(?P<s2>[ \-])[0-9]{4}(?P=s2)[0-9]{4}(?P=s2)[0-9]{1,4}(?:(?P=s2)[0-9]{1,3})?"
    r"(?![0-9]|[:.\-/年月日时点号])"
    r"|[0-9]{1,4}[ \-][0-9]{4}(?![0-9]|[:.\-/年月日时点号]))"
)
_EDGE_RIGHT = re.compile(
    r"(?<![0-9Xx×])(?<![0-9][ \-:.])"
    r"(?P<frag>[0-9]{5,}|1[3-9][0-9](?P<s>[ \-])[0-9]{1,4}(?:(?P=s)[0-9]{1,4})?"
    r"|[0-9]{4}(?P<c>[ \-])[0-9]{4}(?:(?P=c)[0-9]{1,4}){0,3}(?P=c)?)…$"
)

_HAN = r"\u3400-\u9fff"
_CELL_SEP = r"[ \t\u3000,，、;；|:：]"
_ID_LABEL = r"(?:公民身份号码|身份证号码|身份证号|身份证|身份号码|证件号码|证件号)"
# 张三 520…, 张三，身份证号：520…, 张三（身份证号520…）
_NAME_BEFORE = re.compile(
    rf"(?<![{_HAN}])(?P<name>[{_HAN}]{{2,4}})[ \t\u3000,，、;；|:：（(]+(?:{_ID_LABEL}[:：]?{_CELL_SEP}*)?$"
)
# 张三 6222…, 张三，银行卡号：6222…, 张三 一卡通账号 6222…
_CARD_LABEL = "(?:" + "|".join(sorted(CARD_WORDS + ("号码", "账户", "号"), key=len, reverse=True)) + ")"
_NAME_BEFORE_CARD = re.compile(
    rf"(?<![{_HAN}])(?P<name>[{_HAN}]{{2,4}})[ \t\u3000,，、;；|:：（(]+"
    rf"(?:{_CARD_LABEL}{{1,3}}[:：]?{_CELL_SEP}*)?$"
)
_NAME_AFTER = re.compile(rf"[ \t\u3000,，、;；|:：）)]+(?P<name>[{_HAN}]{{2,4}})(?![{_HAN}])")
_NAME_CELL = re.compile(rf"(?<![^\s,，、;；|])(?P<name>[{_HAN}]{{2,4}})(?![^\s,，、;；|])")
_WS_CELL = re.compile(r"\S+")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


# ------------------------------------------------------------------------- masking

def mask_id(s: str) -> str:
    """Keep the first 2 and last 3 characters, `*` for the rest (length-preserving).

    >>> mask_id("520122198503121234")
    '52*************234'
    """
    if len(s) <= 5:
        return "*" * len(s)
    return s[:2] + "*" * (len(s) - 5) + s[-3:]


def mask_mobile(s: str) -> str:
    """Keep the first 3 and last 4 digits of the mobile number, `*` for the digits in
    between; separators keep their places (length-preserving). A leading country code
    (86) in `s` is kept as well.

    >>> mask_mobile("13812345678"), mask_mobile("138-1234-5678")
    ('138****5678', '138-****-5678')
    """
    n = sum(c.isdigit() for c in s)
    out = []
    i = 0
    for c in s:
        if c.isdigit():
            out.append(c if i < n - 8 or i >= n - 4 else "*")
            i += 1
        else:
            out.append(c)
    return "".join(out)


def mask_card(s: str) -> str:
    """Keep the first 4 and last 4 digits of a card number, `*` for the digits in between;
    separators keep their places (length-preserving).

    >>> mask_card("6222021234567890123"), mask_card("6222 0212 3456 7890 123")
    ('6222***********0123', '6222 **** **** ***0 123')
    """
    return _mask_digits(s, 4, 4)


def _mask_digits(frag: str, keep_head: int, keep_tail: int) -> str:
    n = sum(c in "0123456789Xx×" for c in frag)
    out = []
    i = 0
    for c in frag:
        if c in "0123456789Xx×":
            out.append(c if i < keep_head or i >= n - keep_tail else "*")
            i += 1
        else:
            out.append(c)
    return "".join(out)


def _folding_to(predicate) -> str:
    """A regex character class body: the characters whose NFKC form satisfies `predicate`."""
    return "".join(re.escape(chr(cp)) for cp, ch in sorted(_nfkc_table().items()) if predicate(ch))


_DIGITS = "0-9" + _folding_to(lambda ch: ch.isascii() and ch.isdigit())
_ANY_DIGIT = re.compile(f"[{_DIGITS}]")
_SEPARATORS = r" \-" + _folding_to(lambda ch: ch in " -")
# Every number this module looks for (IDs, mobiles, cards, grouped or not) contains three
# digits, at most one separator, then four digits. A text without such a run has nothing to
# find, and is not scanned further: most pages hold only dates and small numbers.
# (Written [d][d]{2}, not [d]{3}: a pattern that starts with a plain character class lets
# the regex engine skip to candidate characters, twice as fast over ordinary text.)
_GATE = re.compile(rf"[{_DIGITS}][{_DIGITS}]{{2}}[{_SEPARATORS}]?[{_DIGITS}]{{4}}")
# Folding only matters when a character folds to an ASCII letter or digit, or to one of the
# separators and signs the patterns read (space, -, +).
_NEEDS_FOLD = re.compile("[" + _folding_to(lambda ch: ch.isascii() and (ch.isalnum() or ch in " -+")) + "]")


def _fold(text: str) -> str:
    """NFKC-fold `text` one character for one character (offsets stay valid)."""
    if not _NEEDS_FOLD.search(text):
        return text
    return text.translate(_nfkc_table())


def _windows(text: str) -> list[tuple[int, int]]:
    """The lines of `text` that hold a number-shaped run (merged spans), or [] if none.

    No pattern of this module crosses a line break, so searching these lines finds what
    searching the whole text finds; most lines of a page hold no such run."""
    windows: list[tuple[int, int]] = []
    for m in _GATE.finditer(text):
        if windows and m.start() < windows[-1][1]:
            continue  # on a line already taken
        lo = text.rfind("\n", 0, m.start()) + 1
        hi = text.find("\n", m.end())
        windows.append((lo, len(text) if hi < 0 else hi))
    return windows


def _scan(pattern: re.Pattern[str], text: str, windows: list[tuple[int, int]]):
    """pattern.finditer over each window; lookbehinds still see the text before a window,
    and a window ends at a line break (or the end), where no pattern continues."""
    for lo, hi in windows:
        yield from pattern.finditer(text, lo, hi)


def _overlay(orig: str, folded: str, masked: str) -> str:
    """Carry a mask computed on the folded form back to the original: `*` wherever
    masking changed a character, the original character everywhere else."""
    return "".join("*" if m != f else o for o, f, m in zip(orig, folded, masked))


def _redact_match(m: re.Match[str]) -> str:
    if m.group("id") is not None:
        return mask_id(m.group("id"))
    card = m.group("card")
    if card is not None:
        digits = card.replace(" ", "").replace("-", "")
        return mask_card(card) if digits.startswith("62") or luhn_ok(digits) else card
    whole, mob = m.group(0), m.group("mob")
    return whole[: len(whole) - len(mob)] + mask_mobile(mob)


def redact(text: str) -> str:
    """Mask every personal-number-looking run in `text`, length-preserving.

    Masks 18-digit runs (17 digits + digit/X/×, checksum or not), 15-digit runs,
    mobile-looking runs (also written 138-1234-5678 / 138 1234 5678) and card-looking
    runs (16, 17 or 19 digits, also in groups of four separated by spaces or dashes, that
    pass Luhn or start with 62; first 4 and last 4 digits kept), in ASCII or full-width
    digits. A number cut in half at a "…" edge of a context (see make_context) is masked
    too — a run of at least 5 digits touching the edge, or the visible part of a
    separated mobile or grouped card — keeping only the 3 outermost digits of a left
    fragment or 2 of a right one; dates and times at an edge are left alone. Masked
    characters become `*`, everything else is unchanged (full-width digits that stay
    visible stay full-width), so offsets into the string stay valid.
    """
    if not _ANY_DIGIT.search(text):  # every pattern here needs digits: most titles and link texts have none
        return text
    folded = _fold(text)
    masked = folded
    # edges first: a cut 15-digit tail of an ID must not be masked as a whole number
    if masked.startswith("…"):
        m = _EDGE_LEFT.match(masked)
        if m:
            masked = masked[: m.start("frag")] + _mask_digits(m.group("frag"), 0, 3) + masked[m.end("frag"):]
    if masked.endswith("…"):
        m = _EDGE_RIGHT.search(masked)
        if m:
            masked = masked[: m.start("frag")] + _mask_digits(m.group("frag"), 2, 0) + masked[m.end("frag"):]
    masked = _REDACT.sub(_redact_match, masked)
    return text if masked == folded else _overlay(text, folded, masked)


# ---------------------------------------------------------------------- validation

def id_checksum_ok(s: str) -> bool:
    """ISO 7064 MOD 11-2 check digit of an 18-character resident ID number (full-width
    digits and X/x/×/Ｘ as the check character accepted)."""
    s = _fold(s)
    if len(s) != 18 or not s[:17].isascii() or not s[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == s[17].upper().replace("×", "X")


def luhn_ok(s: str) -> bool:
    """Luhn (mod 10) check over the digits of `s` (separators and full-width digits
    allowed); False when `s` holds fewer than 2 digits."""
    digits = [int(c) for c in _fold(s) if "0" <= c <= "9"]
    if len(digits) < 2:
        return False
    total = sum(digits[-1::-2])
    total += sum(d * 2 - 9 if d > 4 else d * 2 for d in digits[-2::-2])
    return total % 10 == 0


def _issuer_ok(digits: str) -> bool:
    """`digits` starts with a CARD_PREFIXES prefix that issues cards of its length."""
    return any(len(digits) in CARD_PREFIXES.get(digits[:k], ()) for k in (1, 2, 4, 6))


def _date_ok(year: int, month: int, day: int, today: date) -> bool:
    if year < 1900:
        return False
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return born <= today


def _valid_id18(s: str, today: date) -> bool:
    return (
        s[:2] in PROVINCE_CODES
        and _date_ok(int(s[6:10]), int(s[10:12]), int(s[12:14]), today)
        and id_checksum_ok(s)
    )


def _truncated_id18(s: str, today: date) -> bool:
    """An ID that a spreadsheet stored as a number: 15 significant digits, then 000."""
    return (s.endswith("000") and s[:2] in PROVINCE_CODES
            and _date_ok(int(s[6:10]), int(s[10:12]), int(s[12:14]), today) and not id_checksum_ok(s))


def _valid_id15(s: str, today: date) -> bool:
    return s[:2] in PROVINCE_CODES and _date_ok(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]), today)


# ------------------------------------------------------------------------- context

def _line_bounds(text: str, start: int, end: int, reach: int = _LINE_REACH) -> tuple[int, int]:
    """The hit's own line, clipped to `reach` characters either side."""
    lo_floor = max(0, start - reach)
    lo = text.rfind("\n", lo_floor, start) + 1 or lo_floor
    hi_cap = min(len(text), end + reach)
    hi = text.find("\n", end, hi_cap)
    return lo, (hi if hi >= 0 else hi_cap)


def _has_any(haystack: str, words: tuple[str, ...]) -> bool:
    return any(w in haystack for w in words)


def _any_between(starts: list[int], lo: int, hi: int, exclude: int) -> bool:
    """Is there a start in [lo, hi) other than `exclude`?"""
    i = bisect_left(starts, lo)
    while i < len(starts) and starts[i] < hi:
        if starts[i] != exclude:
            return True
        i += 1
    return False


#: a 2–4 Han word holding one of these is a bank or account label (银行卡号, 农业银行,
#: 开户账号 …), not a personal name, even when it starts with a surname character
_NOT_NAME_PARTS: tuple[str, ...] = ("银行", "支行", "分行", "信用社", "账", "帐", "卡", "存折")


def _is_name(word: str) -> bool:
    return (word not in NOT_NAMES and (word[0] in SURNAMES or word[:2] in COMPOUND_SURNAMES)
            and not _has_any(word, _NOT_NAME_PARTS))


def _next_to_name(text: str, start: int, end: int, line_lo: int, line_hi: int,
                  name_before: re.Pattern[str] = _NAME_BEFORE) -> bool:
    """A personal name sits next to the hit: a 2–4 Han word starting with a surname
    directly before or after it (separated by whitespace, comma, colon, a bracket or a
    cell boundary, optionally with an ID label — or, for cards, a card label — in
    between), or — in a table row — any such cell of the same row."""
    m = name_before.search(text, max(line_lo, start - _NAME_REACH), start)
    if m and _is_name(m.group("name")):
        return True
    m = _NAME_AFTER.match(text, end, line_hi)
    if m and _is_name(m.group("name")):
        return True
    line = text[line_lo:line_hi]
    in_table = "\t" in line or (
        len(_WS_CELL.findall(line)) >= 3
        and text[start - 1:start].isspace() and text[end:end + 1].isspace()
    )
    if in_table:
        return any(_is_name(m.group("name")) for m in _NAME_CELL.finditer(line))
    return False


def _id_severity(text: str, start: int, end: int) -> str:
    return "veto" if _personal_context(text, start, end, _NAME_BEFORE) else "major"


def _id15_in_context(text: str, start: int, end: int, id18_starts: list[int],
                     id15_starts: list[int]) -> bool:
    """15-digit numbers collide with many other numbers: only an ID number when an ID
    word is close by, or the number sits in a row/list with other ID numbers."""
    if _has_any(text[max(0, start - _ID15_WORD_REACH):start], ID_WORDS):
        return True
    lo, hi = _line_bounds(text, start, end)
    if _has_any(text[lo:hi], ID_WORDS) or _any_between(id18_starts, lo, hi, -1):
        return True
    # a table under a 身份证号 header: other ID numbers on this or the neighbouring lines
    prev_lo = lo
    if lo > 0:
        floor = max(0, lo - 1 - _LINE_REACH)
        prev_lo = text.rfind("\n", floor, lo - 1) + 1 or floor
    next_hi = hi
    if hi < len(text) and text[hi] == "\n":
        nh = text.find("\n", hi + 1, min(len(text), hi + 1 + _LINE_REACH))
        next_hi = nh if nh >= 0 else min(len(text), hi + 1 + _LINE_REACH)
    if _any_between(id18_starts, prev_lo, next_hi, -1) or _any_between(id15_starts, prev_lo, next_hi, start):
        return _has_any(text[max(0, start - _ID15_TABLE_REACH):start], ID_WORDS)
    return False


def _mobile_ok(text: str, m: re.Match[str]) -> bool:
    """Structural filters beyond the regex: codes, decimals, amounts, hotlines."""
    start, end = m.span("num")
    whole_start = m.start()
    before = text[max(0, whole_start - 2):whole_start]
    after = text[end:end + 2]
    if not m.group("prefix") and len(before) == 2 and before[1] in "-.．" and before[0].isascii() and before[0].isalnum():
        return False  # tail of a hyphenated code: 2023-13812345678
    if len(after) == 2 and after[0] in "-.．" and after[1].isascii() and after[1].isalnum():
        return False  # decimal or hyphenated code: 13812345678.5, 13812345678-01
    if m.group("sep") == " ":
        if len(before) == 2 and before[1] == " " and before[0].isdigit():
            return False  # one of many space-separated numbers (a statistics row)
        if len(after) == 2 and after[0] == " " and after[1].isdigit():
            return False
    if after[:1] and after[0] in _UNIT_CHARS:
        return False  # an amount or a count: 15000000000元
    if whole_start and text[whole_start - 1] in "¥￥$":
        return False
    if _after_code_word(text, whole_start):
        return False  # 合同编号：13520240001, 订单号 13900001111
    if _official_label_before(text, whole_start) and not _personal_row(text, start, end):
        return False  # 举报电话：138…, 联系人：王科长，联系电话：139…, published on purpose
    return True


def _after_code_word(text: str, start: int) -> bool:
    """A CODE_WORDS word ends at most _CODE_REACH characters before `start` on the same
    line, with only labels/separators (no digits, no phone word, no sentence end) between."""
    lo, _ = _line_bounds(text, start, start, _CODE_REACH + 4)
    window = text[lo:start]
    for word in CODE_WORDS:
        i = window.rfind(word)
        if i < 0:
            continue
        gap = window[i + len(word):]
        if len(gap) <= _CODE_REACH and not _CODE_GAP_BREAK.search(gap):
            return True
    return False


_CODE_GAP_BREAK = re.compile(rf"[0-9{_SENTENCE_END}]|电话|手机")


def _official_label_before(text: str, start: int) -> bool:
    """An OFFICIAL_PHONE_WORDS label within _OFFICIAL_REACH characters before `start`,
    on the same line and in the same sentence."""
    lo, _ = _line_bounds(text, start, start, _OFFICIAL_REACH)
    window = text[lo:start]
    cut = max(window.rfind(c) for c in _SENTENCE_END)
    return _has_any(window[cut + 1:], OFFICIAL_PHONE_WORDS)


_LOOSE_NAME = re.compile(rf"(?<![{_HAN}])[{_HAN}]{{2,4}}(?![{_HAN}])")
# an ID number on a line, full or masked (52************123X): either marks a personal row
_ID_ON_LINE = re.compile(
    rf"{_NOT_AFTER_RUN}(?:[1-8][0-9]{{16}}[0-9Xx×]|[1-8][0-9]{{14}}"
    rf"|(?=[0-9]{{1,6}}[*＊×]{{4}})[1-8][0-9*＊×]{{13}}(?:[0-9*＊×]{{3}})?[0-9Xx*＊×]){_NOT_BEFORE_RUN}"
)


def _personal_row(text: str, start: int, end: int) -> bool:
    """The number sits in a row of a personal list, where a contact label does not make
    it an office's contact: its line holds a personal name and an ID number, or it is a
    tab-separated row under a header with 电话/手机 on a 公示/名单 page."""
    lo, hi = _line_bounds(text, start, end)
    line = text[lo:hi]
    if _ID_ON_LINE.search(line) and any(_is_name(m.group()) for m in _LOOSE_NAME.finditer(line)):
        return True
    if "\t" not in line:
        return False
    above = text[max(0, lo - _TABLE_REACH):lo]
    header = any("\t" in ln and ("电话" in ln or "手机" in ln) for ln in above.split("\n"))
    return header and _has_any(above + line, LIST_WORDS)


def _label_end(text: str, start: int, words: tuple[str, ...], reach: int) -> int:
    """End of the nearest `words` word that ends at most `reach` characters before `start`
    on the same line, with only labels/separators between (no digits, no sentence end, no
    phone word); -1 when there is none."""
    lo, _ = _line_bounds(text, start, start, reach + 6)
    window = text[lo:start]
    best = -1
    for word in words:
        i = window.rfind(word)
        if i < 0:
            continue
        gap = window[i + len(word):]
        if len(gap) <= reach and not _CODE_GAP_BREAK.search(gap):
            best = max(best, lo + i + len(word))
    return best


_ORG_HOLDER = re.compile(
    "(?:" + "|".join(sorted(ORG_ACCOUNT_LABELS, key=len, reverse=True)) + ")"
    rf"[:：]?[ \u3000]*(?P<org>[{_HAN}（）()]{{1,40}}?"
    "(?:" + "|".join(sorted(ORG_SUFFIXES, key=len, reverse=True)) + "))"
    rf"(?![{_HAN}])"
)


def _org_account(text: str, start: int) -> bool:
    """An organisation's account word (对公账户 …) or an account holder that is an
    organisation (户名：示例县财政局) within _ORG_REACH characters before `start`."""
    window = text[max(0, start - _ORG_REACH):start]
    if _has_any(window, ORG_ACCOUNT_WORDS):
        return True
    # a short holder that starts with a surname is a person (户名：李院), not an office
    return any(len(m.group("org")) >= 5 or not _is_name(m.group("org"))
               for m in _ORG_HOLDER.finditer(window))


def _card_column(text: str, start: int) -> bool:
    """The number is a cell of a tab-separated table whose header (a line within
    _TABLE_REACH above) has a CARD_WORDS word in the same column."""
    floor = max(0, start - _TABLE_REACH)
    line_lo = text.rfind("\n", floor, start) + 1 or floor
    line_hi = text.find("\n", start, start + _LINE_REACH)
    if line_lo <= floor or "\t" not in text[line_lo:line_hi if line_hi >= 0 else start + _LINE_REACH]:
        return False
    col = text.count("\t", line_lo, start)
    for line in text[floor:line_lo].split("\n"):
        cells = line.split("\t")
        if len(cells) > col and _has_any(cells[col], CARD_WORDS):
            return True
    return False


def _personal_context(text: str, start: int, end: int, name_before: re.Pattern[str]) -> bool:
    """A 公示/名单/发放 context (LIST_WORDS on the line or just before) or a personal name
    next to the number."""
    lo, hi = _line_bounds(text, start, end)
    if _has_any(text[lo:hi], LIST_WORDS) or _has_any(text[max(0, start - _VETO_REACH):start], LIST_WORDS):
        return True
    return _next_to_name(text, start, end, lo, hi, name_before)


def _card_hit(text: str, m: re.Match[str], today: date) -> tuple[str, str] | None:
    """(severity, note key) for a card-shaped match of _CARD, or None when it is not a
    card: a code, an organisation's account, an amount, an ID number."""
    start, end = m.span()
    digits = m.group("plain") or m.group("grouped").replace(m.group("gsep"), "")
    after = text[end:end + 1]
    if (after and after in _UNIT_CHARS) or (start and text[start - 1] in "¥￥$"):
        return None  # an amount or a count
    code_end = _label_end(text, start, CARD_CODE_WORDS, _CODE_REACH)
    card_end = _label_end(text, start, CARD_WORDS, _CARD_WORD_REACH)
    if code_end >= 0 and code_end >= card_end:
        return None  # 交易流水号 6222…, 统一社会信用代码：…, 订单号 … (身份证号 ends in 证号)
    card_word = card_end >= 0
    if len(digits) == 18 and not card_word and digits[:2] in PROVINCE_CODES \
            and _date_ok(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]), today):
        return None  # an ID number with a wrong check digit (a Gansu 62…): not a card either
    if _org_account(text, start) and not _next_to_name(text, start, end, *_line_bounds(text, start, end),
                                                       _NAME_BEFORE_CARD):
        return None  # 对公账户 / 收款账户 / 户名：示例县财政局 — published on purpose
    personal = _personal_context(text, start, end, _NAME_BEFORE_CARD)
    if luhn_ok(digits) and _issuer_ok(digits):
        return ("veto" if personal else "major"), "bank-card"
    if digits.startswith("62") and (card_word or _card_column(text, start)):
        return ("major" if personal else "minor"), "bank-card-unverified"
    return None


# ---------------------------------------------------------------------------- check

_NOTES = {
    "id-number": "公开信息中含未脱敏的公民身份号码，请脱敏处理（如 {masked}）或删除",
    "id-number-truncated": "疑似被表格软件截断的公民身份号码（末三位变为 000），前 15 位仍泄露地区和出生日期，"
                           "请脱敏处理（如 {masked}）或删除",
    "id-number-15": "公开信息中含未脱敏的公民身份号码（15位旧号码），请脱敏处理（如 {masked}）或删除",
    "mobile": "公开信息中含未脱敏的个人手机号码，请脱敏处理（如 {masked}）或删除",
    "bank-card": "公开信息中含未脱敏的银行卡号，请脱敏处理（如 {masked}）或删除",
    "bank-card-unverified": "公开信息中卡号/账号处的号码校验未通过、疑似银行卡号，请人工确认；"
                            "如为银行卡号，请脱敏处理（如 {masked}）或删除",
}
_VETO_NOTE = "；号码出现在公示名单中或紧邻姓名，属于泄露个人隐私"
_LIST_NOTE = "；号码出现在公示名单中或紧邻姓名"


def _finding(text: str, rule: str, severity: str, start: int, end: int, masked: str,
             key: str, note_key: str) -> Finding:
    # `text` is the text as given, `masked` the hit masked in its original characters
    context, c_start, c_end = make_context(text, start, end, replacement=masked)
    note = _NOTES[note_key].format(masked=masked)
    if severity == "veto":
        note += _VETO_NOTE
    elif note_key == "bank-card-unverified" and severity == "major":
        note += _LIST_NOTE
    return Finding(
        rule=rule,
        category="privacy",
        severity=severity,
        text=masked,
        suggestion=masked,
        context=redact(context),
        start=start,
        end=end,
        context_start=c_start,
        context_end=c_end,
        note=note,
        key=key,
    )


def check_privacy(text: str, today: date | None = None) -> list[Finding]:
    """Exposed personal numbers in `text`; offsets are into `text` as given.

    Rules: `id-number` (18-digit resident ID), `id-number-15` (first-generation
    15-digit ID, only with an ID word or other IDs nearby), `mobile`, `bank-card`. IDs
    and cards are `veto` in a 公示/名单/发放 context or next to a name, `major` otherwise;
    mobiles are `major`. A 62… number failing Luhn right after a card word is a
    `bank-card` of lower confidence: `minor` (`major` in a list context or next to a
    name), with a note asking for a manual check. A valid 18-digit ID is never also a
    card. One finding per distinct number per text. `today` bounds birth dates (default:
    the current date).
    """
    windows = _windows(text)
    if not windows:
        return []
    today = today or date.today()
    folded = _fold(text)  # same length as `text`: every offset below is valid in both
    # start, end, rule, severity, masked (canonical), number (canonical), note key
    hits: list[tuple[int, int, str, str, str, str, str]] = []

    id18, truncated = [], []
    for m in _scan(_ID18, folded, windows):
        if _valid_id18(m.group(), today):
            id18.append(m)
        elif _truncated_id18(m.group(), today):
            truncated.append(m)
    id18_starts = [m.start() for m in id18]
    for m in id18:
        number = m.group().upper().replace("×", "X")
        hits.append((m.start(), m.end(), "id-number", _id_severity(folded, m.start(), m.end()),
                     mask_id(number), number, "id-number"))

    # An ID a spreadsheet stored as a number (…121000) only with an ID word on its line or in a
    # list of people: alone, an 18-digit number ending in 000 may be anything.
    for m in truncated:
        lo, hi = _line_bounds(folded, m.start(), m.end())
        severity = _id_severity(folded, m.start(), m.end())
        if _has_any(folded[lo:hi], ID_WORDS) or severity == "veto" or _any_between(id18_starts, lo, hi, -1):
            hits.append((m.start(), m.end(), "id-number", severity, mask_id(m.group()), m.group(),
                         "id-number-truncated"))

    id15 = [m for m in _scan(_ID15, folded, windows) if _valid_id15(m.group(), today)]
    id15_starts = [m.start() for m in id15]
    for m in id15:
        if _id15_in_context(folded, m.start(), m.end(), id18_starts, id15_starts):
            hits.append((m.start(), m.end(), "id-number-15", _id_severity(folded, m.start(), m.end()),
                         mask_id(m.group()), m.group(), "id-number-15"))

    for m in _scan(_MOBILE, folded, windows):
        if _mobile_ok(folded, m):
            num = m.group("num")
            start, end = m.span("num")
            hits.append((start, end, "mobile", "major", mask_mobile(num), re.sub(r"[ \-]", "", num),
                         "mobile"))

    id18_spans = {m.span() for m in id18}
    for m in _scan(_CARD, folded, windows):
        if m.span() in id18_spans:
            continue  # a valid ID number: reported as one, never as a card
        hit = _card_hit(folded, m, today)
        if hit:
            digits = re.sub(r"[ \-]", "", m.group())
            # the key is the digits-only masked form: regrouping a number keeps its identity
            hits.append((m.start(), m.end(), "bank-card", hit[0], mask_card(digits), digits, hit[1]))

    hits.sort()
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    keys: dict[tuple[str, str], int] = {}
    for start, end, rule, severity, masked, number, note_key in hits:
        if (rule, number) in seen:
            continue  # the same number again (in any width): one problem to fix
        seen.add((rule, number))
        # the key is the canonical masked form (ASCII, X), so rewriting a number in
        # full-width keeps its identity; different numbers can mask alike (same head and
        # tail): keep their keys apart
        n = keys.get((rule, masked), 0) + 1
        keys[(rule, masked)] = n
        key = masked if n == 1 else f"{masked}#{n}"
        # what is shown is the original masked in place: hidden characters are `*`,
        # visible ones as written (full-width stays full-width)
        if rule == "mobile":
            shown = _overlay(text[start:end], folded[start:end], mask_mobile(folded[start:end]))
        elif rule == "bank-card":
            shown = _overlay(text[start:end], folded[start:end], mask_card(folded[start:end]))
        else:
            shown = _overlay(text[start:end], folded[start:end], mask_id(folded[start:end]))
        findings.append(_finding(text, rule, severity, start, end, shown, key, note_key))
    return findings
