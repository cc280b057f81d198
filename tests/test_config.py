"""monitor.yaml: a wrong file gets one clear Chinese message naming file and key, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from monitor.config import ConfigError, example_config, load_config, validate

GOOD = {
    "departments": [{"id": "office", "name": "县政府办公室", "email": ["office@example.gov.cn"]}],
    "sites": [{"id": "portal", "name": "示例县人民政府", "url": "http://127.0.0.1:8000/", "department": "office"}],
}


def write(tmp_path: Path, data, name="monitor.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def problems(tmp_path, data) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, data))
    return str(info.value)


def test_example_written_by_init_is_valid_and_has_comments(tmp_path):
    text = example_config()
    assert text.count("#") > 10
    config = load_config(write(tmp_path, text))
    assert config.sites[0].max_pages == 5000 and config.timezone == "Asia/Shanghai"


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.database_url == f"sqlite:///{tmp_path / 'govmon.db'}"
    assert config.reports_path == tmp_path / "reports"


def test_any_sqlalchemy_url_is_accepted(tmp_path):
    config = load_config(write(tmp_path, dict(GOOD, database="postgresql+psycopg://govmon@127.0.0.1/govmon")))
    assert config.database_url.startswith("postgresql+psycopg://")


@pytest.mark.parametrize("change, expected", [
    ({"sites": [dict(GOOD["sites"][0], url="www.example.gov.cn")]}, "sites[0].url：应为以 http:// 或 https:// 开头"),
    ({"sites": [dict(GOOD["sites"][0], max_pages=0)]}, "sites[0].max_pages：应不小于 1"),
    ({"sites": [dict(GOOD["sites"][0], max_pages="很多")]}, "sites[0].max_pages：应为整数"),
    ({"sites": [dict(GOOD["sites"][0], department="edu")]}, "sites[0].department：未定义的部门 'edu'"),
    ({"sites": [dict(GOOD["sites"][0], paths={"jyj/": "office"})]}, "sites[0].paths：路径前缀应以 / 开头"),
    ({"timezone": "Beijing"}, "timezone：未知的时区 'Beijing'"),
    ({"database": "not a url"}, "database：应为 SQLAlchemy 数据库地址"),
    ({"schedule": {"scan": "every night"}}, "schedule.scan：应为 crontab 表达式"),
    ({"departments": []}, "departments：至少需要一项"),
    ({"sitez": []}, "sitez：未知的配置项"),
    ({"departments": [{"id": "县办", "name": "县政府办公室"}]}, "departments[0].id：应为由字母、数字"),
    ({"departments": [{"id": "office", "name": "x", "email": ["not-an-address"]}]}, "departments[0].email：应为电子邮件地址"),
    ({"runner": {"kind": "scrapyd", "nodes": ["http://10.0.0.11:6800", "http://10.0.0.11:6800/"]}},
     "runner.nodes：节点重复：http://10.0.0.11:6800"),
    # the same node under two names: it would get twice the jobs it should
    ({"runner": {"kind": "scrapyd", "nodes": ["http://127.0.0.1:6800", "http://LocalHost:6800"]}},
     "runner.nodes：节点重复：http://LocalHost:6800（与 http://127.0.0.1:6800 是同一个节点）"),
    ({"runner": {"kind": "scrapyd", "nodes": ["http://node1", "http://node1:80"]}},
     "runner.nodes：节点重复：http://node1:80（与 http://node1 是同一个节点）"),
])
def test_each_mistake_names_the_key_and_what_is_expected(tmp_path, change, expected):
    message = problems(tmp_path, dict(GOOD, **change))
    assert "monitor.yaml" in message
    assert expected in message


def test_nodes_on_other_ports_or_hosts_are_different_nodes(tmp_path):
    nodes = ["http://127.0.0.1:6800", "http://127.0.0.1:6801", "https://127.0.0.1:6800", "http://10.0.0.11:6800",
             "https://gw.example.internal/node1", "https://gw.example.internal/node2"]  # behind one proxy
    config = load_config(write(tmp_path, dict(GOOD, database="postgresql+psycopg://govmon@127.0.0.1/govmon",
                                              runner={"kind": "scrapyd", "nodes": nodes})))
    assert config.runner.nodes == nodes


def test_missing_required_key(tmp_path):
    site = dict(GOOD["sites"][0])
    del site["url"]
    assert "sites[0].url：缺少必填项" in problems(tmp_path, dict(GOOD, sites=[site]))


def test_duplicate_ids(tmp_path):
    assert "sites：id 重复：portal" in problems(tmp_path, dict(GOOD, sites=GOOD["sites"] * 2))


def test_yaml_syntax_error_names_the_line(tmp_path):
    assert "YAML 语法错误（第 2 行第 1 列）" in problems(tmp_path, "timezone: Asia/Shanghai\n\tdepartments: []\n")


def test_missing_file_and_wrong_encoding(tmp_path):
    with pytest.raises(ConfigError, match="文件不存在"):
        load_config(tmp_path / "nope.yaml")
    path = tmp_path / "gbk.yaml"
    path.write_bytes("timezone: 北京".encode("gbk"))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(path)


def test_not_a_mapping(tmp_path):
    assert "键值映射" in problems(tmp_path, "- just\n- a list\n")


def run_govmon(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("command", ["scan", "findings", "report"])
def test_commands_exit_2_with_the_message_and_no_traceback(tmp_path, command):
    write(tmp_path, dict(GOOD, timezone="Mars/Olympus"))
    result = run_govmon(command, "--config", "monitor.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "配置文件 monitor.yaml 有误" in result.stderr and "timezone" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_writes_a_config_that_passes_and_never_overwrites(tmp_path):
    result = run_govmon("init", "office.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    load_config(tmp_path / "office.yaml")
    again = run_govmon("init", "office.yaml", cwd=tmp_path)
    assert again.returncode == 2 and "已存在" in again.stderr


def test_init_into_a_directory_and_demo_into_a_file_are_clear_errors(tmp_path):
    (tmp_path / "folder").mkdir()
    result = run_govmon("init", "folder", "--force", cwd=tmp_path)
    assert result.returncode == 2 and "是目录" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    result = run_govmon("demo", "--dir", "afile", cwd=tmp_path)
    assert result.returncode == 2 and "不是目录" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    result = run_govmon("demo", "--dir", "mine", cwd=tmp_path)
    assert result.returncode == 2 and (tmp_path / "mine" / "notes.txt").exists()


def test_findings_before_any_scan_says_so_and_unknown_site_is_an_error(tmp_path):
    write(tmp_path, GOOD)
    result = run_govmon("findings", "--config", "monitor.yaml", cwd=tmp_path)
    assert result.returncode == 0 and "尚未扫描" in result.stderr
    result = run_govmon("findings", "--config", "monitor.yaml", "--site", "nosuch", cwd=tmp_path)
    assert result.returncode == 2 and "没有 id 为 'nosuch' 的站点" in result.stderr


def test_ssl_alone_means_implicit_tls_and_both_at_once_is_an_error():
    base = {"departments": [{"id": "office", "name": "县政府办公室"}]}
    smtp = validate({**base, "smtp": {"host": "127.0.0.1", "port": 465, "ssl": True, "sender": "a@b.cn"}}).smtp
    assert smtp.ssl and not smtp.starttls
    with pytest.raises(ConfigError) as exc:
        validate({**base, "smtp": {"host": "127.0.0.1", "ssl": True, "starttls": True, "sender": "a@b.cn"}})
    assert "ssl 与 starttls 只能启用其一" in str(exc.value)
