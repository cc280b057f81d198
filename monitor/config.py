"""monitor.yaml: schema, loading and clear errors that name the file and the key.

Every per-site and per-office default lives here, once; docs/configuration.md documents
each key (a test checks that every key is documented).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ColumnKind = Literal["news", "notice", "policy", "personnel", "plan", "other"]
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ConfigError(Exception):
    """A configuration problem, worded for the person who edits the file."""

    def __init__(self, path: Path | str | None, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        where = f"配置文件 {path} " if path else "配置"
        lines = [f"{where}有误："] + [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError("应为由字母、数字、-、_、. 组成的标识（不含空格和中文），例如 portal")
    return value


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"应为以 http:// 或 https:// 开头的完整网址，实际为 {value!r}")
    return value


def _node_key(url: str) -> tuple[str, str, int, str]:
    """What tells two node addresses apart: scheme, host (case-blind; localhost is 127.0.0.1),
    port (the scheme's default when none is given) and path (nodes behind one reverse proxy).
    Names are not looked up."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in ("localhost", "::1"):
        host = "127.0.0.1"
    return parts.scheme, host, parts.port or (443 if parts.scheme == "https" else 80), parts.path.rstrip("/")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Department(_Model):
    id: str
    name: str
    email: list[str] = Field(default_factory=list)

    _id = field_validator("id")(_check_id)

    @field_validator("email", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("email")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", address):
                raise ValueError(f"应为电子邮件地址，实际为 {address!r}")
        return value


class WhitelistEntry(_Model):
    """A phrase declared correct: a hit inside it is not a finding."""

    text: str = Field(min_length=1)
    rule: str | None = None
    reason: str | None = None


def _whitelist_items(value: Any) -> Any:
    if isinstance(value, list):
        return [{"text": v} if isinstance(v, str) else v for v in value]
    return value


class Column(_Model):
    name: str
    url: str
    kind: ColumnKind | None = None
    department: str | None = None
    max_days: int | None = Field(None, ge=1)  # this column's own update limit, over its kind's

    _url = field_validator("url")(_check_http_url)


#: days a column of each kind may go without a new entry (RULES.md §2)
DEFAULT_KIND_DAYS: dict[str, int] = {"news": 14, "notice": 180, "policy": 180, "personnel": 365, "plan": 365,
                                     "other": 365}
#: column name keywords → kind, tried in this order (first kind with a matching keyword wins)
DEFAULT_COLUMN_KINDS: dict[str, list[str]] = {
    "policy": ["政策", "文件", "规范性", "解读"],
    "notice": ["通知", "公告", "公示", "通告"],
    "news": ["动态", "要闻", "新闻", "资讯", "快讯", "信息速递"],
    "personnel": ["人事", "任免", "招聘", "招录", "录用"],
    "plan": ["规划", "计划", "总结"],
}


class Thresholds(_Model):
    """The national checklist's limits (RULES.md §1–2); offices often use stricter ones."""

    news: int = Field(DEFAULT_KIND_DAYS["news"], ge=1)
    notice: int = Field(DEFAULT_KIND_DAYS["notice"], ge=1)
    policy: int = Field(DEFAULT_KIND_DAYS["policy"], ge=1)
    personnel: int = Field(DEFAULT_KIND_DAYS["personnel"], ge=1)
    plan: int = Field(DEFAULT_KIND_DAYS["plan"], ge=1)
    other: int = Field(DEFAULT_KIND_DAYS["other"], ge=1)
    home_days: int = Field(14, ge=1)  # the home page must show an item this recent
    home_min_items: int = Field(10, ge=0)  # fewer home-page items in home_days costs points
    stale_veto_columns: int = Field(5, ge=1)  # stale news + notice/policy columns together → veto
    stale_veto_any: int = Field(10, ge=1)  # stale columns of any kind → veto
    blank_veto: int = Field(5, ge=1)  # blank columns → veto
    availability_days: int = Field(7, ge=1)  # probes looked at
    availability_veto_percent: float = Field(5.0, gt=0, le=100)  # failed probes → veto
    availability_min_probes: int = Field(20, ge=1)  # fewer probes: the share is shown, no veto
    account_dormant_days: int = Field(14, ge=1)  # no non-pinned post this long → veto (睡眠)
    account_zombie_days: int = Field(90, ge=1)  # silent this long → consider closing it (僵尸)
    account_unreachable_scans: int = Field(3, ge=1)  # feed failed on this many scans in a row → finding

    def days_for(self, kind: str) -> int:
        return int(getattr(self, kind))


class SiteThresholds(_Model):
    """Per-site overrides of `thresholds` (any subset of its keys)."""

    news: int | None = Field(None, ge=1)
    notice: int | None = Field(None, ge=1)
    policy: int | None = Field(None, ge=1)
    personnel: int | None = Field(None, ge=1)
    plan: int | None = Field(None, ge=1)
    other: int | None = Field(None, ge=1)
    home_days: int | None = Field(None, ge=1)
    home_min_items: int | None = Field(None, ge=0)
    stale_veto_columns: int | None = Field(None, ge=1)
    stale_veto_any: int | None = Field(None, ge=1)
    blank_veto: int | None = Field(None, ge=1)
    availability_days: int | None = Field(None, ge=1)
    availability_veto_percent: float | None = Field(None, gt=0, le=100)
    availability_min_probes: int | None = Field(None, ge=1)
    account_dormant_days: int | None = Field(None, ge=1)
    account_zombie_days: int | None = Field(None, ge=1)
    account_unreachable_scans: int | None = Field(None, ge=1)


class Links(_Model):
    """How links are checked."""

    check: bool = True  # check every distinct link target once per scan
    external: bool = True  # also links that leave the site
    skip_hosts: list[str] = Field(default_factory=list)  # hosts never requested (e.g. an intranet)
    allow_hosts: list[str] = Field(default_factory=list)  # if set, only these hosts are requested
    timeout: float = Field(15.0, gt=0)  # seconds per request
    retries: int = Field(2, ge=0)  # extra tries after a timeout or a 5xx answer
    per_host: int = Field(4, ge=1)  # requests at a time to one host


class Attachments(_Model):
    """Which attachments are downloaded and read."""

    read: bool = True
    max_mb: float = Field(20.0, gt=0)  # larger files are not downloaded (size cap)


class Site(_Model):
    id: str
    name: str
    url: str
    department: str
    code: str | None = None  # 网站标识码, shown in the lists
    max_pages: int = Field(5000, ge=1)
    max_depth: int = Field(8, ge=0)
    time_budget_minutes: float | None = Field(None, gt=0)  # the crawl stops (scan partial) after this long
    paths: dict[str, str] = Field(default_factory=dict)
    columns: list[Column] = Field(default_factory=list)
    whitelist: list[WhitelistEntry] = Field(default_factory=list)
    thresholds: SiteThresholds = Field(default_factory=SiteThresholds)

    _id = field_validator("id")(_check_id)
    _url = field_validator("url")(_check_http_url)
    _whitelist = field_validator("whitelist", mode="before")(_whitelist_items)

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: dict[str, str]) -> dict[str, str]:
        for prefix in value:
            if not prefix.startswith("/"):
                raise ValueError(f"路径前缀应以 / 开头，实际为 {prefix!r}")
        return value


class Account(_Model):
    id: str
    platform: Literal["wechat", "weibo", "douyin", "toutiao", "kuaishou", "bilibili", "other"]
    name: str = Field(min_length=1, max_length=80)
    feed: str | None = None  # RSS/Atom/JSON Feed (RSSHub …) or the Weibo mobile API URL
    department: str
    profile: str | None = None  # the account's own page (weibo.com/u/…), to recognise links to it
    dormant_days: int | None = Field(None, ge=1)  # this account's own limits, over `thresholds`
    zombie_days: int | None = Field(None, ge=1)
    min_posts_per_week: float | None = Field(None, gt=0)  # optional local rules
    max_gap_days: int | None = Field(None, ge=1)

    @field_validator("feed", "profile")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return None if value is None else _check_http_url(value)

    _id = field_validator("id")(_check_id)


class Schedule(_Model):
    """`govmon schedule`: the nightly job (scan → reports → email) and the availability probe."""

    scan: str = "0 2 * * *"  # crontab, in `timezone`
    probe_minutes: int = Field(60, ge=0)  # `govmon probe` every N minutes; 0 = no probe job
    misfire_grace_hours: float = Field(6, gt=0)  # a run missed (process down) still happens this late
    crawl_timeout_hours: float = Field(6, gt=0)  # one site's crawl subprocess is stopped after this
    email: bool = True  # send the lists after the nightly scan (when smtp is configured)

    @field_validator("scan")
    @classmethod
    def _cron(cls, value: str) -> str:
        from .crontab import crontab_trigger

        try:
            crontab_trigger(value)
        except ValueError as exc:
            raise ValueError(f"应为 crontab 表达式（分 时 日 月 周），例如 \"0 2 * * *\"：{exc}") from None
        return value


class Smtp(_Model):
    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True  # off when only `ssl: true` is given
    reply_to: str | None = None  # where departments' replies go (e.g. the office's mailbox)
    ssl: bool = False
    username: str | None = None  # no username: no login
    password_env: str = "GOVMON_SMTP_PASSWORD"  # the password is read from this environment variable
    sender: str
    summary_to: list[str] = Field(default_factory=list)  # the office's daily summary
    timeout: float = Field(30, gt=0)  # seconds for each SMTP exchange
    ca_file: str | None = None  # CA bundle for the server's certificate (an internal CA); relative to the config
    retry_minutes: float = Field(10, gt=0)  # back-off after a failure: 10, 20, 40 … minutes
    max_attempts: int = Field(8, ge=1)  # then the message is given up (abandoned) and reported

    @field_validator("summary_to", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not re.search(r"[^@\s<]+@[^@\s>]+\.[^@\s>]+", value):
            raise ValueError(f"应为电子邮件地址（可带名称，如 政务公开办 <govmon@example.gov.cn>），实际为 {value!r}")
        return value

    @field_validator("summary_to")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", address):
                raise ValueError(f"应为电子邮件地址，实际为 {address!r}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _ssl_alone(cls, data: Any) -> Any:
        # `ssl: true` by itself means implicit TLS: STARTTLS (on by default) steps aside
        if isinstance(data, dict) and data.get("ssl") is True and "starttls" not in data:
            data = {**data, "starttls": False}
        return data

    @model_validator(mode="after")
    def _tls(self) -> "Smtp":
        if self.ssl and self.starttls:
            raise ValueError("ssl 与 starttls 只能启用其一（ssl: true 用于 465 端口的加密连接，starttls: true 用于 587 端口）")
        return self


class Incremental(_Model):
    """Nightly rescans skip work on unchanged pages (docs/performance.md, "Incremental scans")."""

    enabled: bool = True
    revisit_days: int = Field(7, ge=1)  # an unchanged article is fetched again at least this often


class Runner(_Model):
    """Where the crawls run: on this machine, one site after another (`local`), or as jobs on
    Scrapyd nodes sharing one PostgreSQL database (`scrapyd`; docs/operations.md)."""

    kind: Literal["local", "scrapyd"] = "local"
    nodes: list[str] = Field(default_factory=list)  # scrapyd: each node's API, e.g. http://10.0.0.11:6800
    project: str = "govmon"  # the project name in each node's scrapyd.conf [settings] section
    jobs_per_node: int = Field(2, ge=1)  # crawls at a time on one node (≤ the node's max_proc)
    node_config: str | None = None  # this file's path on the nodes (default: the same path as here)
    username: str | None = None  # Scrapyd's HTTP basic auth (scrapyd.conf username/password)
    password_env: str = "GOVMON_SCRAPYD_PASSWORD"  # the password is read from this environment variable
    poll_seconds: float = Field(5.0, gt=0)  # how often the nodes are asked about their jobs
    node_timeout_minutes: float = Field(10.0, gt=0)  # a node silent this long: its crawls are given up

    @field_validator("nodes")
    @classmethod
    def _nodes(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        seen: dict[tuple[str, str, int, str], str] = {}
        for node in value:
            _check_http_url(node)
            node = node.rstrip("/")
            key = _node_key(node)
            if key in seen:
                same = "" if seen[key] == node else f"（与 {seen[key]} 是同一个节点）"
                raise ValueError(f"节点重复：{node}{same}")
            seen[key] = node
            out.append(node)
        return out

    @model_validator(mode="after")
    def _has_nodes(self) -> "Runner":
        if self.kind == "scrapyd" and not self.nodes:
            raise ValueError("kind 为 scrapyd 时须列出至少一个节点（nodes），例如 - http://10.0.0.11:6800")
        return self


class Deadlines(_Model):
    """Days a department has to fix a finding, by severity, from when it was (re)opened."""

    veto: int = Field(3, ge=1)
    major: int = Field(10, ge=1)
    minor: int = Field(30, ge=1)
    info: int = Field(30, ge=1)

    def days_for(self, severity: str) -> int:
        return int(getattr(self, severity, self.info))


class Config(_Model):
    timezone: str = "Asia/Shanghai"
    database: str = "sqlite:///govmon.db"
    reports_dir: str = "reports"
    log_dir: str = "logs"
    lexicons: list[str] = Field(default_factory=list)
    whitelist: list[WhitelistEntry] = Field(default_factory=list)
    departments: list[Department] = Field(min_length=1)
    sites: list[Site] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
    schedule: Schedule = Field(default_factory=Schedule)
    smtp: Smtp | None = None
    deadlines: Deadlines = Field(default_factory=Deadlines)
    incremental: Incremental = Field(default_factory=Incremental)
    runner: Runner = Field(default_factory=Runner)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    column_kinds: dict[ColumnKind, list[str]] = Field(default_factory=lambda: {k: list(v) for k, v in
                                                                               DEFAULT_COLUMN_KINDS.items()})
    links: Links = Field(default_factory=Links)
    attachments: Attachments = Field(default_factory=Attachments)

    # where the file was read from; relative paths are relative to its folder
    base_dir: Path = Field(default=Path("."), exclude=True)
    source: Path | None = Field(default=None, exclude=True)

    _whitelist = field_validator("whitelist", mode="before")(_whitelist_items)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知的时区 {value!r}，例如 Asia/Shanghai") from None
        return value

    @field_validator("database")
    @classmethod
    def _db(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError:
            raise ValueError(f"应为 SQLAlchemy 数据库地址，例如 sqlite:///govmon.db，实际为 {value!r}") from None
        return value

    @model_validator(mode="after")
    def _references(self) -> "Config":
        problems = []
        dept_ids = [d.id for d in self.departments]
        for kind, ids in (("departments", dept_ids), ("sites", [s.id for s in self.sites]),
                          ("accounts", [a.id for a in self.accounts])):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                problems.append(f"{kind}：id 重复：{', '.join(dupes)}")
        known = set(dept_ids)
        if "accounts" in [s.id for s in self.sites]:
            problems.append("sites：id 'accounts' 已保留给政务新媒体账号检查，请换一个站点 id")

        def ref(where: str, dept: str | None) -> None:
            if dept is not None and dept not in known:
                problems.append(f"{where}：未定义的部门 {dept!r}（应为 departments 中的 id：{', '.join(dept_ids)}）")

        for i, site in enumerate(self.sites):
            ref(f"sites[{i}].department", site.department)
            for prefix, dept in site.paths.items():
                ref(f"sites[{i}].paths.{prefix}", dept)
            for j, column in enumerate(site.columns):
                ref(f"sites[{i}].columns[{j}].department", column.department)
        for i, account in enumerate(self.accounts):
            ref(f"accounts[{i}].department", account.department)
        if self.runner.kind == "scrapyd" and not self.database.startswith("postgresql"):
            problems.append("runner.kind：scrapyd 的各节点须共用一个 PostgreSQL 数据库，"
                            "database 应为 postgresql://…（SQLite 文件不能在多台机器间共享）")
        if problems:
            raise ValueError("；".join(problems))
        return self

    # ---- helpers used by the rest of the system
    def resolve(self, relative: str) -> Path:
        path = Path(relative).expanduser()
        return path if path.is_absolute() else (self.base_dir / path)

    @property
    def database_url(self) -> str:
        """The database URL with a relative SQLite path made relative to the config file."""
        from sqlalchemy.engine import make_url

        url = make_url(self.database)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
                and not Path(url.database).is_absolute():
            url = url.set(database=str(self.resolve(url.database)))
        return url.render_as_string(hide_password=False)

    @property
    def reports_path(self) -> Path:
        return self.resolve(self.reports_dir)

    @property
    def log_path(self) -> Path:
        return self.resolve(self.log_dir)

    @property
    def lexicon_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.lexicons]

    def site(self, site_id: str) -> Site:
        for site in self.sites:
            if site.id == site_id:
                return site
        known = ", ".join(s.id for s in self.sites) or "（无）"
        raise ConfigError(self.source, [f"sites：没有 id 为 {site_id!r} 的站点（已配置：{known}）"])

    @property
    def scan_targets(self) -> list[str]:
        """What scans are about: every site id, and "accounts" when accounts are registered."""
        return [s.id for s in self.sites] + (["accounts"] if self.accounts else [])

    def thresholds_for(self, site: Site) -> Thresholds:
        """The global thresholds with the site's own overrides applied."""
        overrides = site.thresholds.model_dump(exclude_none=True)
        return self.thresholds.model_copy(update=overrides)

    def department(self, dept_id: str) -> Department | None:
        return next((d for d in self.departments if d.id == dept_id), None)


# --------------------------------------------------------------------------- errors

_TYPE_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知的配置项（请检查拼写）",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表（YAML 中以 - 开头的各项）",
    "dict_type": "应为键值映射",
    "model_type": "应为键值映射",
    "too_short": "至少需要一项",
}


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "（顶层）"


def _explain(error: dict[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
    elif kind == "literal_error":
        message = f"应为以下之一：{ctx.get('expected', '')}"
    elif kind in ("greater_than_equal", "greater_than"):
        message = f"应不小于 {ctx.get('ge', ctx.get('gt'))}"
    elif kind in ("less_than_equal", "less_than"):
        message = f"应不大于 {ctx.get('le', ctx.get('lt'))}"
    else:
        message = _TYPE_MESSAGES.get(kind, error["msg"])
    if kind not in ("missing", "value_error") and "input" in error and not isinstance(error["input"], (dict, list)):
        message += f"，实际为 {error['input']!r}"
    return message


def validate(data: Any, path: Path | str | None = None) -> Config:
    if not isinstance(data, dict):
        raise ConfigError(path, ["文件内容应为 YAML 键值映射（例如 timezone: Asia/Shanghai），可用 govmon init 生成示例"])
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if p not in ("function-after", "function-before"))
            if not loc and error["type"] == "value_error":  # cross-key checks name their keys
                problems.extend(_explain(error).split("；"))
            else:
                problems.append(f"{_loc(loc)}：{_explain(error)}")
        raise ConfigError(path, problems) from None
    if path is not None:
        config.source = Path(path)
        config.base_dir = Path(path).resolve().parent
    return config


def load_config(path: Path | str) -> Config:
    """Read and validate monitor.yaml. Raises ConfigError with a message for people."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, ["文件不存在；可用 govmon init 生成示例配置"]) from None
    except UnicodeDecodeError:
        raise ConfigError(path, ["文件应以 UTF-8 编码保存"]) from None
    except OSError as exc:
        raise ConfigError(path, [f"无法读取：{exc.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "某处"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, [f"YAML 语法错误（{where}）：{problem}"]) from None
    return validate(data, path)


def example_config() -> str:
    """The commented example written by `govmon init`."""
    return resources.files("monitor").joinpath("monitor.example.yaml").read_text(encoding="utf-8")
