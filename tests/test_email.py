"""govmon email: a real SMTP server (aiosmtpd on 127.0.0.1) receives the messages; we parse
what it received, attachments included. Refusals, timeouts and a server that vanishes
mid-run lose nothing; nothing is sent twice."""

from __future__ import annotations

import io
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import lxml.html
import openpyxl
import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner
from sqlalchemy import select

from monitor.cli import main
from monitor.config import ConfigError, validate
from monitor.finding import Finding
from monitor.notify import deliver
from monitor.report import build_report
from monitor.store import OutboxMessage, Store

DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 1, 30)  # naive UTC: 09:30 in Asia/Shanghai
SENDER = "政务公开办 <govmon@example.gov.cn>"
OFFICE = "zwgk@example.gov.cn"
EDU = ["edu@example.gov.cn", "edu-head@example.gov.cn"]
PASSWORD = "Tr0ub4dor&3-not-in-logs"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)">'


# ----------------------------------------------------------------------------- SMTP servers

@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    tls: bool
    login: bytes | None

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)


class Inbox:
    """aiosmtpd handler: keeps what arrives; can refuse recipients, or vanish after N messages."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse_rcpt: set[str] = set()
        self.refuse_data: str | None = None  # e.g. "550 5.7.1 …": refuse every message at DATA
        self.one_per_connection = False  # drop a connection that starts a second message
        self.vanish_after: int | None = None
        self.controller: Controller | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.vanish_after is not None and len(self.received) >= self.vanish_after:
            # the server goes away: stop listening, drop this connection without a reply
            self.controller.server.close()
            server.transport.abort()
            return "421 gone"
        if self.one_per_connection and getattr(session, "delivered", 0):
            server.transport.abort()  # like a server closing idle connections
            return "421 closing"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        session.delivered = getattr(session, "delivered", 0) + 1
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                                      session.ssl is not None, getattr(session.auth_data, "login", None)))
        return f"250 2.0.0 OK queued as Q{len(self.received)}"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """start(**controller kwargs) → (inbox, port); every server is stopped at the end."""
    started: list[Controller] = []

    def start(port: int | None = None, inbox: Inbox | None = None, **kwargs) -> tuple[Inbox, int]:
        inbox = inbox or Inbox()
        port = port or free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="mail.test", **kwargs)
        controller.start()
        inbox.controller = controller
        started.append(controller)
        return inbox, port

    yield start
    for controller in started:
        stop(controller)


def stop(controller: Controller) -> None:
    if controller._thread is not None:
        controller.stop()


@pytest.fixture
def silent_port():
    """A port that accepts TCP connections (the kernel's backlog) but never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock
    sock.close()


def nobody_connected(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """A test CA and a server certificate for 127.0.0.1 it signed: (ca.pem, server.pem, server.key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = tmp_path_factory.mktemp("certs")
    now = datetime.now(timezone.utc)

    def usage(**on):
        names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                 "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
        return x509.KeyUsage(**{n: on.get(n, False) for n in names})

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "govmon test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(usage(key_cert_sign=True, crl_sign=True, digital_signature=True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@pytest.fixture
def server_tls(certs) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certs[1]), str(certs[2]))
    return context


# ----------------------------------------------------------------------------- config, store, findings

def make_config(tmp_path: Path, smtp: dict | None = None, **extra):
    data = {
        "departments": [{"id": "office", "name": "县政府办公室", "email": ["office@example.gov.cn"]},
                        {"id": "edu", "name": "县教育局", "email": EDU},
                        {"id": "czj", "name": "县财政局"}],
        "sites": [{"id": "portal", "name": "示例县人民政府", "url": "http://127.0.0.1:8000/", "department": "office",
                   "paths": {"/jyj/": "edu", "/czj/": "czj"}}],
        **extra,
    }
    if smtp is not None:
        data["smtp"] = {"host": "127.0.0.1", "starttls": False, "sender": SENDER, "summary_to": [OFFICE],
                        "timeout": 5, **smtp}
    (tmp_path / "monitor.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return validate(data, tmp_path / "monitor.yaml")


def finding(**kw) -> Finding:
    base = dict(rule="typos", category="typo", severity="minor", text="再接再励", suggestion="再接再厉",
                context="希望大家再接再励，取得新成绩", context_start=4, context_end=8,
                url="http://127.0.0.1:8000/ywdt/a.html", site="portal", department="office",
                page_title="要闻", published=DAY, column="要闻动态")
    base.update(kw)
    return Finding(**base)


def edu_findings(**veto) -> list[Finding]:
    return [
        finding(rule="protected-names", category="severe_error", severity="veto", text="人民攻府",
                suggestion="人民政府", context="经县人民攻府研究决定", context_start=2, context_end=6,
                url="http://127.0.0.1:8000/jyj/veto.html", department="edu", page_title="教育动态", **veto),
        finding(url="http://127.0.0.1:8000/jyj/minor.html", department="edu", page_title="通知公告"),
    ]


OVERDUE = finding(rule="outdated-names", category="outdated", severity="major", text="国土资源局",
                  suggestion="自然资源局", context="县国土资源局发布", context_start=1, context_end=6,
                  url="http://127.0.0.1:8000/jyj/old.html", department="edu", page_title="旧闻")


def record(store: Store, day: date, findings: list[Finding]) -> None:
    scan_id = store.start_scan("portal", day)
    for f in findings:
        store.record_page(scan_id, f.url, 200, title=f.page_title, findings=[f])
    store.finish_scan(scan_id, "complete")


def seed(store: Store, extra: list[Finding] = ()) -> None:
    """office: 1 new; edu: 1 veto (new), 1 minor (new), 1 major overdue by 10 days; czj (no address): 1."""
    record(store, DAY - timedelta(days=20), [OVERDUE])
    record(store, DAY, [finding(), *edu_findings(), OVERDUE,
                        finding(url="http://127.0.0.1:8000/czj/a.html", department="czj"), *extra])


@pytest.fixture
def office(tmp_path):
    """(make(smtp=…, **config) → (config, store, report)); the store is closed at the end."""
    stores = []

    def make(smtp: dict | None = None, extra: list[Finding] = (), **config_extra):
        config = make_config(tmp_path, smtp, **config_extra)
        store = Store(config.database_url)
        stores.append(store)
        seed(store, extra)
        return config, store, build_report(config, store, generated=DAY)

    yield make
    for store in stores:
        store.close()


def outbox(store: Store) -> dict[str, OutboxMessage]:
    with store.session() as s:
        return {row.key: row for row in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}


def html_body(msg: EmailMessage):
    return lxml.html.fromstring(msg.get_body(("html",)).get_content())


def attachments(msg: EmailMessage) -> dict[str, tuple[str, bytes]]:
    return {part.get_filename(): (part.get_content_type(), part.get_content()) for part in msg.iter_attachments()}


EDU_KEY, OFFICE_KEY, SUMMARY_KEY = "department:edu:2026-11-20", "department:office:2026-11-20", "summary:2026-11-20"


# ----------------------------------------------------------------------------- delivery

def test_each_department_gets_its_list_and_the_office_a_summary(office, smtp_server):
    inbox, port = smtp_server()
    config, store, report = office(smtp={"port": port})
    result = deliver(config, store, report, now=NOW)

    assert result.ok and [a.key for a in result.sent] == [OFFICE_KEY, EDU_KEY, SUMMARY_KEY]
    assert any(n.department == "czj" and "未配置邮箱" in n.reason for n in result.notes)
    assert len(inbox.received) == 3
    for r in inbox.received:
        assert r.mail_from == "govmon@example.gov.cn"
        r.raw.decode("ascii")  # 7-bit clean: base64 bodies, encoded headers and file names

    (edu,) = inbox.to(EDU[0])
    assert edu.rcpt_tos == EDU
    msg = edu.message
    assert msg["Subject"] == "【整改通知】县教育局：待整改 3 个问题（逾期 1 个）· 2026-11-20"
    assert msg["From"].addresses[0].display_name == "政务公开办"
    assert msg["Message-ID"] and msg["Date"].datetime == NOW.replace(tzinfo=timezone.utc)
    body = html_body(msg)
    assert body.get_element_by_id("todo").text == "3"
    assert body.get_element_by_id("overdue").text == "1"
    assert body.get_element_by_id("next-deadline").text == "2026-11-23"  # the veto: 3 days
    rows = body.xpath('//table[@id="rows"]//tr[contains(@class,"finding")]')
    assert [r.get("data-severity") for r in rows] == ["veto", "major", "minor"]  # most serious first
    assert rows[0].xpath('td[@class="text"]/text()') == ["人民攻府"]
    assert rows[0].xpath('td[@class="context"]/mark/text()') == ["人民攻府"]
    assert "逾期 10 天" in rows[1].xpath('td[@class="deadline"]')[0].text_content()
    assert "待整改" in msg.get_body(("plain",)).get_content()

    files = attachments(msg)
    assert set(files) == {"县教育局整改清单-2026-11-20.xlsx", "县教育局整改清单-2026-11-20.html"}
    kind, data = files["县教育局整改清单-2026-11-20.xlsx"]
    assert kind == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(data))["整改清单"]
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert {"人民攻府", "国土资源局", "再接再励"} <= cells
    kind, data = files["县教育局整改清单-2026-11-20.html"]
    assert kind == "text/html"
    listed = lxml.html.fromstring(data.decode("utf-8") if isinstance(data, bytes) else data)
    assert len(listed.xpath('//tr[contains(@class,"finding")]')) == 3

    (summary,) = inbox.to(OFFICE)
    msg = summary.message
    assert msg["Subject"] == "【每日汇总】政府网站与政务新媒体监测：待整改 5 个问题（逾期 1 个）· 2026-11-20"
    body = html_body(msg)
    assert body.get_element_by_id("total").text == "5"
    (czj,) = body.xpath('//tr[@data-department="czj"]')
    assert "未配置邮箱" in czj.text_content()
    assert list(attachments(msg)) == ["监测汇总-2026-11-20.html"]

    rows = outbox(store)
    assert {k: r.status for k, r in rows.items()} == {OFFICE_KEY: "sent", EDU_KEY: "sent", SUMMARY_KEY: "sent"}
    assert rows[EDU_KEY].smtp_reply == "250 2.0.0 OK queued as Q2"
    assert rows[EDU_KEY].attempts == 1 and rows[EDU_KEY].sent_at == NOW
    stored = BytesParser(policy=policy.default).parsebytes(rows[EDU_KEY].message)
    assert stored["Message-ID"] == edu.message["Message-ID"]  # the outbox holds the message as sent


def test_a_scan_is_never_sent_twice(office, smtp_server):
    inbox, port = smtp_server()
    config, store, report = office(smtp={"port": port})
    deliver(config, store, report, now=NOW)
    again = deliver(config, store, build_report(config, store, generated=DAY), now=NOW + timedelta(hours=2))
    assert again.attempts == [] and again.queued == []
    assert sum("不重复发送" in n.reason for n in again.notes) == 3
    assert len(inbox.received) == 3


def test_resend_sends_a_departments_list_once_more(office, smtp_server):
    inbox, port = smtp_server()
    config, store, report = office(smtp={"port": port})
    deliver(config, store, report, now=NOW)
    result = deliver(config, store, report, now=NOW + timedelta(hours=1), resend=["edu"])
    assert [a.key for a in result.attempts] == [EDU_KEY]
    assert len(inbox.to(EDU[0])) == 2 and len(inbox.received) == 4
    history = [r for k, r in outbox(store).items() if k.startswith(EDU_KEY)]
    assert [r.status for r in history] == ["sent", "sent"]
    with pytest.raises(ConfigError, match="nosuch"):
        deliver(config, store, report, now=NOW, resend=["nosuch"])


def test_dry_run_writes_eml_files_without_a_server_or_the_outbox(office, silent_port, tmp_path):
    config, store, report = office(smtp={"port": silent_port.getsockname()[1]})
    result = deliver(config, store, report, now=NOW, dry_run=True)
    assert [p.name for p in result.files] == ["department-office-2026-11-20.eml", "department-edu-2026-11-20.eml",
                                              "summary-2026-11-20.eml"]
    assert all(p.parent == report.directory / "outbox" for p in result.files)
    msg = BytesParser(policy=policy.default).parsebytes(result.files[1].read_bytes())
    assert msg["Subject"].startswith("【整改通知】县教育局")
    assert msg["To"] == ", ".join(EDU)
    assert attachments(msg)["县教育局整改清单-2026-11-20.xlsx"][0] == XLSX
    assert outbox(store) == {}
    assert nobody_connected(silent_port)


def test_dry_run_works_without_smtp_config(office, tmp_path):
    config, store, report = office()
    result = deliver(config, store, report, now=NOW, dry_run=True, eml_dir=tmp_path / "preview")
    assert [p.name for p in result.files] == ["department-office-2026-11-20.eml", "department-edu-2026-11-20.eml"]
    msg = BytesParser(policy=policy.default).parsebytes(result.files[0].read_bytes())
    assert msg["From"].addresses[0].addr_spec == "govmon@example.invalid"
    with pytest.raises(ConfigError, match="smtp"):
        deliver(config, store, report, now=NOW)


def test_login_over_starttls_with_the_password_from_the_environment(office, smtp_server, server_tls, certs,
                                                                     tmp_path, monkeypatch):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == PASSWORD.encode(), handled=False, auth_data=auth_data)

    inbox, port = smtp_server(tls_context=server_tls, require_starttls=True, authenticator=authenticator,
                              auth_required=True)
    (tmp_path / "ca.pem").write_bytes(certs[0].read_bytes())  # ca_file is relative to the config
    monkeypatch.setenv("GOVMON_TEST_SMTP_PASSWORD", PASSWORD)
    config, store, report = office(smtp={"port": port, "starttls": True, "username": "govmon",
                                         "password_env": "GOVMON_TEST_SMTP_PASSWORD", "ca_file": "ca.pem"})
    assert deliver(config, store, report, now=NOW).ok
    assert logins == [(b"govmon", PASSWORD.encode())]  # one connection for all three messages
    assert len(inbox.received) == 3 and all(r.tls and r.login == b"govmon" for r in inbox.received)


def test_a_missing_password_variable_is_named_and_the_messages_stay_queued(office, smtp_server, server_tls,
                                                                          monkeypatch):
    inbox, port = smtp_server(tls_context=server_tls, require_starttls=True)
    monkeypatch.delenv("GOVMON_TEST_SMTP_PASSWORD", raising=False)
    config, store, report = office(smtp={"port": port, "starttls": True, "username": "govmon",
                                         "password_env": "GOVMON_TEST_SMTP_PASSWORD"})
    with pytest.raises(ConfigError, match="GOVMON_TEST_SMTP_PASSWORD"):
        deliver(config, store, report, now=NOW)
    assert {r.status for r in outbox(store).values()} == {"queued"}
    assert {r.attempts for r in outbox(store).values()} == {0}
    assert inbox.received == []


def test_a_refused_login_is_recorded_without_the_password(office, smtp_server, server_tls, certs, monkeypatch):
    inbox, port = smtp_server(tls_context=server_tls, require_starttls=True, auth_required=True,
                              authenticator=lambda *a: AuthResult(success=False, handled=False))
    monkeypatch.setenv("GOVMON_TEST_SMTP_PASSWORD", PASSWORD)
    config, store, report = office(smtp={"port": port, "starttls": True, "username": "govmon",
                                         "password_env": "GOVMON_TEST_SMTP_PASSWORD", "ca_file": str(certs[0])})
    result = deliver(config, store, report, now=NOW)
    assert [a.status for a in result.attempts] == ["failed"] * 3
    for row in outbox(store).values():
        assert "535" in row.last_error and "拒绝登录" in row.last_error
        assert PASSWORD not in row.last_error and PASSWORD not in (row.smtp_reply or "")
    assert inbox.received == []


def test_implicit_tls(office, smtp_server, server_tls, certs):
    inbox, port = smtp_server(ssl_context=server_tls)
    config, store, report = office(smtp={"port": port, "ssl": True, "ca_file": str(certs[0])})
    assert deliver(config, store, report, now=NOW).ok
    assert len(inbox.received) == 3


def test_starttls_without_login(office, smtp_server, server_tls, certs):
    inbox, port = smtp_server(tls_context=server_tls, require_starttls=True)
    config, store, report = office(smtp={"port": port, "starttls": True, "ca_file": str(certs[0])})
    assert deliver(config, store, report, now=NOW).ok
    assert len(inbox.received) == 3 and all(r.tls and r.login is None for r in inbox.received)


def test_an_untrusted_certificate_is_refused(office, smtp_server, server_tls):
    inbox, port = smtp_server(ssl_context=server_tls)
    config, store, report = office(smtp={"port": port, "ssl": True})  # no ca_file: the system CAs
    result = deliver(config, store, report, now=NOW)
    assert [a.status for a in result.attempts] == ["failed"] * 3
    assert "证书校验失败" in result.attempts[0].error and "ca_file" in result.attempts[0].error
    assert inbox.received == []


def test_a_refused_message_does_not_stop_the_others_and_is_retried_after_the_back_off(office, smtp_server):
    inbox, port = smtp_server()
    inbox.refuse_rcpt = set(EDU)
    config, store, report = office(smtp={"port": port, "retry_minutes": 10})
    first = deliver(config, store, report, now=NOW)
    assert {a.key: a.status for a in first.attempts} == {OFFICE_KEY: "sent", EDU_KEY: "failed", SUMMARY_KEY: "sent"}
    row = outbox(store)[EDU_KEY]
    assert row.smtp_reply.startswith("550 5.1.1 Mailbox unavailable")
    assert "收件人被拒绝" in row.last_error and "550" in row.last_error
    assert row.attempts == 1 and row.next_attempt_at == NOW + timedelta(minutes=10)
    assert not first.ok

    inbox.refuse_rcpt, inbox.refuse_data = set(), "554 5.7.1 Message rejected by policy"
    assert deliver(config, store, report, now=NOW + timedelta(minutes=5)).attempts == []  # backing off
    second = deliver(config, store, report, now=NOW + timedelta(minutes=10))
    assert [(a.key, a.status, a.attempts) for a in second.attempts] == [(EDU_KEY, "failed", 2)]
    row = outbox(store)[EDU_KEY]
    assert row.smtp_reply == "554 5.7.1 Message rejected by policy" and "拒收" in row.last_error
    assert row.next_attempt_at == NOW + timedelta(minutes=30)  # 10, then 20

    inbox.refuse_data = None
    assert deliver(config, store, report, now=NOW + timedelta(minutes=29)).attempts == []
    third = deliver(config, store, report, now=NOW + timedelta(minutes=30))
    assert [(a.key, a.status, a.attempts) for a in third.attempts] == [(EDU_KEY, "sent", 3)]
    assert len(inbox.to(EDU[0])) == 1 and len(inbox.received) == 3
    assert outbox(store)[EDU_KEY].last_error is None


def test_a_dropped_connection_is_reopened(office, smtp_server):
    inbox, port = smtp_server()
    inbox.one_per_connection = True
    config, store, report = office(smtp={"port": port})
    assert deliver(config, store, report, now=NOW).ok
    assert len(inbox.received) == 3


def test_starttls_required_but_not_offered(office, smtp_server):
    inbox, port = smtp_server()
    config, store, report = office(smtp={"port": port, "starttls": True})
    result = deliver(config, store, report, now=NOW)
    assert [a.status for a in result.attempts] == ["failed"] * 3
    assert "不支持 STARTTLS" in result.attempts[0].error
    assert inbox.received == []  # never falls back to an unencrypted connection


def test_one_refused_recipient_of_two(office, smtp_server):
    inbox, port = smtp_server()
    inbox.refuse_rcpt = {EDU[1]}
    config, store, report = office(smtp={"port": port})
    assert deliver(config, store, report, now=NOW).ok
    assert inbox.to(EDU[0])[0].rcpt_tos == [EDU[0]]
    row = outbox(store)[EDU_KEY]
    assert row.status == "sent" and "部分收件人被拒绝" in row.last_error and EDU[1] in row.last_error


def test_a_message_is_abandoned_after_max_attempts(office, smtp_server):
    inbox, port = smtp_server()
    inbox.refuse_rcpt = set(EDU)
    config, store, report = office(smtp={"port": port, "retry_minutes": 1, "max_attempts": 3})
    when = NOW
    for expected in ("failed", "failed", "abandoned"):
        result = deliver(config, store, report, now=when)
        assert [a.status for a in result.attempts if a.key == EDU_KEY] == [expected]
        when += timedelta(hours=1)
    assert [a.key for a in result.abandoned] == [EDU_KEY]
    assert outbox(store)[EDU_KEY].next_attempt_at is None
    inbox.refuse_rcpt = set()
    later = deliver(config, store, report, now=when + timedelta(days=1))
    assert later.attempts == [] and [a.key for a in later.abandoned] == [EDU_KEY]
    assert inbox.to(EDU[0]) == []


def test_a_server_that_never_answers_times_out(office, silent_port):
    config, store, report = office(smtp={"port": silent_port.getsockname()[1], "timeout": 1})
    result = deliver(config, store, report, now=NOW)
    assert [a.status for a in result.attempts] == ["failed"] * 3
    assert "超时" in result.attempts[0].error
    assert all("超时" in a.error for a in result.attempts)
    assert {r.next_attempt_at for r in outbox(store).values()} == {NOW + timedelta(minutes=10)}


def test_a_server_that_disappears_mid_run_loses_nothing(office, smtp_server):
    inbox, port = smtp_server()
    inbox.vanish_after = 1
    config, store, report = office(smtp={"port": port})
    result = deliver(config, store, report, now=NOW)
    assert [(a.key, a.status) for a in result.attempts] == [(OFFICE_KEY, "sent"), (EDU_KEY, "failed"),
                                                            (SUMMARY_KEY, "failed")]
    assert "拒绝连接" in result.attempts[1].error
    assert [r.rcpt_tos for r in inbox.received] == [["office@example.gov.cn"]]
    stop(inbox.controller)

    back, _ = smtp_server(port=port)  # the server is back
    assert deliver(config, store, report, now=NOW + timedelta(minutes=5)).attempts == []
    later = deliver(config, store, report, now=NOW + timedelta(minutes=10))
    assert [(a.key, a.status) for a in later.attempts] == [(EDU_KEY, "sent"), (SUMMARY_KEY, "sent")]
    assert [r.rcpt_tos for r in back.received] == [EDU, [OFFICE]]


def test_a_newer_scan_replaces_unsent_lists(office, smtp_server):
    inbox, port = smtp_server()
    inbox.refuse_rcpt = set(EDU)
    config, store, report = office(smtp={"port": port})
    deliver(config, store, report, now=NOW)
    inbox.refuse_rcpt = set()
    record(store, DAY + timedelta(days=1), [finding(), *edu_findings(), OVERDUE])
    newer = build_report(config, store, generated=DAY + timedelta(days=1))
    result = deliver(config, store, newer, now=NOW + timedelta(days=1))
    assert [a.key for a in result.attempts] == ["department:office:2026-11-21", "department:edu:2026-11-21",
                                                "summary:2026-11-21"]
    old = outbox(store)[EDU_KEY]
    assert old.status == "abandoned" and old.last_error.startswith("已过时")
    assert result.abandoned == []  # replaced, not given up on
    assert [r.message["Subject"][-10:] for r in inbox.to(EDU[0])] == ["2026-11-21"]


def test_hostile_page_content_is_escaped_in_the_email(office, smtp_server):
    inbox, port = smtp_server()
    hostile = finding(text=HOSTILE, page_title=HOSTILE, context=f"前文{HOSTILE}后文", context_start=2,
                      context_end=2 + len(HOSTILE), suggestion='"><svg onload=alert(1)>',
                      url="javascript:alert(document.cookie)", severity="veto", category="severe_error")
    config, store, report = office(smtp={"port": port}, extra=[hostile])
    deliver(config, store, report, now=NOW)
    (msg,) = [r.message for r in inbox.to("office@example.gov.cn")]
    body = html_body(msg)
    assert body.xpath("//script") == [] and body.xpath("//img") == [] and body.xpath("//svg") == []
    assert body.xpath("//@onerror") == [] and body.xpath("//@onload") == []
    assert all(not h.lower().startswith("javascript") for h in body.xpath("//a/@href"))
    (row,) = [r for r in body.xpath('//tr[contains(@class,"finding")]') if r.get("data-severity") == "veto"]
    assert row.xpath('td[@class="text"]')[0].text_content() == HOSTILE
    assert row.xpath('td[@class="context"]/mark')[0].text_content() == HOSTILE


# ----------------------------------------------------------------------------- command line

def test_cli(office, smtp_server, tmp_path):
    inbox, port = smtp_server()
    config, store, report = office(smtp={"port": port})
    path = str(tmp_path / "monitor.yaml")
    runner = CliRunner()

    dry = runner.invoke(main, ["email", "--config", path, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "department-edu-2026-11-20.eml" in dry.output and inbox.received == []

    inbox.refuse_rcpt = set(EDU)
    sent = runner.invoke(main, ["email", "--config", path])
    assert sent.exit_code == 1, sent.output
    assert "县政府办公室" in sent.output and "已发送" in sent.output and "550" in sent.output
    assert "县财政局" in sent.output and "未配置邮箱" in sent.output

    again = runner.invoke(main, ["email", "--config", path])
    assert again.exit_code == 0 and "不重复发送" in again.output and len(inbox.received) == 2

    bad = runner.invoke(main, ["email", "--config", path, "--resend", "nosuch"])
    assert bad.exit_code == 2 and "nosuch" in bad.output


def test_cli_without_smtp_is_a_config_error(office, tmp_path):
    office()
    result = CliRunner().invoke(main, ["email", "--config", str(tmp_path / "monitor.yaml")])
    assert result.exit_code == 2 and "smtp" in result.output
