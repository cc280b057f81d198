"""decode_html: UTF-8 and the GB family, with right, wrong and missing declarations."""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import pytest

from monitor.extract.encoding import decode_html, normalize_charset, sniff_declared_charset

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# -- fixtures as a crawler would see them ----------------------------------------------------


def test_gb2312_declared_page_with_gbk_only_character_decodes_as_gb18030():
    body = fixture("article_gb2312_declared.html")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # 镕 is not in GB2312: a strict gb2312 decoder would fail
    text, encoding = decode_html(body)
    assert encoding == "gb18030"
    assert "联系人：张镕" in text
    assert "息烽县人民政府" in text


def test_http_header_gb2312_is_decoded_as_gb18030_too():
    text, encoding = decode_html(fixture("article_gb2312_declared.html"), "text/html; charset=GB2312")
    assert encoding == "gb18030"
    assert "张镕" in text


def test_gbk_without_any_declaration():
    body = fixture("notice_gbk_undeclared.html")
    assert sniff_declared_charset(body) is None
    text, encoding = decode_html(body)
    assert encoding == "gb18030"
    assert "(2023)黔0122民初1234号" in text


def test_page_declaring_utf8_that_is_really_gbk():
    body = fixture("stats_utf8_declared_but_gbk.html")
    assert sniff_declared_charset(body) == "utf-8"
    text, encoding = decode_html(body)
    assert encoding == "gb18030"
    assert "【发布日期：2023年4月7日】" in text


def test_http_header_utf8_on_a_gbk_page_is_overridden_as_well():
    text, encoding = decode_html(fixture("notice_gbk_undeclared.html"), "utf-8")
    assert encoding == "gb18030"
    assert "息烽县人民法院" in text


def test_page_declaring_gb2312_that_is_really_utf8():
    text, encoding = decode_html(fixture("services_gb2312_declared_but_utf8.html"))
    assert encoding == "utf-8"
    assert "政务服务事项清单" in text


def test_utf8_without_declaration():
    text, encoding = decode_html(fixture("list_utf8_undeclared.html"))
    assert encoding == "utf-8"
    assert "通知公告" in text


# -- declarations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'<meta charset="utf-8">', "utf-8"),
        (b"<META CHARSET=GBK>", "gbk"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />', "gb2312"),
        (b"<meta content='text/html;charset=GB18030' http-equiv='content-type'>", "gb18030"),
        (b"<html><head><title>x</title></head>", None),
    ],
)
def test_sniff_declared_charset(head, expected):
    assert sniff_declared_charset(b"<!DOCTYPE html><html><head>" + head) == expected


def test_sniff_xml_declaration():
    assert sniff_declared_charset(b'<?xml version="1.0" encoding="GBK"?>\n<html>') == "gbk"
    assert sniff_declared_charset(b'<p>text <?xml encoding="gbk"?></p>') is None


def test_sniff_only_reads_the_first_4kb():
    body = b"<html><head>" + b" " * 5000 + b'<meta charset="gbk">'
    assert sniff_declared_charset(body) is None


@pytest.mark.parametrize(
    ("label", "expected"),
    [("gb2312", "gb18030"), ("GBK", "gb18030"), ("x-gbk", "gb18030"), ("cp936", "gb18030"),
     ("euc-cn", "gb18030"), ("UTF8", "utf-8"), ("'utf-8'", "utf-8"), ("big5", "big5"),
     ("no-such-charset", None), ("", None), (None, None)],
)  # fmt: skip
def test_normalize_charset(label, expected):
    assert normalize_charset(label) == expected


def test_declared_charset_wins_when_it_decodes_cleanly():
    body = "<p>政府資訊公開</p>".encode("big5")
    assert decode_html(body, "big5") == ("<p>政府資訊公開</p>", "big5")


def test_header_beats_meta():
    body = '<meta charset="utf-8"><p>中文</p>'.encode("gb18030")
    assert decode_html(body, "gbk")[1] == "gb18030"


def test_content_type_without_charset_falls_back_to_the_meta():
    body = '<meta charset="gbk"><p>中文</p>'.encode("gbk")
    assert decode_html(body, "text/html") == ('<meta charset="gbk"><p>中文</p>', "gb18030")


def test_unknown_declared_charset_is_ignored():
    body = "<p>中文</p>".encode("gbk")
    assert decode_html(body, "x-unknown-charset") == ("<p>中文</p>", "gb18030")


def test_latin1_server_default_does_not_turn_chinese_into_mojibake():
    body = "<p>中文网站</p>".encode()
    assert decode_html(body, "ISO-8859-1") == ("<p>中文网站</p>", "utf-8")


def test_meta_utf16_on_ascii_bytes_means_utf8():
    body = '<meta charset="utf-16"><p>中文</p>'.encode()
    assert decode_html(body) == ('<meta charset="utf-16"><p>中文</p>', "utf-8")


def test_a_character_cut_off_at_the_end_does_not_change_the_verdict():
    body = "<p>关于开展春季义务植树活动的通知</p>中".encode()[:-1]
    text, encoding = decode_html(body, "utf-8")
    assert encoding == "utf-8"
    assert text.startswith("<p>关于开展春季义务植树活动的通知</p>")


def test_stray_byte_in_a_declared_utf8_page_keeps_utf8():
    body = "<p>关于开展春季义务植树活动的通知</p>".encode() + b"\xff" + "<p>政务公开</p>".encode()
    text, encoding = decode_html(body, "utf-8")
    assert encoding == "utf-8"
    assert "政务公开" in text
    assert text.count("\ufffd") == 1


def test_undeclared_pages_with_a_few_broken_bytes_are_not_guessed_into_mojibake():
    text = "<html><head><title>统计公报</title></head><body><p>关于开展春季义务植树活动的通知</p>" \
           "<p>全县干部要再接再厉，做好各项工作。</p></body></html>"
    for codec in ("gbk", "utf-8"):
        body = text.encode(codec)
        # a summary cut in the middle of a character (its first bytes, then markup), a stray byte
        cut = "通知".encode(codec)
        broken = body.replace(cut, cut + "植".encode(codec)[:-1])
        broken = broken.replace("<p>全县".encode(codec), b"<p>\xff" + "全县".encode(codec))
        assert _strict_fails(broken)
        decoded, encoding = decode_html(broken)
        assert encoding == ("gb18030" if codec == "gbk" else "utf-8")
        assert "全县干部要再接再厉" in decoded and "统计公报" in decoded


def _strict_fails(body: bytes) -> bool:
    for codec in ("utf-8", "gb18030"):
        try:
            body.decode(codec)
        except UnicodeDecodeError:
            continue
        return False
    return True


# -- BOMs, junk, empty -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
)
def test_bom_wins_over_declarations(bom, codec):
    body = bom + '<meta charset="gbk"><p>中文</p>'.encode(codec)
    assert decode_html(body, "gbk") == ('<meta charset="gbk"><p>中文</p>', codec)


def test_empty_body():
    assert decode_html(b"") == ("", "utf-8")
    assert decode_html(b"", "gbk") == ("", "utf-8")


@pytest.mark.parametrize("declared", [None, "utf-8", "gbk", "iso-8859-1", "nonsense"])
def test_binary_junk_never_raises(declared):
    junk = random.Random(1234).randbytes(20000)
    text, encoding = decode_html(junk, declared)
    assert isinstance(text, str) and text
    assert codecs.lookup(encoding)


def test_png_bytes_never_raise():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    text, encoding = decode_html(png)
    assert isinstance(text, str)
    assert codecs.lookup(encoding)
