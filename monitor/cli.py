"""`govmon` command line: thin click commands over the library.

Output for people is Simplified Chinese. Machine output (--format json) goes to stdout,
progress and messages to stderr. Exit code 2 means a usage, config or input error.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from .config import ConfigError, load_config
from .lexicon import LexiconError


class GovmonGroup(click.Group):
    """Turns configuration and lexicon errors into one clear message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, LexiconError) as exc:
            click.echo(f"错误：{exc}", err=True)
            ctx.exit(2)
        except OSError as exc:  # a path that cannot be read or written: say which, no traceback
            where = exc.filename or ""
            click.echo(f"错误：无法读写 {where}：{exc.strerror or exc}", err=True)
            ctx.exit(2)


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"应为 YYYY-MM-DD 格式的日期，实际为 {value!r}") from None


def _today(config: Any) -> date:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(config.timezone)).date()


config_option = click.option("--config", "-c", "config_path", type=click.Path(path_type=Path),
                             default="monitor.yaml", show_default=True, help="配置文件 monitor.yaml 的路径")


@click.group(cls=GovmonGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="govmon")
def main() -> None:
    """govmon：政府网站与政务新媒体合规监测。"""


@main.command()
@click.argument("path", type=click.Path(path_type=Path), default="monitor.yaml")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
def init(path: Path, force: bool) -> None:
    """写出一份带注释的示例配置文件。

    Example:

        govmon init monitor.yaml
    """
    from .config import example_config

    if path.is_dir():
        click.echo(f"错误：{path} 是目录，请给出文件名，例如 {path / 'monitor.yaml'}", err=True)
        sys.exit(2)
    if path.exists() and not force:
        click.echo(f"错误：{path} 已存在；如需覆盖请加 --force", err=True)
        sys.exit(2)
    path.write_text(example_config(), encoding="utf-8")
    click.echo(f"已生成示例配置：{path}")


@main.command()
@config_option
@click.option("--site", "site_ids", multiple=True, help="只探测指定站点（可重复）")
@click.option("--timeout", type=float, default=None, help="首页须在此秒数内打开（默认 15 秒）")
def probe(config_path: Path, site_ids: tuple[str, ...], timeout: float | None) -> None:
    """访问一次各站点首页，记录能否打开（用于统计“站点无法访问”）。

    计划任务每天多次运行本命令；近 7 天失败次数达到探测次数的 5% 时，下一次扫描
    记为单项否决（阈值见配置 thresholds）。退出码：0 全部可访问；1 有站点无法访问；2 配置错误。

    Example:

        govmon probe --config monitor.yaml
    """
    from .probe import PROBE_TIMEOUT, probe_all
    from .store import Store

    config = load_config(config_path)
    sites = [config.site(s) for s in site_ids] if site_ids else list(config.sites)
    if not sites:
        raise ConfigError(config_path, ["sites：没有配置任何站点"])
    store = Store(config.database_url)
    try:
        results = probe_all(config, store, sites, timeout or PROBE_TIMEOUT)
    finally:
        store.close()
    for r in results:
        state = "可访问" if r.ok else f"无法访问（{r.error or f'HTTP {r.status}'}）"
        click.echo(f"{r.site.name}（{r.site.id}）：{state}，用时 {r.elapsed_ms / 1000:.1f} 秒")
    if not all(r.ok for r in results):
        sys.exit(1)


@main.command()
@config_option
@click.option("--site", "site_ids", multiple=True, help="只扫描指定站点（可重复）")
@click.option("--as-of", "as_of", callback=_date, help="以此日期作为“今天”（YYYY-MM-DD），用于日期相关规则")
@click.option("--no-report", is_flag=True, help="扫描后不生成报告")
@click.option("--timeout", type=float, default=None, help="单个站点抓取的最长秒数（默认 6 小时）")
@click.option("--sites-only", is_flag=True, help="只扫描网站，不检查政务新媒体账号")
@click.option("--accounts-only", is_flag=True, help="只检查政务新媒体账号，不扫描网站")
@click.option("--full", is_flag=True, help="完整扫描：重新读取并检查每个页面（不跳过未变化的页面）")
def scan(config_path: Path, site_ids: tuple[str, ...], as_of: date | None, no_report: bool,
         timeout: float | None, sites_only: bool, accounts_only: bool, full: bool) -> None:
    """抓取并检查配置中的站点和政务新媒体账号，保存结果并生成整改清单。

    每个站点在独立的子进程中抓取；某个站点无法访问时记录为失败，其他站点照常扫描。
    退出码：0 全部完成；1 有站点扫描失败；2 配置或参数错误。

    Example:

        govmon scan --config monitor.yaml --site portal --as-of 2026-11-22
    """
    from .progress import scan_with_progress
    from .scanning import DEFAULT_CRAWL_TIMEOUT
    from .store import Store

    if sites_only and accounts_only:
        click.echo("错误：--sites-only 与 --accounts-only 只能选其一", err=True)
        sys.exit(2)
    config = load_config(config_path)
    sites = [] if accounts_only else [config.site(s) for s in site_ids] if site_ids else list(config.sites)
    accounts = not sites_only and not site_ids and bool(config.accounts)
    if not sites and not accounts:
        raise ConfigError(config_path, ["accounts：没有配置任何账号" if accounts_only else "sites：没有配置任何站点"])
    store = Store(config.database_url)
    try:
        results = scan_with_progress(config, store, sites, as_of or _today(config), timeout or DEFAULT_CRAWL_TIMEOUT,
                                     accounts=accounts, full=full)
        if not no_report:
            from .report import build_report

            report = build_report(config, store, generated=_today(config))
            click.echo(f"报告：{report.index}")
    finally:
        store.close()
    if any(r.status == "failed" for r in results):
        sys.exit(1)


@main.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--site", help="只列出该站点的问题")
@click.option("--department", help="只列出该责任单位的问题")
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["new", "open", "reopened", "fixed", "ignored"]),
              help="按状态筛选（可重复；默认：待整改，即 new/open/reopened）")
@click.option("--category", type=click.Choice(list(__import__("monitor.finding", fromlist=["CATEGORIES"]).CATEGORIES)),
              help="按问题类型筛选，例如 privacy")
def findings(config_path: Path, fmt: str, site: str | None, department: str | None,
             statuses: tuple[str, ...], category: str | None) -> None:
    """列出各站点的问题（默认只列待整改的：新发现、未整改、再次出现）。

    Example:

        govmon findings --config monitor.yaml --format json
    """
    from .finding import CATEGORIES, SEVERITIES, STATUSES
    from .store import OPEN_STATUSES, Store

    from .store import ACCOUNTS_TARGET
    from .worklist import UNASSIGNED

    config = load_config(config_path)
    # an unknown id is a usage error, not an empty list (and not a broken config)
    if site and site != ACCOUNTS_TARGET and site not in {s.id for s in config.sites}:
        raise click.BadParameter(f"没有 id 为 {site!r} 的站点（可选：{'、'.join(config.scan_targets)}）",
                                 param_hint="--site")
    if department and department != UNASSIGNED and config.department(department) is None:
        raise click.BadParameter(f"没有 id 为 {department!r} 的部门（可选：{'、'.join(d.id for d in config.departments)}"
                                 f"，或 {UNASSIGNED} 表示未归属部门）", param_hint="--department")
    store = Store(config.database_url)
    try:
        scans = store.latest_scans(config.scan_targets)
        rows = store.findings(sites=config.scan_targets, statuses=statuses or OPEN_STATUSES,
                              site=site, department=None if department == UNASSIGNED else department,
                              category=category)
        if department == UNASSIGNED:  # findings whose department is not (or no longer) configured
            known = {d.id for d in config.departments}
            rows = [f for f in rows if f.department not in known]
    finally:
        store.close()
    if not scans:
        click.echo("尚未扫描：请先运行 govmon scan --config " + str(config_path), err=True)
    for scan in scans:
        if scan.status != "complete":
            what = "政务新媒体账号检查" if scan.kind == "accounts" else f"站点 {scan.target} "
            click.echo(f"注意：{what}最近一次扫描{'失败' if scan.status == 'failed' else '未完成'}"
                       f"（{scan.message or ''}），其问题沿用此前扫描的结果。", err=True)
    if fmt == "json":
        click.echo(json.dumps([f.to_dict() for f in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("没有符合条件的问题。")
        return
    for f in rows:
        click.echo(f"[{f.id}] {SEVERITIES[f.severity]} {CATEGORIES[f.category]}：{f.text}"
                   f"{' → ' + f.suggestion if f.suggestion else ''}（{STATUSES.get(f.status or '', f.status)}）\n"
                   f"     {f.url}")


@main.command()
@config_option
def report(config_path: Path) -> None:
    """根据最近一次扫描生成汇总页和各部门整改清单。

    Example:

        govmon report --config monitor.yaml
    """
    from .report import build_report
    from .store import Store

    config = load_config(config_path)
    store = Store(config.database_url)
    try:
        if not store.latest_scans(config.scan_targets):
            click.echo(f"错误：尚未扫描，没有可生成报告的结果：请先运行 govmon scan --config {config_path}", err=True)
            sys.exit(2)
        result = build_report(config, store, generated=_today(config))
    finally:
        store.close()
    click.echo(f"汇总：{result.index}")
    for dl in result.lists:
        files = result.departments[dl.id]
        c = dl.section_counts
        click.echo(f"{dl.name}：待整改 {len(dl.todo)} 个（逾期 {c['overdue']}，新发现 {c['new']}），"
                   f"最近确认已整改 {c['fixed']} 个 — {files.html}（另有 .xlsx、.json）")
    click.echo(f"全部问题（JSON）：{result.export}")


@main.command("email")
@config_option
@click.option("--dry-run", is_flag=True,
              help="不连接邮件服务器、不写发件箱，把邮件写成 .eml 文件（报告目录下的 outbox/）供预览")
@click.option("--resend", "resend", multiple=True, metavar="DEPT",
              help="重新生成并发送该部门（部门 id，或 summary 表示每日汇总）本次扫描的邮件，即使已发送过（可重复）")
def email_command(config_path: Path, dry_run: bool, resend: tuple[str, ...]) -> None:
    """按部门发送整改清单邮件（正文摘要，附 Excel 和网页版清单），并向政务公开办发送每日汇总。

    邮件先写入数据库中的发件箱再发送；同一次扫描的清单不会重复发给同一部门。发送失败的邮件
    在以后的运行中按间隔重试（smtp.retry_minutes，逐次加倍），失败 smtp.max_attempts 次后放弃。
    退出码：0 全部发送成功（或无需发送）；1 有邮件发送失败；2 配置错误。

    Example:

        govmon email --config monitor.yaml --dry-run
    """
    from datetime import timezone
    from zoneinfo import ZoneInfo

    from .notify import deliver
    from .report import build_report
    from .store import Store

    config = load_config(config_path)
    if config.smtp is None and not dry_run:
        raise ConfigError(config.source, ["smtp：未配置邮件服务器，无法发送邮件；请在配置文件中填写 smtp"
                                          "（见 docs/configuration.md），或先用 govmon email --dry-run 预览邮件"])
    tz = ZoneInfo(config.timezone)
    store = Store(config.database_url)
    try:
        if not store.latest_scans(config.scan_targets):
            click.echo("尚未扫描，没有可发送的清单：请先运行 govmon scan --config " + str(config_path), err=True)
            return
        report = build_report(config, store, generated=_today(config))
        result = deliver(config, store, report, dry_run=dry_run, resend=resend)
    finally:
        store.close()

    def local(moment: Any) -> str:
        return moment.replace(tzinfo=timezone.utc).astimezone(tz).strftime("%Y-%m-%d %H:%M")

    click.echo(f"扫描日期：{result.scan_date}")
    for note in result.notes:
        click.echo(f"{note.name}（{note.department}）：{note.reason}")
    if dry_run:
        click.echo("预览（未发送，未写入发件箱）：")
        for path in result.files:
            click.echo(f"  {path}")
        return
    for a in result.attempts:
        line = f"{a.name} → {'、'.join(a.recipients)}：{a.status_label}"
        if a.status == "sent":
            line += f"（{a.reply}）" + (f"；{a.error}" if a.error else "")
        elif a.status == "failed":
            line += f"（第 {a.attempts} 次）：{a.error}；将于 {local(a.next_attempt_at)} 后重试"
        else:
            line += f"（已尝试 {a.attempts} 次）：{a.error}"
        click.echo(line)
    if not result.attempts:
        click.echo("没有需要发送的邮件。")
    if result.abandoned:
        click.echo("以下邮件多次发送失败，已停止重试；请核对收件地址和邮件服务器后，"
                   "用 govmon email --resend 部门id 重新发送：", err=True)
        for a in result.abandoned:
            click.echo(f"  {a.name}（{'、'.join(a.recipients)}）{a.subject}：{a.error}", err=True)
    if result.failed:
        sys.exit(1)


@main.command()
@config_option
@click.argument("finding_id", type=int)
@click.option("--reason", default=None, help="忽略的理由（必填，例如：误报，引用的是历史文件标题）")
@click.option("--by", "by", default=None, help="操作人")
@click.option("--undo", is_flag=True, help="撤销忽略：问题恢复为待整改，下次完整扫描重新判断")
def ignore(config_path: Path, finding_id: int, reason: str | None, by: str | None, undo: bool) -> None:
    """把一个问题标记为误报（已忽略）：不再列入待整改，只在清单的“已忽略”部分列出（附理由）。

    问题编号见整改清单的“问题编号”列或 govmon findings 的 [编号]。页面上的文字改变后，
    会作为新问题重新检查。标错了可用 --undo 撤销。

    Example:

        govmon ignore 42 --reason "历史文件标题，无需修改" --by 张三 --config monitor.yaml
    """
    from .store import Store

    if not undo and not (reason or "").strip():
        raise click.BadParameter("请用 --reason 说明忽略的理由", param_hint="--reason")
    config = load_config(config_path)
    store = Store(config.database_url)
    try:
        if undo:
            finding = store.unignore(finding_id)
        else:
            finding = store.ignore(finding_id, reason.strip(), by, on=_today(config))
    except KeyError:
        click.echo(f"错误：没有编号为 {finding_id} 的问题", err=True)
        sys.exit(2)
    finally:
        store.close()
    if undo:
        click.echo(f"已撤销忽略，问题 {finding.id} 恢复为待整改：{finding.text}")
    else:
        click.echo(f"已忽略问题 {finding.id}：{finding.text}")


@main.command("check-text")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--published", callback=_date, help="文稿的发布日期（YYYY-MM-DD），用于判断过时表述")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--lexicons", "lexicon_dirs", multiple=True, type=click.Path(path_type=Path),
              help="附加词库目录（可重复）")
@click.option("--config", "-c", "config_path", type=click.Path(path_type=Path), default=None,
              help="使用该配置文件中的附加词库（lexicons）和白名单（whitelist）")
def check_text(files: tuple[Path, ...], published: date | None, fmt: str, lexicon_dirs: tuple[Path, ...],
               config_path: Path | None) -> None:
    """发布前检查文稿、附件或保存的网页（.txt .html .docx .pdf .xlsx .xls .csv）。

    退出码：0 未发现问题；1 发现问题；2 用法或文件错误。

    Example:

        govmon check-text 通知.txt --published 2026-11-22
    """
    from .textcheck import TextCheckError, check_file, format_text
    from .lexicon import Matcher, default_lexicon_dir

    whitelist: list[Any] = []
    if config_path is not None:
        config = load_config(config_path)
        lexicon_dirs = (*config.lexicon_paths, *lexicon_dirs)
        whitelist = list(config.whitelist)
    try:
        dirs = [default_lexicon_dir(), *lexicon_dirs] if lexicon_dirs else None
        matcher = Matcher.from_dirs(dirs)
        results = [check_file(path, matcher, published, whitelist) for path in files]
    except TextCheckError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    total = sum(len(r.findings) for r in results)
    if fmt == "json":
        click.echo(json.dumps([dict(f.to_dict(), file=str(r.path)) for r in results for f in r.findings],
                              ensure_ascii=False, indent=2))
    else:
        for r in results:
            click.echo(format_text(r, color=sys.stdout.isatty()))
        click.echo(f"共发现 {total} 个问题。" if total else "未发现问题。")
    sys.exit(1 if total else 0)


@main.command()
@click.option("--dir", "out_dir", type=click.Path(path_type=Path), default="govmon-demo", show_default=True,
              help="演示的工作目录（每次运行前清空）")
@click.option("--serve", is_flag=True, help="扫描结束后继续提供演示网站，按 Ctrl+C 退出")
def demo(out_dir: Path, serve: bool) -> None:
    """在本机（127.0.0.1）启动示例县政府网站，扫描并生成整改清单。

    Example:

        govmon demo
    """
    from .demo import run_demo

    sys.exit(run_demo(out_dir, keep_serving=serve))


@main.command()
@config_option
@click.option("--once", is_flag=True, help="立即运行一次夜间任务（扫描、报告、邮件）后退出，不常驻")
@click.option("--as-of", "as_of", callback=_date,
              help="与 --once 一起使用：以此日期作为“今天”（YYYY-MM-DD），用于日期相关规则")
def schedule(config_path: Path, once: bool, as_of: date | None) -> None:
    """在前台按计划运行夜间任务（扫描全部站点和账号 → 生成整改清单 → 发送邮件）和可用性探测。

    供 systemd、容器使用（配置 schedule 决定运行时间）；日志写到标准错误和 <log_dir>/schedule.log。
    按 Ctrl+C 或发送 SIGTERM 即停止。--once 立即运行一次夜间任务后退出（可由 cron 调用）。
    --once 的退出码：0 没有扫描失败；1 有扫描失败或某一步出错；2 配置错误；
    3 另一进程正在运行夜间任务（运行锁被占用，会说明由谁、自何时起持有）。

    Example:

        govmon schedule --config monitor.yaml

        govmon schedule --config monitor.yaml --once
    """
    from sqlalchemy.exc import OperationalError

    from .schedule import run_forever, run_once

    if as_of is not None and not once:
        click.echo("错误：--as-of 只能与 --once 一起使用", err=True)
        sys.exit(2)
    config = load_config(config_path)
    if not config.sites and not config.accounts:
        raise ConfigError(config_path, ["sites：没有配置任何站点（accounts 中也没有账号），夜间任务无事可做"])
    try:
        code = run_once(config, as_of) if once else run_forever(config)
    except OperationalError as exc:
        click.echo(f"错误：无法连接数据库（配置项 database）：{str(exc.orig or exc).strip()[:300]}", err=True)
        sys.exit(2)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
