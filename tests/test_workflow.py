"""The rectification workflow over several scans: deadlines, overdue, new, fixed since the
last scan, ignored and reopened findings — in the HTML, XLSX and JSON lists alike."""

from __future__ import annotations

import json
from datetime import date

import lxml.html
import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import load_config
from monitor.finding import Finding
from monitor.report import build_report
from monitor.store import Store
from monitor.worklist import department_lists, make_row

D1, D2, D3 = date(2026, 11, 10), date(2026, 11, 14), date(2026, 11, 20)
BASE = "http://127.0.0.1:8000"


def finding(text: str, severity: str = "minor", page: str = "a", category: str = "typo", **kw) -> Finding:
    base = dict(rule="typos", category=category, severity=severity, text=text, suggestion="改正",
                context=f"上文{text}下文", context_start=2, context_end=2 + len(text),
                url=f"{BASE}/ywdt/{page}.html", site="portal", department="office", page_title="要闻", column="要闻动态")
    base.update(kw)
    return Finding(**base)


VETO = finding("人民攻府", "veto", "a", "severe_error")
MINOR = finding("再接再励", "minor", "b")
MAJOR = finding("党的十八大以来", "major", "c", "outdated")
BACK = finding("反复出现", "minor", "d")
LATE = finding("新的问题", "major", "e")
FORMULA = finding('=HYPERLINK("http://evil.example/","点我")', "minor", "f")


def scan(store: Store, day: date, findings: list[Finding], pages: tuple[str, ...] = (), status: str = "complete"):
    scan_id = store.start_scan("portal", day)
    for f in findings:
        store.record_page(scan_id, f.url, 200, title=f.page_title, findings=[f])
    for page in pages:  # read, nothing found
        store.record_page(scan_id, f"{BASE}/ywdt/{page}.html", 200)
    store.finish_scan(scan_id, status)
    return scan_id


@pytest.fixture
def config_path(tmp_path):
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump({
        "departments": [{"id": "office", "name": "县政府办公室"}, {"id": "edu", "name": "县教育局"}],
        "sites": [{"id": "portal", "name": "示例县人民政府", "url": f"{BASE}/", "department": "office",
                   "code": "5201220001"}],
        "deadlines": {"veto": 3, "major": 10, "minor": 30},
    }, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def history(config_path):
    """Three nightly scans: one problem fixed, one back after a fix, one new, one overdue."""
    config = load_config(config_path)
    store = Store(config.database_url)
    scan(store, D1, [VETO, MINOR, MAJOR, BACK, FORMULA])
    scan(store, D2, [VETO, MINOR, MAJOR, FORMULA], pages=("d",))  # BACK fixed
    scan(store, D3, [VETO, MINOR, BACK, LATE, FORMULA], pages=("c",))  # MAJOR fixed, BACK reopened, LATE new
    yield config, store
    store.close()


def ids(store: Store) -> dict[str, int]:
    return {f.text: f.id for f in store.findings(statuses=None)}


def test_each_finding_falls_into_one_section_with_its_deadline(history):
    config, store = history
    store.ignore(ids(store)["再接再励"], "引用的是历史文件标题", "张三", on=D3)
    build = build_report(config, store, generated=D3)
    (office, edu) = build.lists
    assert edu.rows == []
    by_text = {r.finding.text: r for r in office.rows}
    veto = by_text["人民攻府"]
    assert (veto.section, veto.deadline, veto.days_open, veto.days_left) == ("overdue", date(2026, 11, 13), 10, -7)
    assert by_text["新的问题"].section == "new" and by_text["新的问题"].deadline == date(2026, 11, 30)
    back = by_text["反复出现"]  # reopened: the deadline runs again from the day it came back
    assert back.finding.status == "reopened" and back.section == "new" and back.deadline == date(2026, 12, 20)
    assert back.days_open == 0
    assert by_text[FORMULA.text].section == "open" and by_text[FORMULA.text].days_left == 20
    assert by_text["党的十八大以来"].section == "fixed" and by_text["党的十八大以来"].finding.fixed_on == D3
    assert by_text["再接再励"].section == "ignored"
    assert [r.finding.text for r in office.todo] == ["人民攻府", "新的问题", "反复出现", FORMULA.text]
    assert office.next_deadline == date(2026, 11, 30)
    assert office.section_counts == {"overdue": 1, "new": 2, "open": 1, "fixed": 1, "ignored": 1}


def test_a_second_scan_the_same_day_keeps_tonights_new_problems_new(history):
    config, store = history
    scan(store, D3, [VETO, MINOR, BACK, LATE, FORMULA], pages=("c",))  # a rerun of the night
    (office, _) = build_report(config, store, generated=D3).lists
    by_text = {r.finding.text: r for r in office.rows}
    assert by_text["新的问题"].finding.status == "open" and by_text["新的问题"].section == "new"
    assert by_text["反复出现"].section == "new" and by_text[FORMULA.text].section == "open"


def test_a_fix_seen_by_an_earlier_scan_is_not_news_tonight(history):
    config, store = history
    (office, _) = build_report(config, store, generated=D3).lists
    assert [r.finding.text for r in office.section("fixed")] == ["党的十八大以来"]  # not 反复出现's old fix


def test_a_finding_nobody_rescanned_becomes_overdue_while_still_new():
    config = load_config_dict({"deadlines": {"veto": 3}})
    f = finding("人民攻府", "veto", status="new", first_seen=D1, opened_on=D1)
    assert make_row(f, config, date(2026, 11, 13)).section == "new"  # the deadline day itself is in time
    assert make_row(f, config, date(2026, 11, 14)).section == "overdue"


def load_config_dict(extra: dict) -> object:
    from monitor.config import validate

    return validate({"departments": [{"id": "office", "name": "县政府办公室"}], **extra})


def test_findings_of_unknown_departments_get_their_own_list():
    config = load_config_dict({})
    lists = department_lists(config, [finding("x", department="gone", status="new", first_seen=D1)], D1)
    assert [(dl.id, dl.name, len(dl.todo)) for dl in lists] == [("office", "县政府办公室", 0), ("unassigned", "未归属部门", 1)]


def test_the_html_list_shows_the_sections_apart_and_overdue_rows_stand_out(history):
    config, store = history
    store.ignore(ids(store)["再接再励"], "引用的是历史文件标题", "张三", on=D3)
    result = build_report(config, store, generated=D3)
    doc = lxml.html.fromstring(result.departments["office"].html.read_text(encoding="utf-8"))
    headings = [h.text_content() for h in doc.xpath("//h2[contains(@class,'section-title')]")]
    assert headings == ["逾期未整改（1）", "新发现（2）", "未整改（整改期限内）（1）", "最近一次扫描确认已整改（1）", "已忽略（确认为误报）（1）"]
    (overdue,) = doc.xpath("//tr[contains(@class,'overdue')]")
    assert overdue.get("data-section") == "overdue" and "逾期 7 天" in overdue.text_content()
    assert doc.xpath("//table[contains(@class,'section-ignored')]//td[@class='ignored-reason']")[0].text_content() \
        .startswith("引用的是历史文件标题")
    assert doc.xpath("//td[@data-section='overdue']/text()") == ["1"]
    index = lxml.html.fromstring(result.index.read_text(encoding="utf-8"))
    (row,) = index.xpath("//tr[@data-department='office']")
    assert [row.xpath(f"td[contains(@class,'{c}')]/text()")[0] for c in ("open", "new", "overdue", "fixed", "ignored")] \
        == ["4", "2", "1", "1", "1"]


def test_the_summary_has_inline_svg_charts_and_no_scripts(history):
    config, store = history
    result = build_report(config, store, generated=D3)
    doc = lxml.html.fromstring(result.index.read_text(encoding="utf-8"))
    for chart in ("chart-trend", "chart-category", "chart-department"):
        svg = doc.get_element_by_id(chart).xpath(".//svg")
        assert len(svg) == 1 and svg[0].get("role") == "img"
    bars = doc.get_element_by_id("chart-trend").xpath(".//text")
    assert [t.text for t in bars] == ["5", "11-10", "4", "11-14", "5", "11-20"]  # problems found each night
    assert doc.xpath("//script") == [] and doc.xpath("//@href[starts-with(., 'http') and contains(., '.js')]") == []


def test_the_trend_leaves_out_false_positives_and_counts_nights_with_nothing_found(history):
    config, store = history
    store.ignore(ids(store)[FORMULA.text], "误报", on=D3)
    scan(store, date(2026, 11, 21), [], pages=("a", "b", "d", "e", "f"))
    assert store.trend(["portal"]) == [(D1, 4), (D2, 3), (D3, 4), (date(2026, 11, 21), 0)]
    assert store.trend(["portal"], limit=2) == [(D3, 4), (date(2026, 11, 21), 0)]
    assert store.trend(["elsewhere"]) == []


def test_the_trend_keeps_a_failed_nights_last_known_state(history):
    config, store = history
    scan(store, date(2026, 11, 21), [], status="failed")  # the site was down: nothing was seen
    assert store.trend(["portal"])[-2:] == [(D3, 5), (date(2026, 11, 21), 5)]


def test_the_excel_list_has_every_row_field_and_return_columns(history):
    config, store = history
    store.ignore(ids(store)["再接再励"], "引用的是历史文件标题", "张三", on=D3)
    path = build_report(config, store, generated=D3).departments["office"].xlsx
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["整改清单", "已整改", "已忽略", "说明"]
    ws = wb["整改清单"]
    header = [c.value for c in ws[1]]
    for label in ("问题编号", "问题类型", "问题级别", "疑似错误", "推荐修改", "修改说明", "所在上下文", "页面标题", "页面链接",
                  "父页面链接", "栏目", "发布时间", "网站名称", "网站标识码", "责任单位", "首次发现", "连续未整改天数",
                  "整改期限", "快照/定位", "整改情况", "整改说明", "整改完成日期", "整改人"):
        assert label in header, label
    rows = [dict(zip(header, (c.value for c in r))) for r in ws.iter_rows(min_row=2)]
    assert [r["疑似错误"] for r in rows] == ["人民攻府", "新的问题", "反复出现", FORMULA.text]
    veto = rows[0]
    assert veto["整改状态"] == "逾期未整改" and veto["问题级别"] == "单项否决" and veto["连续未整改天数"] == 10
    assert veto["整改期限"].date() == date(2026, 11, 13) and veto["网站标识码"] == "5201220001"
    assert veto["网站名称"] == "示例县人民政府" and veto["责任单位"] == "县政府办公室"
    assert veto["问题编号"] == ids(store)["人民攻府"]
    assert ws.cell(2, 2).fill.fgColor.rgb.endswith("F8D7DA")  # overdue rows are filled red
    formula = ws.cell(5, header.index("疑似错误") + 1)
    assert formula.data_type == "s" and formula.value.startswith("=HYPERLINK")  # text from a page never runs
    assert [dv.sqref for dv in ws.data_validations.dataValidation] != []
    fixed_header = [c.value for c in wb["已整改"][1]]
    assert [r[fixed_header.index("疑似错误")].value for r in wb["已整改"].iter_rows(min_row=2)] == ["党的十八大以来"]
    ignored_header = [c.value for c in wb["已忽略"][1]]
    (ignored,) = list(wb["已忽略"].iter_rows(min_row=2))
    assert "引用的是历史文件标题" in ignored[ignored_header.index("忽略理由")].value
    assert "张三" in ignored[ignored_header.index("忽略理由")].value


def test_the_json_export_carries_deadlines_and_sections(history):
    config, store = history
    result = build_report(config, store, generated=D3)
    data = json.loads(result.departments["office"].json.read_text(encoding="utf-8"))
    assert data["department"] == {"id": "office", "name": "县政府办公室"} and data["scan_date"] == "2026-11-20"
    assert data["counts"] == {"overdue": 1, "new": 2, "open": 2, "fixed": 1, "ignored": 0}
    veto = next(r for r in data["rows"] if r["text"] == "人民攻府")
    assert veto["deadline"] == "2026-11-13" and veto["overdue"] is True and veto["days_open"] == 10
    assert veto["status"] == "open" and veto["first_seen"] == "2026-11-10" and veto["fingerprint"]
    everything = json.loads(result.export.read_text(encoding="utf-8"))
    assert len(everything["rows"]) == len(data["rows"])


def test_cli_ignore_then_findings_and_report(history, config_path):
    config, store = history
    runner = CliRunner()
    target = ids(store)["再接再励"]
    result = runner.invoke(main, ["ignore", str(target), "--reason", "历史文件标题", "--by", "李四",
                                  "--config", str(config_path)])
    assert result.exit_code == 0 and "已忽略问题" in result.output
    listed = runner.invoke(main, ["findings", "--config", str(config_path), "--status", "ignored", "--format", "json"])
    (row,) = json.loads(listed.output)
    assert row["ignored_reason"] == "历史文件标题" and row["ignored_by"] == "李四" and row["status"] == "ignored"
    todo = json.loads(runner.invoke(main, ["findings", "--config", str(config_path), "--format", "json",
                                           "--category", "severe_error"]).output)
    assert [f["text"] for f in todo] == ["人民攻府"]
    report = runner.invoke(main, ["report", "--config", str(config_path)])
    assert report.exit_code == 0
    assert "县政府办公室：待整改 4 个（逾期 1，新发现 2），最近确认已整改 1 个" in report.output
    # seen again with the same text, an ignored finding stays ignored and out of the lists
    scan(store, date(2026, 11, 21), [VETO, MINOR, BACK, LATE, FORMULA])
    assert store.findings(statuses=["ignored"])[0].text == "再接再励"
    (office, _) = build_report(config, store, generated=date(2026, 11, 21)).lists
    assert "再接再励" not in [r.finding.text for r in office.todo]


def test_a_partial_scan_fixes_nothing_and_the_list_says_so(history):
    config, store = history
    scan(store, date(2026, 11, 21), [], pages=("a", "b", "d", "e", "f"), status="partial")
    result = build_report(config, store, generated=date(2026, 11, 21))
    (office, _) = result.lists
    assert office.section("fixed") == [] and len(office.todo) == 5
    assert "最近一次扫描未完成" in result.departments["office"].html.read_text(encoding="utf-8")


def test_report_refuses_before_any_scan_and_names_sites_never_scanned(config_path):
    runner = CliRunner()
    result = runner.invoke(main, ["report", "--config", str(config_path)])
    assert result.exit_code == 2 and "尚未扫描" in result.output
    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    data["sites"].append({"id": "jyj", "name": "县教育局网站", "url": f"{BASE}/jyj/", "department": "edu"})
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    config = load_config(config_path)
    store = Store(config.database_url)
    try:
        scan(store, D1, [VETO])
        result = build_report(config, store, generated=D1)
    finally:
        store.close()
    edu = lxml.html.fromstring(result.departments["edu"].html.read_text(encoding="utf-8"))
    assert "县教育局网站：尚未扫描" in edu.get_element_by_id("incomplete").text_content()


def test_ignore_needs_a_reason_and_can_be_undone(history, config_path):
    config, store = history
    runner = CliRunner()
    target = ids(store)["再接再励"]
    empty = runner.invoke(main, ["ignore", str(target), "--reason", "  ", "--config", str(config_path)])
    assert empty.exit_code == 2 and "理由" in empty.output
    runner.invoke(main, ["ignore", str(target), "--reason", "误报", "--by", "张三", "--config", str(config_path)])
    runner.invoke(main, ["ignore", str(target), "--reason", "历史文件标题", "--config", str(config_path)])
    (f,) = store.findings(statuses=["ignored"])
    assert (f.ignored_reason, f.ignored_by) == ("历史文件标题", "张三")
    undone = runner.invoke(main, ["ignore", str(target), "--undo", "--config", str(config_path)])
    assert undone.exit_code == 0 and "已撤销忽略" in undone.output
    assert store.findings(statuses=["ignored"]) == [] and "再接再励" in [f.text for f in store.findings()]


def test_findings_filters_reject_unknown_ids_and_list_unassigned_ones(history, config_path):
    config, store = history
    runner = CliRunner()
    bad = runner.invoke(main, ["findings", "--site", "nope", "--config", str(config_path)])
    assert bad.exit_code == 2 and "没有 id 为 'nope' 的站点" in bad.output and "配置文件" not in bad.output
    assert runner.invoke(main, ["findings", "--category", "nonsense", "--config", str(config_path)]).exit_code == 2
    scan(store, date(2026, 11, 21), [VETO, MINOR, BACK, LATE, FORMULA, finding("无主问题", department="gone", page="g")])
    listed = runner.invoke(main, ["findings", "--department", "unassigned", "--format", "json",
                                  "--config", str(config_path)])
    assert [f["text"] for f in json.loads(listed.output)] == ["无主问题"]


@pytest.mark.parametrize("text", ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1"])
def test_page_text_that_looks_like_a_formula_stays_text_in_excel(tmp_path, text):
    from monitor.config import validate
    from monitor.xlsx import write_department_xlsx

    config = validate({"departments": [{"id": "office", "name": "县政府办公室"}]})
    f = finding(text, status="new", first_seen=D1, opened_on=D1, id=1)
    (dl,) = department_lists(config, [f], D1)
    path = write_department_xlsx(dl, config, tmp_path / "office.xlsx", D1, D1)
    ws = openpyxl.load_workbook(path)["整改清单"]
    header = [c.value for c in ws[1]]
    cell = ws.cell(2, header.index("疑似错误") + 1)
    assert cell.data_type == "s" and cell.value == text
