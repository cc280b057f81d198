"""Document readers: .docx .pdf .xlsx .xls .csv into text for the checks.

Every document is built here: python-docx writes .docx, openpyxl .xlsx; the PDF (with a
ToUnicode map, so Chinese text can be extracted) and the .xls (BIFF8 in an OLE2 compound
file) come from the small writers below.
"""

from __future__ import annotations

import datetime
import io
import struct
import zipfile

import docx
import openpyxl
import pypdf
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from conftest import valid_id
from monitor import readers
from monitor.readers import ReaderError, format_number, read_document
from monitor.textcheck import check_file

ID1 = valid_id("52012219850312123")
ID2 = valid_id("52012219900101456")


# ------------------------------------------------------------------------ writers

def make_docx(*, paragraphs=(), table=(), after=(), header=None, footer=None) -> bytes:
    d = docx.Document()
    for text in paragraphs:
        d.add_paragraph(text)
    if table:
        t = d.add_table(rows=len(table), cols=max(len(r) for r in table))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    for text in after:
        d.add_paragraph(text)
    if header:
        d.sections[0].header.paragraphs[0].text = header
    if footer:
        d.sections[0].footer.paragraphs[0].text = footer
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def make_xlsx(sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def patch_zip(data: bytes, name: str, change) -> bytes:
    """Rewrite one member of a zip-based file (to write XML openpyxl would not)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == name:
                body = change(body.decode("utf-8")).encode("utf-8")
            dst.writestr(info.filename, body)
    return out.getvalue()


def make_pdf(pages: list[list[str]]) -> bytes:
    """A valid PDF whose text uses a Type0 font (Identity-H, 2-byte codes = Unicode code
    points) with a ToUnicode map, so that Chinese text extracts; one line per list item."""
    chars = sorted({c for page in pages for line in page for c in line})
    blocks = []
    for i in range(0, len(chars), 100):
        block = chars[i:i + 100]
        blocks.append(f"{len(block)} beginbfchar\n"
                      + "\n".join(f"<{ord(c):04X}> <{ord(c):04X}>" for c in block) + "\nendbfchar")
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
            + "\n".join(blocks) + "\nendcmap CMapName currentdict /CMap defineresource pop end end")
    objects: dict[int, tuple[str, bool]] = {  # number: (body, is a stream)
        1: ("<< /Type /Catalog /Pages 2 0 R >>", False),
        2: (f"<< /Type /Pages /Kids [{' '.join(f'{6 + 2 * i} 0 R' for i in range(len(pages)))}] "
            f"/Count {len(pages)} >>", False),
        3: ("<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
            "/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>", False),
        4: ("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>", False),
        5: (cmap, True),
    }
    for i, lines in enumerate(pages):
        ops = ["BT /F1 12 Tf 14 TL 40 800 Td"]
        ops += [f"<{''.join(f'{ord(c):04X}' for c in line)}> Tj T*" for line in lines]
        ops.append("ET")
        objects[6 + 2 * i] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                              f"/Resources << /Font << /F1 3 0 R >> >> /Contents {7 + 2 * i} 0 R >>", False)
        objects[7 + 2 * i] = ("\n".join(ops), True)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num, (body, stream) in sorted(objects.items()):
        offsets[num] = len(out)
        raw = body.encode("ascii")
        if stream:
            out += f"{num} 0 obj\n<< /Length {len(raw)} >>\nstream\n".encode() + raw + b"\nendstream\nendobj\n"
        else:
            out += f"{num} 0 obj\n".encode() + raw + b"\nendobj\n"
    xref, size = len(out), max(objects) + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offsets[n]:010d} 00000 n \n" for n in range(1, size)).encode()
    out += f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def encrypt_pdf(data: bytes, user: str, owner: str = "owner") -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(user, owner, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _rec(code: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", code, len(data)) + data


def make_biff8(sheets: list[tuple[str, list[list]]], encrypted: bool = False) -> bytes:
    """A BIFF8 workbook stream (what Excel 97-2003 keeps in the "Workbook" stream): cells
    are str (shared strings), numbers (NUMBER records) or dates (a date-formatted XF)."""
    strings: list[str] = []

    def ustr(s: str, wide_len: bool) -> bytes:
        return struct.pack("<HB" if wide_len else "<BB", len(s), 1) + s.encode("utf-16-le")

    def bof(kind: int) -> bytes:
        return _rec(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x06))

    streams = []
    for _, rows in sheets:
        body = b""
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    if value not in strings:
                        strings.append(value)
                    body += _rec(0x00FD, struct.pack("<HHHI", r, c, 0, strings.index(value)))  # LABELSST
                elif isinstance(value, datetime.date):
                    serial = float((value - datetime.date(1899, 12, 30)).days)
                    body += _rec(0x0203, struct.pack("<HHHd", r, c, 1, serial))  # NUMBER, XF 1
                else:
                    body += _rec(0x0203, struct.pack("<HHHd", r, c, 0, float(value)))
        streams.append(bof(0x0010) + body + _rec(0x000A))

    def xf(fmt: int) -> bytes:
        return _rec(0x00E0, struct.pack("<HHHBBBBIIH", 0, fmt, 0x0001, 0x20, 0, 0, 0, 0, 0, 0x20C0))

    font = _rec(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0) + ustr("Arial", False))
    sst = _rec(0x00FC, struct.pack("<II", len(strings), len(strings)) + b"".join(ustr(s, True) for s in strings))

    def workbook_globals(offsets: list[int]) -> bytes:
        g = bof(0x0005)
        if encrypted:
            g += _rec(0x002F, b"\x00" * 6)  # FILEPASS
        g += font + xf(0) + xf(14)  # format 14: a built-in date format
        for (name, _), offset in zip(sheets, offsets):
            g += _rec(0x0085, struct.pack("<IBB", offset, 0, 0) + ustr(name, False))  # BOUNDSHEET
        return g + sst + _rec(0x000A)

    offsets, pos = [], len(workbook_globals([0] * len(sheets)))
    for s in streams:
        offsets.append(pos)
        pos += len(s)
    return workbook_globals(offsets) + b"".join(streams)


def make_cfb(streams: dict[str, bytes]) -> bytes:
    """An OLE2 compound file (the container of .xls/.doc, and of password-protected
    .docx/.xlsx) holding `streams`; each is padded to 4096 bytes or more, so no mini stream."""
    sect, end, free, fatsect = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    items = [(name, data.ljust(max(4096, -(-len(data) // sect) * sect), b"\x00")) for name, data in streams.items()]
    n_dir = -(-(len(items) + 1) // 4)
    fat = [fatsect] + [i + 2 for i in range(n_dir - 1)] + [end]
    starts, nxt = [], 1 + n_dir
    for _, data in items:
        k = len(data) // sect
        starts.append(nxt)
        fat += [nxt + i + 1 for i in range(k - 1)] + [end]
        nxt += k
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        return (raw.ljust(64, b"\x00") + struct.pack("<HBBIII", len(raw), kind, 1, free, right, child)
                + b"\x00" * 36 + struct.pack("<IQ", start, size))

    dirs = entry("Root Entry", 5, 1, free, end, 0)
    for i, ((name, data), start) in enumerate(zip(items, starts)):
        dirs += entry(name, 2, free, i + 2 if i + 1 < len(items) else free, start, len(data))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\x00" * 6 + struct.pack("<9I", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    return header + struct.pack("<128I", *fat) + dirs.ljust(n_dir * sect, b"\x00") + b"".join(d for _, d in items)


def make_xls(sheets: list[tuple[str, list[list]]], encrypted: bool = False) -> bytes:
    return make_cfb({"Workbook": make_biff8(sheets, encrypted)})


def zip_bomb(member: str = "word/document.xml", size: int = 20 * 1024 * 1024) -> bytes:
    """A zip whose one member inflates ~1000 times (20 MB of zeros from ~20 KB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open(member, "w") as f:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                f.write(chunk)
    return out.getvalue()


def lie_about_size(data: bytes, member: str, size: int) -> bytes:
    """Declare a smaller uncompressed size for `member` in its local and central headers."""
    out, name = bytearray(data), member.encode()
    for signature, name_len_at, size_at, name_at in ((b"PK\x03\x04", 26, 22, 30), (b"PK\x01\x02", 28, 24, 46)):
        i = out.find(signature)
        while i >= 0:
            n = struct.unpack_from("<H", out, i + name_len_at)[0]
            if out[i + name_at:i + name_at + n] == name:
                struct.pack_into("<I", out, i + size_at, size)
            i = out.find(signature, i + 4)
    return bytes(out)


def read(data: bytes, name: str) -> str:
    return read_document(data, name).text


def refused(data: bytes, name: str) -> str:
    with pytest.raises(ReaderError) as info:
        read_document(data, name)
    return str(info.value)


# --------------------------------------------------------------------------- docx

def test_docx_paragraphs_and_table_rows_in_document_order():
    data = make_docx(paragraphs=["低保对象名单公示", "经村民代表会议评议，现将名单公示如下："],
                     table=[["序号", "姓名", "身份证号", "村组"], ["1", "张三", ID1, "石桥村\n一组"]],
                     after=["特此公示。"], header="某县人民政府", footer="第 1 页")
    assert read(data, "名单.docx").split("\n") == [
        "低保对象名单公示",
        "经村民代表会议评议，现将名单公示如下：",
        "序号\t姓名\t身份证号\t村组",
        f"1\t张三\t{ID1}\t石桥村 一组",  # a line break in a cell stays on the row's line
        "特此公示。",
        "某县人民政府",
        "第 1 页",
    ]


def test_docx_merged_cells_text_boxes_tracked_changes_and_content_controls():
    d = docx.Document()
    t = d.add_table(rows=2, cols=3)
    t.cell(0, 0).merge(t.cell(0, 1)).text = "合并标题"
    t.cell(0, 2).text = "备注"
    t.cell(1, 0).text = "李四"
    inner = t.cell(1, 1).add_table(rows=1, cols=2)  # a table in a cell stays on the row's line
    inner.cell(0, 0).text = "甲"
    inner.cell(0, 1).text = "乙"
    p = d.add_paragraph("正文")
    mc = "http://schemas.openxmlformats.org/markup-compatibility/2006"
    p._p.append(parse_xml(
        f'<w:r {nsdecls("w")} xmlns:mc="{mc}"><mc:AlternateContent><mc:Choice Requires="wps">'
        "<w:drawing><w:txbxContent><w:p><w:r><w:t>文本框里的字</w:t></w:r></w:p></w:txbxContent></w:drawing>"
        "</mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>文本框里的字</w:t></w:r></w:p>"
        "</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r>"))
    p._p.addnext(parse_xml(
        f'<w:p {nsdecls("w")}><w:r><w:t xml:space="preserve">经县人民</w:t></w:r>'
        '<w:del w:id="1" w:author="a"><w:r><w:delText>攻</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="a"><w:r><w:t>政</w:t></w:r></w:ins><w:r><w:t>府研究</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r></w:p>'))
    d.element.body.insert(0, parse_xml(
        f'<w:sdt {nsdecls("w")}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>封面标题</w:t></w:r></w:p>'
        "</w:sdtContent></w:sdt>"))
    out = io.BytesIO()
    d.save(out)
    assert read(out.getvalue(), "a.docx").split("\n") == [
        "封面标题", "合并标题\t备注", "李四\t甲 乙", "正文", "文本框里的字", "经县人民政府研究"]


def test_docx_that_is_not_a_word_file():
    assert refused(b"PK\x03\x04 not really", "a.docx") == "无法读取 .docx 文件（文件已损坏或格式不符）"
    assert "文件已损坏或格式不符" in refused(make_docx(paragraphs=["正文"])[:3000], "a.docx")  # truncated
    assert "文件已损坏或格式不符" in refused(b"just some text", "a.docx")
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert "文件已损坏或格式不符" in refused(other_zip.getvalue(), "a.docx")
    broken = patch_zip(make_docx(paragraphs=["正文"]), "word/document.xml", lambda x: x[: len(x) // 2])
    assert "文件已损坏或格式不符" in refused(broken, "a.docx")
    damaged = bytearray(make_docx(paragraphs=["县人民政府"] * 50))
    with zipfile.ZipFile(io.BytesIO(bytes(damaged))) as zf:
        info = zf.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + 60):
        damaged[i] ^= 0x5A  # compressed data that no longer inflates
    assert refused(bytes(damaged), "a.docx") == "无法读取 .docx 文件（文件已损坏或格式不符）"
    assert refused(make_docx(), "blank.docx") == "文件中没有文字内容"


# ---------------------------------------------------------------------------- pdf

def test_pdf_text_page_by_page_with_chinese_intact():
    data = make_pdf([["关于低保对象的公示", f"张三 {ID1} 石桥村一组"], ["某县民政局", "2026年11月20日"]])
    assert read(data, "公示.pdf").split("\n") == [
        "关于低保对象的公示", f"张三 {ID1} 石桥村一组", "某县民政局", "2026年11月20日"]


def test_encrypted_pdf_is_refused_unless_the_open_password_is_empty():
    data = make_pdf([["县人民政府"]])
    assert refused(encrypt_pdf(data, "secret"), "a.pdf").startswith("PDF 文件已加密，无法读取")
    assert read(encrypt_pdf(data, ""), "a.pdf") == "县人民政府"  # owner password only: opens


def test_bad_pdfs():
    assert refused(b"%PDF-1.4\n garbage \x00\x01\x02", "a.pdf") == "无法读取 .pdf 文件（文件已损坏或格式不符）"
    assert refused(b"<html>not a pdf</html>", "a.pdf") == "无法读取 .pdf 文件（文件实际是网页，不是 PDF）"
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    scan = io.BytesIO()
    writer.write(scan)
    assert "没有可提取的文字（可能是扫描件" in refused(scan.getvalue(), "scan.pdf")


# ---------------------------------------------------------------------- spreadsheets

def test_xlsx_sheets_rows_dates_and_numbers():
    data = make_xlsx({
        "低保名单": [["序号", "姓名", "身份证号", "发放日期", "金额", "电话"],
                   [1, "张三", ID1, datetime.date(2026, 1, 5), 1234.5, 13812345678],
                   [2, "李四", 111, datetime.datetime(2026, 1, 5, 9, 30), 300.0, None, "备注\n第二行"]],
        "空表": [],
        "隐藏": [[None, None, "王五"]],
    }, hidden=("隐藏",))
    # an 18-digit number stored exactly, as some exporters write it
    data = patch_zip(data, "xl/worksheets/sheet1.xml", lambda x: x.replace("<v>111</v>", f"<v>{ID2}</v>"))
    assert read(data, "名单.xlsx").split("\n") == [
        "低保名单",
        "序号\t姓名\t身份证号\t发放日期\t金额\t电话",
        f"1\t张三\t{ID1}\t2026-01-05\t1234.5\t13812345678",
        f"2\t李四\t{ID2}\t2026-01-05 09:30\t300\t\t备注 第二行",
        "隐藏",  # hidden sheets are read: that is where leaks hide
        "\t\t王五",
    ]


def test_xlsx_numbers_that_lost_precision_come_out_as_the_digits_excel_shows():
    data = make_xlsx({"Sheet1": [[111, 222, 333]]})
    data = patch_zip(data, "xl/worksheets/sheet1.xml", lambda x: x.replace("<v>111</v>", "<v>5.20122198503121E+17</v>")
                     .replace("<v>222</v>", "<v>5.2012219850312102E+17</v>").replace("<v>333</v>", "<v>1.2E-7</v>"))
    assert read(data, "a.xlsx") == "Sheet1\n520122198503121000\t520122198503121000\t0.00000012"


def test_format_number():
    assert format_number(520122198503121234) == "520122198503121234"
    assert format_number(5.201221985031212e17) == "520122198503121000"
    assert [format_number(v) for v in (3.0, -2.0, 0.0, -0.0, 0.1 + 0.2, 1e21, True)] == \
        ["3", "-2", "0", "0", "0.3", "1000000000000000000000", "TRUE"]


def test_xlsx_with_a_huge_declared_size_is_read_quickly():
    data = make_xlsx({"Sheet1": [["姓名", "电话"], ["张三", "13812345678"]]})
    data = patch_zip(data, "xl/worksheets/sheet1.xml",
                     lambda x: x.replace('<dimension ref="A1:B2"/>', '<dimension ref="A1:XFD1048576"/>'))
    assert read(data, "a.xlsx") == "Sheet1\n姓名\t电话\n张三\t13812345678"


def test_spreadsheet_cell_and_text_caps(monkeypatch):
    data = make_xlsx({"Sheet1": [["甲"] * 20 for _ in range(20)]})
    monkeypatch.setattr(readers, "MAX_CELLS", 100)
    assert "表格过大" in refused(data, "a.xlsx")
    monkeypatch.setattr(readers, "MAX_CELLS", 10**6)
    monkeypatch.setattr(readers, "MAX_TEXT_CHARS", 100)
    assert "文字内容过多" in refused(data, "a.xlsx")
    assert "文字内容过多" in refused("县人民政府".encode() * 100, "a.txt")


def test_bad_xlsx():
    good = make_xlsx({"Sheet1": [["县人民政府"]]})
    assert refused(good[: len(good) // 2], "a.xlsx") == "无法读取 .xlsx 文件（文件已损坏或格式不符）"
    broken = patch_zip(good, "xl/worksheets/sheet1.xml", lambda x: x[:-40])
    assert "文件已损坏或格式不符" in refused(broken, "a.xlsx")
    assert refused(make_xlsx({"Sheet1": []}), "a.xlsx") == "文件中没有文字内容"


def test_xls_sheets_dates_and_long_numbers():
    data = make_xls([("低保名单", [["姓名", "身份证号", "日期", "金额"],
                                  ["张三", ID1, datetime.date(2026, 1, 5), 520122198503121234],
                                  ["李四", None, None, 12.5]]),
                     ("Sheet2", [])])
    assert read(data, "名单.xls").split("\n") == [
        "低保名单", "姓名\t身份证号\t日期\t金额", f"张三\t{ID1}\t2026-01-05\t520122198503121000", "李四\t\t\t12.5"]
    assert read(make_biff8([("表", [["县人民政府"]])]), "raw.xls") == "表\n县人民政府"  # a bare BIFF stream


def test_bad_xls():
    assert "已加密" in refused(make_xls([("表", [["县人民政府"]])], encrypted=True), "a.xls")
    assert refused(b"\x09\x08garbage" * 10, "a.xls") == "无法读取 .xls 文件（文件已损坏或格式不符）"
    assert "文件已损坏或格式不符" in refused(make_cfb({"Other": b"x" * 10}), "a.xls")


def test_csv_encodings_and_delimiters():
    rows = f'姓名,身份证号,备注\n张三,{ID1},"住址：石桥村\n一组"\n\n李四,{ID2},\n'
    expected = f"姓名\t身份证号\t备注\n张三\t{ID1}\t住址：石桥村 一组\n李四\t{ID2}"
    assert read(rows.encode("utf-8"), "a.csv") == expected
    assert read(rows.encode("utf-8-sig"), "a.csv") == expected
    assert read(rows.encode("gb18030"), "a.csv") == expected
    assert read(rows.replace(",", ";").encode("gbk"), "a.csv") == expected
    assert read(rows.replace(",", "\t").encode("utf-16"), "a.csv") == expected  # Excel "Unicode text"


# ------------------------------------------------------------- bytes beat the name

def test_a_spreadsheet_that_is_really_a_web_page_tab_text_or_excel_xml():
    html = ("<html xmlns:x='urn:schemas-microsoft-com:office:excel'><head><meta charset='gbk'></head><body>"
            f"<table><tr><td>姓名</td><td>身份证号</td></tr><tr><td>张三</td><td>{ID1}</td></tr></table>"
            "</body></html>").encode("gbk")
    assert read(html, "导出.xls") == f"姓名 身份证号\n张三 {ID1}"
    assert read(html, "导出.xlsx") == f"姓名 身份证号\n张三 {ID1}"
    tsv = f"姓名\t身份证号\n张三\t{ID1}\n".encode("gbk")
    assert read(tsv, "导出.xls") == f"姓名\t身份证号\n张三\t{ID1}"
    xml = ('<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>'
           '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
           'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="名单"><Table>'
           '<Row><Cell><Data ss:Type="String">张三</Data></Cell>'
           f'<Cell ss:Index="3"><Data ss:Type="Number">{ID1[:-1]}0</Data></Cell>'
           '<Cell><Data ss:Type="DateTime">2026-01-05T00:00:00.000</Data></Cell></Row>'
           "</Table></Worksheet></Workbook>").encode("utf-8")
    assert read(xml, "导出.xls") == f"名单\n张三\t\t{ID1[:-1]}0\t2026-01-05"
    utf16 = "<html><body><table><tr><td>姓名</td><td>张三</td></tr></table></body></html>".encode("utf-16")
    assert read(utf16, "导出.xls") == "姓名 张三"
    assert "单个文件网页（.mht）" in refused(b"MIME-Version: 1.0\r\nContent-Type: multipart/related\r\n", "a.xls")


def test_office_files_under_each_others_names():
    xls = make_xls([("表", [["县人民政府"]])])
    assert read(xls, "a.xlsx") == "表\n县人民政府"
    assert read(make_xlsx({"表": [["县人民政府"]]}), "a.xls") == "表\n县人民政府"
    assert read(make_docx(paragraphs=["县人民政府"]), "a.doc") == "县人民政府"
    assert read(b"<html><body><p>\xe5\x8e\xbf\xe4\xba\xba\xe6\xb0\x91\xe6\x94\xbf\xe5\xba\x9c</p></body></html>",
                "a.doc") == "县人民政府"  # Word's "save as web page" under a .doc name
    message = refused(make_cfb({"WordDocument": b"x" * 10}), "a.docx")
    assert "这个 .docx 文件实际是 Word 97-2003 文档（.doc），暂不支持" in message and "另存为 .docx" in message


def test_password_protected_office_files():
    protected = make_cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"x" * 100})
    for name in ("a.docx", "a.xlsx", "a.xls"):
        assert refused(protected, name).startswith("文件已加密（设置了打开密码）")


def test_old_formats_are_refused_plainly():
    for name in ("a.doc", "a.wps", "a.et", "a.ppt"):
        message = refused(make_cfb({"WordDocument": b"x" * 10}), name)
        assert message.startswith(f"暂不支持 .{name.split('.')[1]} 文件")
        assert ".doc .wps .et .ett .ppt" in message and "另存为 .docx" in message and ".xlsx" in message
    assert "RTF" in refused(b"{\\rtf1\\ansi hello}", "a.doc")
    assert "暂不支持 .jpg 文件；目前支持：.txt .html .htm .shtml .docx .pdf .xlsx .xls .csv" in \
        refused(b"\xff\xd8\xff", "photo.jpg")


# ------------------------------------------------------------------------ safety

def test_zip_bombs_are_refused_before_decompressing():
    message = refused(zip_bomb(), "bomb.docx")
    assert "可能是恶意构造的压缩文件" in message and "压缩比异常" in message
    assert "可能是恶意构造的压缩文件" in refused(zip_bomb("xl/worksheets/sheet1.xml"), "bomb.xlsx")


def test_a_zip_member_that_lies_about_its_size_is_refused():
    bomb = lie_about_size(zip_bomb("xl/worksheets/sheet1.xml", 8 * 1024 * 1024), "xl/worksheets/sheet1.xml", 2000)
    assert "实际解压大小超过声明的大小" in refused(bomb, "a.xlsx")
    docx_bytes = make_docx(paragraphs=["县人民政府"] * 50)
    assert "恶意构造" in refused(lie_about_size(docx_bytes, "word/document.xml", 100), "a.docx")


def test_zip_total_size_and_member_count_caps(monkeypatch):
    data = make_docx(paragraphs=["县人民政府"])
    monkeypatch.setattr(readers, "MAX_UNZIPPED_BYTES", 1000)
    assert "解压后" in refused(data, "a.docx") and "上限" in refused(data, "a.docx")
    monkeypatch.setattr(readers, "MAX_UNZIPPED_BYTES", 10**9)
    monkeypatch.setattr(readers, "MAX_ZIP_MEMBERS", 3)
    assert "部件过多" in refused(data, "a.docx")


def test_file_size_cap_and_empty_files(monkeypatch):
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 1000)
    assert "文件过大" in refused(b"x" * 1001, "a.txt")
    for name in ("a.docx", "a.pdf", "a.xlsx", "a.xls", "a.csv", "a.doc"):
        assert refused(b"", name) == "文件为空"


# ---------------------------------------------------------- through the checks

def test_pdf_and_xls_lists_are_checked_with_masked_numbers(tmp_path, matcher):
    (tmp_path / "公示.pdf").write_bytes(make_pdf([["低保对象名单公示", f"张三 {ID1} 石桥村"]]))
    (tmp_path / "名单.xls").write_bytes(make_xls([("低保名单", [["姓名", "身份证号"], ["张三", ID1]])]))
    for name in ("公示.pdf", "名单.xls"):
        result = check_file(tmp_path / name, matcher)
        (finding,) = [f for f in result.findings if f.rule == "id-number"]
        assert finding.severity == "veto" and finding.text == "52*************" + ID1[-3:]
        assert ID1 not in finding.context
