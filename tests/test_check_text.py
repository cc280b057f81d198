"""`govmon check-text`: drafts, saved pages and office documents, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import valid_id
from test_readers import encrypt_pdf, make_cfb, make_docx, make_pdf, make_xlsx, patch_zip, zip_bomb


def check_text(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor.cli", "check-text", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_clean_draft_exits_0(tmp_path):
    (tmp_path / "draft.txt").write_text("县自然资源局（原县国土资源局）召开会议，希望大家再接再厉。\n", encoding="utf-8")
    result = check_text("draft.txt", "--published", "2026-11-20", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "未发现问题" in result.stdout


def test_findings_exit_1_with_line_and_highlight(tmp_path):
    (tmp_path / "draft.txt").write_text("第一行\n经县人民攻府研究决定，希望大家再接再励。\n", encoding="utf-8")
    result = check_text("draft.txt", cwd=tmp_path)
    assert result.returncode == 1
    assert "draft.txt:2:3: [单项否决] 严重错误：人民攻府 → 人民政府" in result.stdout
    assert "【人民攻府】" in result.stdout
    assert "共发现 2 个问题" in result.stdout


def test_json_offsets_are_into_the_text_as_given(tmp_path):
    text = "第一行\n经县人民攻府研究决定。\n"
    (tmp_path / "draft.txt").write_text(text, encoding="utf-8")
    result = check_text("draft.txt", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = json.loads(result.stdout)
    assert text[finding["start"]:finding["end"]] == finding["text"] == "人民攻府"
    assert finding["file"] == "draft.txt" and finding["category"] == "severe_error"


def test_published_date_decides_outdated_names(tmp_path):
    (tmp_path / "d.txt").write_text("材料报送县国土资源局。", encoding="utf-8")
    assert check_text("d.txt", "--published", "2017-06-12", cwd=tmp_path).returncode == 0
    late = check_text("d.txt", "--published", "2026-11-20", "--format", "json", cwd=tmp_path)
    assert [f["severity"] for f in json.loads(late.stdout)] == ["major"]
    undated = check_text("d.txt", "--format", "json", cwd=tmp_path)
    assert [f["severity"] for f in json.loads(undated.stdout)] == ["minor"]


def test_personal_numbers_are_masked_in_output(tmp_path):
    raw = valid_id("52012219850312123")
    (tmp_path / "list.txt").write_text(f"低保对象名单公示\n张三\t{raw}\t某村\n", encoding="utf-8")
    for fmt in ("text", "json"):
        result = check_text("list.txt", "--format", fmt, cwd=tmp_path)
        assert result.returncode == 1
        assert raw not in result.stdout and raw[:-3] not in result.stdout
        assert "52*************" in result.stdout


def test_saved_gbk_html_page_uses_its_own_date(tmp_path):
    html = ("<html><head><meta name='PubDate' content='2026-10-23 09:00'><title>乡镇动态</title></head>"
            "<body><div id='zoom'><p>县扶贫开发办公室有关负责同志到会指导。</p></div></body></html>")
    (tmp_path / "page.html").write_bytes(html.encode("gbk"))
    result = check_text("page.html", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert [(f["text"], f["severity"]) for f in json.loads(result.stdout)] == [("扶贫开发办公室", "major")]


def test_bad_input_exits_2_with_a_clear_message(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "report.docx").write_bytes(b"PK\x03\x04 not really")
    for name, message in [("missing.txt", "文件不存在"), ("empty.txt", "文件为空"),
                          ("report.docx", "report.docx：无法读取 .docx 文件（文件已损坏或格式不符）")]:
        result = check_text(name, cwd=tmp_path)
        assert result.returncode == 2, name
        assert message in result.stderr and "Traceback" not in result.stderr
    usage = check_text(cwd=tmp_path)
    assert usage.returncode == 2


def _list_rows() -> list[list[str]]:
    return [["序号", "姓名", "身份证号", "村组"],
            ["1", "张三", valid_id("52012219850312123"), "石桥村一组"],
            ["2", "李四", valid_id("52012219900101456"), "石桥村二组"]]


def _assert_masked_only(result: subprocess.CompletedProcess, raws: list[str]) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    for raw in raws:
        for stream in (result.stdout, result.stderr):
            assert raw not in stream and raw[:-3] not in stream and raw[2:] not in stream
        assert f"52*************{raw[-3:]}" in result.stdout


def test_docx_xlsx_and_csv_lists_exit_1_with_masked_numbers_only(tmp_path):
    rows = _list_rows()
    raws = [rows[1][2], rows[2][2]]
    (tmp_path / "公示.docx").write_bytes(make_docx(paragraphs=["低保对象名单公示"], table=rows, after=["特此公示。"]))
    xlsx = make_xlsx({"低保名单": [rows[0], rows[1], [*rows[2][:2], 111, rows[2][3]]]})
    # the second ID stored as a number, all 18 digits (as some exporters write it)
    xlsx = patch_zip(xlsx, "xl/worksheets/sheet1.xml", lambda x: x.replace("<v>111</v>", f"<v>{raws[1]}</v>"))
    (tmp_path / "公示.xlsx").write_bytes(xlsx)
    (tmp_path / "公示.csv").write_bytes("\n".join(",".join(r) for r in rows).encode("gbk"))
    names = ("公示.docx", "公示.xlsx", "公示.csv")
    text = check_text(*names, cwd=tmp_path)
    _assert_masked_only(text, raws)
    assert all(f"{name}:" in text.stdout for name in names) and "共发现 6 个问题" in text.stdout
    as_json = check_text(*names, "--format", "json", cwd=tmp_path)
    _assert_masked_only(as_json, raws)
    found = [(f["file"], f["rule"], f["severity"]) for f in json.loads(as_json.stdout)]
    assert found == [(name, "id-number", "veto") for name in names for _ in raws]


def test_clean_office_documents_exit_0(tmp_path):
    (tmp_path / "通知.docx").write_bytes(make_docx(
        paragraphs=["关于召开会议的通知"], table=[["时间", "地点"], ["2026年11月20日", "县人民政府三楼会议室"]],
        after=["请各单位准时参加。"]))
    (tmp_path / "统计.xlsx").write_bytes(make_xlsx({"Sheet1": [["乡镇", "户数"], ["城关镇", 1203]]}))
    (tmp_path / "通知.pdf").write_bytes(make_pdf([["关于召开会议的通知", "请各单位准时参加。"]]))
    result = check_text("通知.docx", "统计.xlsx", "通知.pdf", "--published", "2026-11-20", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "未发现问题" in result.stdout


def test_unreadable_documents_exit_2_with_a_clear_message(tmp_path):
    files = {
        "坏.docx": (b"this is not a zip file", "无法读取 .docx 文件（文件已损坏或格式不符）"),
        "加密.pdf": (encrypt_pdf(make_pdf([["县人民政府"]]), "secret"), "PDF 文件已加密，无法读取"),
        "空.xlsx": (b"", "文件为空"),
        "炸弹.xlsx": (zip_bomb("xl/worksheets/sheet1.xml"), "可能是恶意构造的压缩文件"),
        "旧.doc": (make_cfb({"WordDocument": b"x" * 100}), "暂不支持 .doc 文件"),
        "加密.xlsx": (make_cfb({"EncryptionInfo": b"x", "EncryptedPackage": b"x"}), "文件已加密"),
    }
    for name, (data, message) in files.items():
        (tmp_path / name).write_bytes(data)
        result = check_text(name, cwd=tmp_path)
        assert result.returncode == 2, name
        assert f"错误：{name}：" in result.stderr and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
    assert "另存为 .docx" in check_text("旧.doc", cwd=tmp_path).stderr
