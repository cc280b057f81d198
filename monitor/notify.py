"""Email delivery of the rectification lists (`govmon email`): an outbox in the store, SMTP.

Two steps, so that nothing is lost between them:

1. Queue. One message per department with something to fix and at least one address, and
   the office's daily summary (to `smtp.summary_to`). Each is recorded in the `outbox` table
   under a unique key — `department:<id>:<scan date>`, `summary:<scan date>` — *before*
   anything is sent, as the whole RFC 5322 message, so a retry sends the same bytes. A key
   that is already there is not built again: a department never gets the same scan's list
   twice. Unsent messages of an older scan are given up (their lists are out of date).
2. Send. Every message that is due — queued, or failed and past its back-off — oldest first,
   over one SMTP connection (reconnected once if it drops between messages). Each is marked
   sent with the server's reply, or failed with the reply or the network error and retried
   after `retry_minutes` × 2^(attempts − 1), and abandoned after `max_attempts`. A message
   the server refuses does not stop the others; when the server itself cannot be reached
   the rest of the run's messages are marked failed with that error, for the next run.

Each message is claimed before it is sent (its `next_attempt_at` moved past a lease), so two
processes sending at once never send the same row. The password is read from the
environment variable named by `smtp.password_env`, only when `smtp.username` is set, and
never written anywhere. `dry_run` builds the same messages and writes `.eml` files instead,
without touching the outbox or connecting to anything.
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from .config import Config, ConfigError, Smtp
from .finding import SEVERITIES, SEVERITY_RANK
from .store import OutboxMessage, Store, utcnow
from .worklist import SECTIONS, UNASSIGNED, DepartmentList, Row

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
#: rows shown in a department's email body (the whole list is attached)
TOP_ROWS = 10
#: From address of dry-run previews when no `smtp` is configured
PLACEHOLDER_SENDER = "govmon <govmon@example.invalid>"
#: abandoned messages of scans this many days before the current one are still reported
RECENT_DAYS = 7
#: last_error of messages given up because a newer scan's list replaces them
SUPERSEDED = "已过时"
SUMMARY = "summary"

STATUS_LABELS = {"queued": "待发送", "sent": "已发送", "failed": "发送失败", "abandoned": "已放弃"}


# ------------------------------------------------------------------------------- results

@dataclass
class Note:
    """A department that gets no email this time, and why (for people)."""

    department: str
    name: str
    reason: str


@dataclass
class Attempt:
    """One message as it stands after this run: tried now, or (abandoned) listed for people."""

    id: int
    key: str
    kind: str
    department: str | None
    name: str  # department name, or 每日汇总
    recipients: list[str]
    subject: str
    status: str  # sent | failed | abandoned
    attempts: int
    reply: str | None = None  # the server's reply (success or refusal)
    error: str | None = None  # why it failed (Chinese)
    next_attempt_at: datetime | None = None  # naive UTC

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass
class DeliveryResult:
    scan_date: date
    dry_run: bool = False
    queued: list[str] = field(default_factory=list)  # keys queued by this run
    notes: list[Note] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)  # messages tried by this run, in order
    abandoned: list[Attempt] = field(default_factory=list)  # given up recently (this run or before)
    files: list[Path] = field(default_factory=list)  # dry run: the .eml files written

    @property
    def sent(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status == "sent"]

    @property
    def failed(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status != "sent"]

    @property
    def ok(self) -> bool:
        return not self.failed


# ------------------------------------------------------------------------------- entry point

def deliver(config: Config, store: Store, report: Any, now: datetime | None = None, dry_run: bool = False,
            eml_dir: Path | None = None, resend: Iterable[str] = ()) -> DeliveryResult:
    """Queue this report's messages, then send every message that is due.

    `report` is a `monitor.report.ReportResult`. `now` (naive UTC, or aware) defaults to the
    current time. `resend`: department ids (or "summary") whose message for this scan is built
    and sent again even if it was sent. Raises ConfigError, before anything is sent, when
    `smtp` is missing, the password's environment variable is not set or `ca_file` is
    unreadable (the messages stay queued)."""
    now = _naive_utc(now)
    result = DeliveryResult(scan_date=report.scan_date, dry_run=dry_run)
    if dry_run:
        _write_eml(config, store, report, now, eml_dir or Path(report.directory) / "outbox", result)
        return result
    smtp = _require_smtp(config)
    _queue(config, store, report, now, set(resend), result)
    password = _password(config, smtp)
    context = _tls_context(config, smtp)
    result.attempts = send_due(config, store, now, password, context)
    result.abandoned = recent_abandoned(config, store, report.scan_date)
    return result


def retry_due(config: Config, store: Store, now: datetime | None = None) -> list[Attempt]:
    """Send the messages whose back-off has passed, queuing nothing new (the scheduler's
    probe job calls this through the day, so a failed night's mail goes out without
    waiting for the next night)."""
    smtp = _require_smtp(config)
    return send_due(config, store, now, _password(config, smtp), _tls_context(config, smtp))


def _naive_utc(moment: datetime | None) -> datetime:
    if moment is None:
        return utcnow()
    if moment.tzinfo is not None:
        return moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _require_smtp(config: Config) -> Smtp:
    if config.smtp is None:
        raise ConfigError(config.source, ["smtp：未配置邮件服务器，无法发送邮件；请在配置文件中填写 smtp"
                                          "（见 docs/configuration.md），或先用 govmon email --dry-run 预览邮件"])
    return config.smtp


def _password(config: Config, smtp: Smtp) -> str | None:
    if not smtp.username:
        return None
    if not (smtp.ssl or smtp.starttls):
        raise ConfigError(config.source, ["smtp.username：已配置登录，但 ssl 和 starttls 都未启用，密码会以明文传输；"
                                          "请启用 starttls: true（或 ssl: true），或去掉 username（不登录）"])
    password = os.environ.get(smtp.password_env)
    if not password:
        raise ConfigError(config.source, [
            f"smtp.password_env：环境变量 {smtp.password_env} 未设置或为空（smtp.username 为 {smtp.username}，"
            f"需要密码登录）；请在运行 govmon 的环境中设置 {smtp.password_env}。邮件已写入发件箱，"
            "设置后重新运行 govmon email 即可发送"])
    return password


def _tls_context(config: Config, smtp: Smtp) -> ssl.SSLContext | None:
    if not (smtp.ssl or smtp.starttls):
        return None
    if not smtp.ca_file:
        return ssl.create_default_context()
    path = config.resolve(smtp.ca_file)
    try:
        return ssl.create_default_context(cafile=str(path))
    except FileNotFoundError:
        raise ConfigError(config.source, [f"smtp.ca_file：找不到文件 {path}"]) from None
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(config.source, [f"smtp.ca_file：无法读取 {path} 中的 CA 证书（应为 PEM 格式）：{exc}"]) \
            from None


# ------------------------------------------------------------------------------- building

@dataclass
class Draft:
    """A message to queue: built only when its key is not in the outbox yet."""

    key: str
    kind: str
    department: str | None
    name: str
    recipients: list[str]
    build: Callable[[], EmailMessage]


def department_key(dept_id: str, scan_date: date) -> str:
    return f"department:{dept_id}:{scan_date.isoformat()}"


def summary_key(scan_date: date) -> str:
    return f"summary:{scan_date.isoformat()}"


def department_subject(dl: DepartmentList, scan_date: date) -> str:
    return _dated(f"【整改通知】{dl.name}：待整改 {len(dl.todo)} 个问题", dl.section_counts["overdue"], scan_date)


def summary_subject(report: Any) -> str:
    overdue = sum(dl.section_counts["overdue"] for dl in report.lists)
    return _dated(f"【每日汇总】政府网站与政务新媒体监测：待整改 {report.findings} 个问题", overdue, report.scan_date)


def _dated(text: str, overdue: int, scan_date: date) -> str:
    """"…（逾期 2 个）· 2026-11-20" or "… · 2026-11-20"."""
    if overdue:
        return f"{text}（逾期 {overdue} 个）· {scan_date.isoformat()}"
    return f"{text} · {scan_date.isoformat()}"


def top_rows(dl: DepartmentList, limit: int = TOP_ROWS) -> list[Row]:
    """The most serious rows still to fix: by severity, overdue first within a severity,
    then the nearest deadline."""
    return sorted(dl.todo, key=lambda r: (SEVERITY_RANK.get(r.finding.severity, 9), not r.overdue,
                                          r.deadline or date.max))[:limit]


def _file_name(text: str) -> str:
    """A name safe as an attachment's file name on any system."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", text).strip(" .") or "清单"


def _sender(config: Config) -> Address:
    raw = config.smtp.sender if config.smtp else PLACEHOLDER_SENDER
    name, addr = parseaddr(raw)
    try:
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError):
        raise ConfigError(config.source, [f"smtp.sender：无法识别的发件地址 {raw!r}"]) from None


def drafts(config: Config, store: Store, report: Any, now: datetime) -> tuple[list[Draft], list[Note]]:
    """The messages this report calls for, and the departments that get none (with why)."""
    from .report import environment

    env = environment(config.resolve("templates"))
    sender = _sender(config)
    local = now.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(config.timezone))
    deadlines = {sev: config.deadlines.days_for(sev) for sev in SEVERITIES}
    out: list[Draft] = []
    notes: list[Note] = []
    for dl in report.lists:
        files = report.departments.get(dl.id)
        if not dl.todo:
            notes.append(Note(dl.id, dl.name, "没有待整改的问题，不发送"))
            continue
        if not dl.emails:
            where = "未归属部门的问题列在每日汇总中" if dl.id == UNASSIGNED else \
                f"未配置邮箱（departments 中 id 为 {dl.id} 的 email），未发送"
            notes.append(Note(dl.id, dl.name, f"{where}；清单见 {files.html if files else report.directory}"))
            continue
        if files is None:  # pragma: no cover - build_report writes every list
            continue

        def build(dl: DepartmentList = dl, files: Any = files) -> EmailMessage:
            subject = department_subject(dl, report.scan_date)
            stem = _file_name(f"{dl.name}整改清单-{report.scan_date.isoformat()}")
            names = {"xlsx": f"{stem}.xlsx", "html": f"{stem}.html"}
            rows = top_rows(dl)
            context = {"subject": subject, "dept": dl, "scan_date": report.scan_date, "rows": rows,
                       "more": len(dl.todo) - len(rows), "counts": dl.section_counts,
                       "deadlines": deadlines, "incomplete": report.incomplete, "attachments": names,
                       "sender": sender}
            html = env.get_template("email_department.html").render(**context)
            return _message(sender, dl.emails, subject, html, department_text(context),
                            [(Path(files.xlsx).read_bytes(), *XLSX_TYPE, names["xlsx"]),
                             (Path(files.html).read_bytes(), "text", "html", names["html"])],
                            department_key(dl.id, report.scan_date), local,
                            config.smtp.reply_to if config.smtp else None)

        out.append(Draft(department_key(dl.id, report.scan_date), "department", dl.id, dl.name, list(dl.emails),
                         build))
    summary_to = list(config.smtp.summary_to) if config.smtp else []
    if summary_to:
        def build_summary() -> EmailMessage:
            subject = summary_subject(report)
            recent = recent_abandoned(config, store, report.scan_date)
            by_severity = {sev: sum(dl.counts[sev] for dl in report.lists) for sev in SEVERITIES}
            by_section = {s: sum(dl.section_counts[s] for dl in report.lists) for s in SECTIONS}
            index_name = _file_name(f"监测汇总-{report.scan_date.isoformat()}") + ".html"
            context = {"subject": subject, "report": report, "scan_date": report.scan_date,
                       "lists": report.lists, "by_severity": by_severity, "by_section": by_section,
                       "incomplete": report.incomplete, "abandoned": recent, "attachment": index_name,
                       "directory": report.directory, "sender": sender}
            html = env.get_template("email_summary.html").render(**context)
            return _message(sender, summary_to, subject, html, summary_text(context),
                            [(Path(report.index).read_bytes(), "text", "html", index_name)],
                            summary_key(report.scan_date), local,
                            config.smtp.reply_to if config.smtp else None)

        out.append(Draft(summary_key(report.scan_date), SUMMARY, None, "每日汇总", summary_to, build_summary))
    return out, notes


def _message(sender: Address, to: list[str], subject: str, html: str, text: str,
             attachments: list[tuple[bytes, str, str, str]], key: str, when: datetime,
             reply_to: str | None = None) -> EmailMessage:
    """UTF-8 text and HTML alternatives plus attachments; pure ASCII on the wire (base64
    bodies, RFC 2047 headers, RFC 2231 file names), so any server takes it."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(idstring="govmon", domain=sender.domain or "govmon.invalid")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    msg["X-Govmon-Key"] = key
    msg.set_content(text, cte="base64")
    msg.add_alternative(html, subtype="html", cte="base64")
    for data, maintype, subtype, filename in attachments:
        params = {"charset": "utf-8"} if maintype == "text" else {}
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename, params=params)
    for part in msg.walk():  # the email package repeats MIME-Version in parts; it belongs in the head only
        if part is not msg:
            del part["MIME-Version"]
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=policy.SMTP)


def _row_line(i: int, r: Row) -> str:
    f = r.finding
    due = f"逾期 {-r.days_left} 天" if r.overdue and r.days_left is not None else f"期限 {r.deadline}"
    fix = f" → {f.suggestion}" if f.suggestion else ""
    return (f"{i}. [{SEVERITIES.get(f.severity, f.severity)}] {f.text}{fix}（{due}）\n"
            f"   {f.page_title or ''} {f.url or ''}".rstrip())


def department_text(c: dict[str, Any]) -> str:
    """The plain-text alternative of a department's email."""
    dl, counts = c["dept"], c["counts"]
    lines = [f"{dl.name}：", "",
             f"根据 {c['scan_date']} 的监测扫描，贵单位共有 {len(dl.todo)} 个问题待整改"
             + (f"，其中 {counts['overdue']} 个已超过整改期限，请立即整改" if counts["overdue"] else "") + "。"]
    if dl.next_deadline:
        lines.append(f"最近的整改期限为 {dl.next_deadline}。")
    lines += ["", "　".join(f"{SECTIONS[s]} {counts[s]}" for s in ("overdue", "new", "open", "fixed")),
              "　".join(f"{label} {dl.counts[sev]}" for sev, label in SEVERITIES.items()), "",
              "需优先处理的问题："]
    lines += [_row_line(i, r) for i, r in enumerate(c["rows"], 1)]
    if c["more"]:
        lines.append(f"另有 {c['more']} 个问题见附件。")
    if c["incomplete"]:
        lines += ["", "注意：以下站点最近一次扫描未完成，其问题沿用此前扫描的结果："]
        lines += [f"- {name}（{'尚未扫描' if scan is None else scan.message or scan.status}）"
                  for name, scan in c["incomplete"]]
    lines += ["", f"完整清单见附件 {c['attachments']['xlsx']}（Excel，可填写整改情况后回传）和 "
              f"{c['attachments']['html']}（网页版，可打印）。",
              "整改期限自问题首次发现（或整改后再次出现）之日起计算："
              + "，".join(f"{SEVERITIES[s]} {d} 天" for s, d in c["deadlines"].items()) + "。",
              "已整改的问题在下次完整扫描后自动确认；如确认为误报，请回复本邮件说明（注明问题编号）。",
              "", "本邮件由 govmon 根据监测结果自动发送。"]
    return "\n".join(lines) + "\n"


def summary_text(c: dict[str, Any]) -> str:
    """The plain-text alternative of the daily summary."""
    report = c["report"]
    lines = [f"政府网站与政务新媒体监测每日汇总（扫描日期 {c['scan_date']}）", "",
             f"待整改问题 {report.findings} 个："
             + "，".join(f"{SEVERITIES[s]} {n}" for s, n in c["by_severity"].items())
             + f"；逾期 {c['by_section']['overdue']}，新发现 {c['by_section']['new']}，"
               f"最近确认已整改 {c['by_section']['fixed']}。", "", "各责任单位："]
    for dl in c["lists"]:
        sc = dl.section_counts
        to = "、".join(dl.emails) if dl.emails else "未配置邮箱"
        lines.append(f"- {dl.name}：待整改 {len(dl.todo)}，逾期 {sc['overdue']}，新发现 {sc['new']}，"
                     f"已整改 {sc['fixed']}（{to}）")
    if c["incomplete"]:
        lines += ["", "最近一次扫描未完成的站点："]
        lines += [f"- {name}（{'尚未扫描' if scan is None else scan.message or scan.status}）"
                  for name, scan in c["incomplete"]]
    if c["abandoned"]:
        lines += ["", "多次发送失败、已停止重试的邮件："]
        lines += [f"- {a.name}（{'、'.join(a.recipients)}）：{a.error or ''}" for a in c["abandoned"]]
    lines += ["", f"汇总页见附件 {c['attachment']}；各部门清单在 {c['directory']}。", "",
              "本邮件由 govmon 根据监测结果自动发送。"]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------- queue

def _queue(config: Config, store: Store, report: Any, now: datetime, resend: set[str],
           result: DeliveryResult) -> None:
    """Record this report's messages in the outbox (those not recorded yet)."""
    scan_date = report.scan_date
    known = {d.id for d in config.departments} | {UNASSIGNED, SUMMARY}
    unknown = sorted(resend - known)
    if unknown:
        raise ConfigError(config.source, [f"--resend：没有 id 为 {', '.join(unknown)} 的部门"
                                          f"（可用：{', '.join(d.id for d in config.departments)}，或 summary）"])
    with store.session() as s:
        # Only the newest scan's lists go out: older unsent ones are out of date.
        s.execute(update(OutboxMessage)
                  .where(OutboxMessage.status.in_(("queued", "failed")), OutboxMessage.scan_date < scan_date)
                  .values(status="abandoned", next_attempt_at=None,
                          last_error=f"{SUPERSEDED}：已有 {scan_date.isoformat()} 的扫描结果，不再发送此前的清单"))
        for ident in resend:
            key = summary_key(scan_date) if ident == SUMMARY else department_key(ident, scan_date)
            row = s.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
            if row is not None:  # keep it as history under another key; the new message takes the key
                row.key = f"{key}:replaced:{row.id}"
                if row.status in ("queued", "failed"):
                    row.status, row.next_attempt_at = "abandoned", None
                    row.last_error = f"{SUPERSEDED}：已用 --resend 重新生成"
    pending, notes = drafts(config, store, report, now)
    result.notes.extend(notes)
    for draft in pending:
        with store.session() as s:
            existing = s.scalar(select(OutboxMessage).where(OutboxMessage.key == draft.key))
            if existing is not None:
                if existing.status in ("queued", "failed"):
                    retry = ""
                    if existing.next_attempt_at is not None and existing.next_attempt_at > now:
                        at = existing.next_attempt_at.replace(tzinfo=timezone.utc).astimezone(
                            ZoneInfo(config.timezone)).strftime("%Y-%m-%d %H:%M")
                        retry = f"，将于 {at} 后重试"
                    why = f"{scan_date} 的邮件已在发件箱中，尚未发出（{STATUS_LABELS.get(existing.status)}{retry}）"
                else:
                    why = f"{scan_date} 的邮件已在发件箱中（{STATUS_LABELS.get(existing.status)}），不重复发送"
                result.notes.append(Note(draft.department or SUMMARY, draft.name, why))
                continue
        msg = draft.build()
        row = OutboxMessage(key=draft.key, kind=draft.kind, department=draft.department, scan_date=scan_date,
                            recipients=draft.recipients, subject=str(msg["Subject"]), message=message_bytes(msg),
                            status="queued", attempts=0, next_attempt_at=now, created_at=now)
        try:
            with store.session() as s:
                s.add(row)
        except IntegrityError:  # another process queued it in between
            continue
        result.queued.append(draft.key)


def _write_eml(config: Config, store: Store, report: Any, now: datetime, directory: Path,
               result: DeliveryResult) -> None:
    """Dry run: the same messages as .eml files; the outbox is only read (to say what a real
    run would skip)."""
    pending, notes = drafts(config, store, report, now)
    result.notes.extend(notes)
    directory.mkdir(parents=True, exist_ok=True)
    with store.session() as s:
        recorded = {k: st for k, st in s.execute(select(OutboxMessage.key, OutboxMessage.status)
                                                 .where(OutboxMessage.key.in_([d.key for d in pending])))}
    for draft in pending:
        path = directory / (draft.key.replace(":", "-") + ".eml")
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(message_bytes(draft.build()))
        tmp.replace(path)
        result.files.append(path)
        if draft.key in recorded:
            result.notes.append(Note(draft.department or SUMMARY, draft.name,
                                     f"已在发件箱中（{STATUS_LABELS.get(recorded[draft.key])}），正式运行时不会重复发送"))


# ------------------------------------------------------------------------------- sending

class _MessageRefused(Exception):
    """The server refused this message (the connection is still usable)."""

    def __init__(self, text: str, reply: str | None) -> None:
        super().__init__(text)
        self.reply = reply


class _ServerUnusable(Exception):
    """The server cannot be reached, or the connection is gone: the rest of this run fails too."""

    def __init__(self, text: str, reply: str | None = None) -> None:
        super().__init__(text)
        self.reply = reply


def _reply_text(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {' '.join(text.split())}".strip()


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _network_error(exc: BaseException) -> bool:
    """The connection broke (as opposed to the server answering with an error)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


class _Connection:
    """One SMTP connection for the run, opened when first needed."""

    def __init__(self, smtp: Smtp, password: str | None, context: ssl.SSLContext | None) -> None:
        self.cfg = smtp
        self.password = password
        self.context = context
        self.smtp: smtplib.SMTP | None = None
        self.broken: _ServerUnusable | None = None  # set once the server is unusable for this run

    @property
    def where(self) -> str:
        return f"SMTP 服务器 {self.cfg.host}:{self.cfg.port}"

    def describe(self, exc: BaseException) -> tuple[str, str | None]:
        """(Chinese explanation, the server's reply if there was one). Never the password."""
        text, reply = self._describe(exc)
        if self.password:
            text = text.replace(self.password, "***")
            reply = reply.replace(self.password, "***") if reply else reply
        return text, reply

    def _describe(self, exc: BaseException) -> tuple[str, str | None]:
        timeout = f"{self.cfg.timeout:g}"
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            parts = [f"{addr}（{_reply_text(code, resp)}）" for addr, (code, resp) in exc.recipients.items()]
            reply = "；".join(_reply_text(code, resp) for code, resp in exc.recipients.values())
            return f"收件人被拒绝：{'；'.join(parts)}", reply
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            reply = _reply_text(exc.smtp_code, exc.smtp_error)
            return (f"{self.where} 拒绝登录（用户名 {self.cfg.username}）：{reply}；请检查 smtp.username "
                    f"和环境变量 {self.cfg.password_env} 中的密码"), reply
        if isinstance(exc, smtplib.SMTPSenderRefused):
            reply = _reply_text(exc.smtp_code, exc.smtp_error)
            hint = "；服务器要求先加密，请启用 smtp.starttls" if exc.smtp_code == 530 and not (
                self.cfg.starttls or self.cfg.ssl) else ""
            return f"发件人 {exc.sender} 被拒绝：{reply}{hint}", reply
        if isinstance(exc, smtplib.SMTPDataError):
            reply = _reply_text(exc.smtp_code, exc.smtp_error)
            return f"邮件被服务器拒收：{reply}", reply
        if isinstance(exc, smtplib.SMTPConnectError):
            reply = _reply_text(exc.smtp_code, exc.smtp_error)
            return f"{self.where} 拒绝服务：{reply}", reply
        if isinstance(exc, smtplib.SMTPResponseException):
            reply = _reply_text(exc.smtp_code, exc.smtp_error)
            return f"{self.where} 应答错误：{reply}", reply
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            if "STARTTLS" in str(exc):
                return f"{self.where} 不支持 STARTTLS；请改用 ssl: true，或确认服务器设置", None
            if "AUTH" in str(exc):
                return f"{self.where} 不提供登录（AUTH）；如不需要登录请去掉 smtp.username", None
            return f"{self.where} 不支持所需的功能：{exc}", None
        if isinstance(exc, ssl.SSLCertVerificationError):
            return (f"{self.where} 的证书校验失败：{exc.verify_message or exc.reason}；如服务器使用内部 CA 签发的证书，"
                    "请在 smtp.ca_file 中配置该 CA 证书"), None
        if isinstance(exc, ssl.SSLError):
            return f"与 {self.where} 建立 TLS 加密连接失败：{exc.reason or exc}（请检查 ssl/starttls 与端口是否匹配）", None
        if any(isinstance(e, (TimeoutError, socket.timeout)) for e in _chain(exc)):
            return f"{self.where} 在 {timeout} 秒内没有应答（超时）", None
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return f"{self.where} 断开了连接", None
        if isinstance(exc, ConnectionRefusedError):
            return f"{self.where} 拒绝连接（端口上没有邮件服务）", None
        if isinstance(exc, socket.gaierror):
            return f"无法解析邮件服务器地址 {self.cfg.host}", None
        if isinstance(exc, smtplib.SMTPException):
            return f"{self.where}：{exc}", None
        if isinstance(exc, OSError):
            return f"连接 {self.where} 出错：{exc.strerror or exc}", None
        return f"发送出错：{exc}", None

    def _open(self) -> smtplib.SMTP:
        cfg = self.cfg
        local = socket.gethostname() or "localhost"  # not getfqdn(): no DNS lookups
        try:
            if cfg.ssl:
                conn: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, local_hostname=local,
                                                      timeout=cfg.timeout, context=self.context)
            else:
                conn = smtplib.SMTP(cfg.host, cfg.port, local_hostname=local, timeout=cfg.timeout)
            try:
                conn.ehlo()
                if cfg.starttls:
                    conn.starttls(context=self.context)
                    conn.ehlo()
                if cfg.username:
                    conn.login(cfg.username, self.password or "")
            except BaseException:
                conn.close()
                raise
        except (smtplib.SMTPException, OSError, UnicodeError, ValueError) as exc:
            raise _ServerUnusable(*self.describe(exc)) from None
        return conn

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def _drop(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def send(self, sender: str, recipients: list[str], payload: bytes) -> tuple[str, str | None]:
        """Send one message: (the server's reply, a note on refused recipients or None)."""
        if self.broken is not None:
            raise self.broken
        for _ in range(2):
            fresh = self.smtp is None
            if fresh:
                try:
                    self.smtp = self._open()
                except _ServerUnusable as exc:
                    self.broken = exc
                    raise
            try:
                return self._transmit(sender, recipients, payload)
            except (_MessageRefused, _ServerUnusable):
                raise
            except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors too
                self._drop()
                if not _network_error(exc):
                    # something about this message (an address the server cannot take, …):
                    # the next message starts on a fresh connection
                    raise _MessageRefused(*self.describe(exc)) from None
                if fresh:  # a new connection that fails at once: the server is the problem
                    self.broken = _ServerUnusable(*self.describe(exc))
                    raise self.broken from None
                # an older connection dropped (idle timeout, server restart): reconnect once
        raise AssertionError("unreachable")  # pragma: no cover

    def _transmit(self, sender: str, recipients: list[str], payload: bytes) -> tuple[str, str | None]:
        """smtplib's sendmail, keeping the server's replies (sendmail drops the DATA reply)."""
        conn = self.smtp
        assert conn is not None
        conn.ehlo_or_helo_if_needed()
        options = [f"size={len(payload)}"] if conn.does_esmtp and conn.has_extn("size") else []

        def refused(exc: smtplib.SMTPException, code: int) -> None:
            if code == 421:  # the server is closing the channel
                self._drop()
                self.broken = _ServerUnusable(*self.describe(exc))
                raise self.broken from None
            try:
                conn.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()
            raise _MessageRefused(*self.describe(exc)) from None

        code, resp = conn.mail(sender, options)
        if code != 250:
            refused(smtplib.SMTPSenderRefused(code, resp, sender), code)
        rejected: dict[str, tuple[int, bytes]] = {}
        for rcpt in recipients:
            code, resp = conn.rcpt(rcpt)
            if code not in (250, 251):
                rejected[rcpt] = (code, resp)
                if code == 421:
                    refused(smtplib.SMTPRecipientsRefused(rejected), code)
        if len(rejected) == len(recipients):
            refused(smtplib.SMTPRecipientsRefused(rejected), 0)
        code, resp = conn.data(payload)
        if code != 250:
            refused(smtplib.SMTPDataError(code, resp), code)
        note = None
        if rejected:
            note = self.describe(smtplib.SMTPRecipientsRefused(rejected))[0].replace("收件人被拒绝", "部分收件人被拒绝")
        return _reply_text(code, resp), note


def due_ids(store: Store, now: datetime) -> list[int]:
    with store.session() as s:
        return list(s.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status.in_(("queued", "failed")),
                   or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)))


def _claim(store: Store, message_id: int, now: datetime, lease: timedelta) -> OutboxMessage | None:
    """Take the message for this process: moves next_attempt_at past a lease, so a concurrent
    run skips it, and a run that dies mid-send leaves it to be retried after the lease."""
    with store.session() as s:
        claimed = s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status.in_(("queued", "failed")),
                   or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
            .values(next_attempt_at=now + lease)).rowcount
        return s.get(OutboxMessage, message_id) if claimed == 1 else None


def _name(config: Config, row: OutboxMessage) -> str:
    if row.kind == SUMMARY:
        return "每日汇总"
    dept = config.department(row.department or "")
    return dept.name if dept else ("未归属部门" if row.department == UNASSIGNED else row.department or "")


def _attempt(config: Config, row: OutboxMessage) -> Attempt:
    return Attempt(id=row.id, key=row.key, kind=row.kind, department=row.department, name=_name(config, row),
                   recipients=list(row.recipients or []), subject=row.subject, status=row.status,
                   attempts=row.attempts, reply=row.smtp_reply, error=row.last_error,
                   next_attempt_at=row.next_attempt_at)


def send_due(config: Config, store: Store, now: datetime | None = None, password: str | None = None,
             context: ssl.SSLContext | None = None) -> list[Attempt]:
    """Send every due message, oldest first, over one connection; record each outcome."""
    smtp = _require_smtp(config)
    now = _naive_utc(now)
    ids = due_ids(store, now)
    if not ids:
        return []
    sender = _sender(config).addr_spec
    lease = timedelta(seconds=max(600.0, smtp.timeout * 10))
    started = time.monotonic()

    def clock() -> datetime:
        """`now` moved on by the whole minutes this run has taken: a claim's lease and a
        failure's back-off run from when they happen, not from when a long run began."""
        return now + timedelta(minutes=int((time.monotonic() - started) // 60))

    connection = _Connection(smtp, password, context)
    attempts = []
    try:
        for message_id in ids:
            row = _claim(store, message_id, clock(), lease)
            if row is None:
                continue  # sent or claimed by another run meanwhile
            skipped = connection.broken is not None  # the server already failed this run
            try:
                reply, note = connection.send(sender, list(row.recipients or []), row.message)
            except (_MessageRefused, _ServerUnusable) as exc:
                attempts.append(_record_failure(config, store, row.id, clock(), str(exc), exc.reply, skipped))
            else:
                attempts.append(_record_sent(config, store, row.id, clock(), reply, note))
    finally:
        connection.close()
    return attempts


def _record_sent(config: Config, store: Store, message_id: int, now: datetime, reply: str,
                 note: str | None) -> Attempt:
    with store.session() as s:
        row = s.get(OutboxMessage, message_id)
        row.status, row.sent_at, row.smtp_reply = "sent", now, reply
        row.attempts = (row.attempts or 0) + 1
        row.next_attempt_at, row.last_error = None, note
        s.flush()
        return _attempt(config, row)


def backoff(smtp: Smtp, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: retry_minutes, then doubling."""
    return timedelta(minutes=smtp.retry_minutes * 2 ** max(attempts - 1, 0))


def _record_failure(config: Config, store: Store, message_id: int, now: datetime, error: str,
                    reply: str | None, skipped: bool = False) -> Attempt:
    smtp = config.smtp
    assert smtp is not None
    with store.session() as s:
        row = s.get(OutboxMessage, message_id)
        row.attempts = (row.attempts or 0) + 1
        row.last_error = f"未发送（本次运行中服务器已不可用）：{error}" if skipped else error
        row.smtp_reply = reply
        if row.attempts >= smtp.max_attempts:
            row.status, row.next_attempt_at = "abandoned", None
        else:
            row.status, row.next_attempt_at = "failed", now + backoff(smtp, row.attempts)
        s.flush()
        return _attempt(config, row)


def recent_abandoned(config: Config, store: Store, scan_date: date) -> list[Attempt]:
    """Messages given up after max_attempts (not those replaced by a newer list) for scans of
    the last RECENT_DAYS days: for people to look into."""
    since = scan_date - timedelta(days=RECENT_DAYS)
    with store.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.status == "abandoned",
                                                     OutboxMessage.scan_date >= since)
                         .order_by(OutboxMessage.id))
        out = []
        for row in rows:
            if (row.last_error or "").startswith(SUPERSEDED):
                continue
            out.append(_attempt(config, row))
        return out
