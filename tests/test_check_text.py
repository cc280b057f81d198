"""`govmon check-text`: drafts and saved pages, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import valid_id


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
    for name, message in [("missing.txt", "文件不存在"), ("empty.txt", "文件为空"), ("report.docx", "暂不支持 .docx")]:
        result = check_text(name, cwd=tmp_path)
        assert result.returncode == 2, name
        assert message in result.stderr and "Traceback" not in result.stderr
    usage = check_text(cwd=tmp_path)
    assert usage.returncode == 2
