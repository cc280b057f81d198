"""The docs keep up with the code: every command, config key and MONITOR_* setting is documented,
and CI runs exactly the README's test command."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from monitor import settings
from monitor.cli import main
from monitor.config import Config

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def config_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        keys.append(name)
        for arg in [field.annotation, *typing.get_args(field.annotation)]:
            for inner in [arg, *typing.get_args(arg)]:
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    keys.extend(config_keys(inner))
    return keys


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_documented_with_an_example(command):
    assert f"## govmon {command}" in (DOCS / "commands.md").read_text(encoding="utf-8")
    assert "Example:" in (main.commands[command].help or "")


@pytest.mark.parametrize("key", sorted(set(config_keys(Config))))
def test_every_config_key_is_documented(key):
    assert f"`{key}`" in (DOCS / "configuration.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [n for n in dir(settings) if n.startswith("MONITOR_")])
def test_every_monitor_setting_is_documented(name):
    assert f"`{name}`" in (DOCS / "configuration.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_demo_and_test_commands_and_ci_runs_the_latter():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\n(.*?)\n```", readme, flags=re.S)
    demo, tests = blocks[0].strip(), blocks[1].strip()
    assert "govmon demo" in demo and "pip install ." in demo
    assert "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_scrapy_security_defaults():
    assert settings.TELNETCONSOLE_ENABLED is False
    assert settings.REMOTE_CONTROL_ENABLED is False
    assert "monitor.logformatter.QuietLogFormatter" == settings.LOG_FORMATTER
