"""New-media accounts (RULES.md §3): dormant (睡眠) and zombie (僵尸) accounts, and the
optional local update rules. Pure: an account, what its feed gave, and "today" in; the
account's state and findings out. Pinned posts never count as updates.

Unreachable feeds over consecutive scans need the scan history: see `unreachable_finding`,
called by the scan with the count from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..config import Account, Thresholds
from ..feeds import Feed
from ..finding import Finding

PLATFORMS = {"wechat": "微信公众号", "weibo": "微博", "douyin": "抖音", "toutiao": "今日头条", "kuaishou": "快手",
             "bilibili": "哔哩哔哩", "other": "其他"}
STATUS_LABELS = {"active": "正常", "dormant": "睡眠", "zombie": "僵尸", "unreachable": "无法访问",
                 "unregistered": "未备案", "undated": "无法判断"}
#: posts counted for the "recent posts" figure
RECENT_DAYS = 14
#: how far back the optional frequency rules look
FREQUENCY_WINDOW_DAYS = 28


@dataclass
class AccountState:
    """One account as the checklist sees it after a scan."""

    account: str
    name: str
    platform: str
    department: str | None
    status: str  # active | dormant | zombie | unreachable
    error: str | None = None
    newest: datetime | None = None  # newest non-pinned post
    days_silent: int | None = None
    recent_posts: int = 0
    posts: int = 0
    pinned_only: bool = False
    problems: list[tuple[str, str]] = field(default_factory=list)  # (rule key, words)

    def to_dict(self) -> dict:
        out = dict(self.__dict__)
        out["newest"] = self.newest.isoformat() if self.newest else None
        return out


def limits(account: Account, thresholds: Thresholds) -> tuple[int, int]:
    """(dormant days, zombie days) for this account."""
    return (account.dormant_days or thresholds.account_dormant_days,
            account.zombie_days or thresholds.account_zombie_days)


def assess_account(account: Account, feed: Feed | None, error: str | None, today: date, tz: ZoneInfo,
                   thresholds: Thresholds) -> AccountState:
    state = AccountState(account.id, account.name, account.platform, account.department, "active", error=error)
    if feed is None:
        state.status = "unreachable"
        return state
    dormant_days, zombie_days = limits(account, thresholds)
    if any(not p.pinned for p in feed.posts) and not any(p.published for p in feed.posts if not p.pinned):
        # posts, but no date we can read: silence cannot be told from an unknown date format
        state.status = "undated"
        state.error = "订阅源中信息的发布时间无法识别，无法判断是否更新，请人工检查"
        return state
    regular = [p for p in feed.posts if p.published and not p.pinned]
    state.posts = len(regular)
    state.pinned_only = bool(feed.posts) and all(p.pinned for p in feed.posts)
    # a post dated up to a day after the scan date is today's (a feed writing Beijing time with
    # a Z is 8 hours "ahead"); one further ahead is not news
    days = sorted((min(p.published.astimezone(tz).date(), today) for p in regular
                   if p.published.astimezone(tz).date() <= today + timedelta(days=1)), reverse=True)
    state.recent_posts = sum(1 for d in days if (today - d).days < RECENT_DAYS)
    if days:
        # in the office's time zone, so the date people read is the date it was counted on
        newest = max(p.published for p in regular if min(p.published.astimezone(tz).date(), today) == days[0])
        state.newest = newest.astimezone(tz)
        state.days_silent = (today - days[0]).days
    if not days or state.days_silent >= zombie_days:
        state.status = "zombie"
    elif state.days_silent > dormant_days:
        state.status = "dormant"
    if account.min_posts_per_week and days and (today - days[-1]).days >= FREQUENCY_WINDOW_DAYS:
        # judged only when the feed reaches back over the whole window (feeds hold 10–20 items)
        window = sum(1 for d in days if (today - d).days < FREQUENCY_WINDOW_DAYS)
        per_week = window * 7 / FREQUENCY_WINDOW_DAYS
        if per_week < account.min_posts_per_week:
            state.problems.append(("per-week", f"近 {FREQUENCY_WINDOW_DAYS} 天平均每周发布 {per_week:.1f} 条，"
                                               f"少于本地要求的每周 {account.min_posts_per_week:g} 条"))
    if account.max_gap_days and days:
        window_start = today - timedelta(days=90)
        recent = [today] + [d for d in days if d >= window_start]
        if days[-1] < window_start:  # the silence reaches back past the window: count it up to the window's start
            recent.append(window_start)
        gap = max((a - b).days for a, b in zip(recent, recent[1:])) if len(recent) > 1 else 0
        if gap > account.max_gap_days:
            state.problems.append(("gap", f"近 90 天内最长 {gap} 天未发布，超过本地要求的 {account.max_gap_days} 天"))
    return state


def account_findings(state: AccountState, account: Account, thresholds: Thresholds,
                     place_url: str) -> list[Finding]:
    """The dormant/zombie finding (veto) and the local-rule findings (major) of one account.
    `place_url` is where the account is read (its feed URL), the findings' URL."""
    dormant_days, zombie_days = limits(account, thresholds)
    label = f"{PLATFORMS.get(account.platform, account.platform)}「{account.name}」"
    common = dict(url=place_url, place=f"account:{account.id}", department=account.department, page_title=label,
                  extra={"account": account.id, "account_name": account.name, "platform": account.platform,
                         "days_silent": state.days_silent, "status": state.status})
    findings = []
    if state.status in ("dormant", "zombie"):
        if state.newest is None:
            text = f"{label}从未发布信息" if not state.pinned_only else f"{label}只有置顶信息，无其他发布"
            silent = "无任何（非置顶）发布"
        else:
            text = f"{label} {state.days_silent} 天未更新"
            silent = f"最新发布 {state.newest.date().isoformat()}，已 {state.days_silent} 天"
        note = f"{silent}；{dormant_days} 天内无更新属单项否决（置顶内容不计为更新）"
        suggestion = "及时发布信息"
        if state.status == "zombie":
            since = f"已达 {zombie_days} 天，" if state.days_silent is not None else ""
            note += f"；{since}属“僵尸”账号，应考虑关停或注销"
            suggestion = "长期不更新的账号应考虑关停或注销（关停/注销后从备案中移除）"
        findings.append(Finding(rule="account-dormant", category="dormant_account", severity="veto", text=text,
                                suggestion=suggestion, note=note, key="account-dormant", **common))
    for kind, problem in state.problems:
        findings.append(Finding(rule="account-frequency", category="dormant_account", severity="major",
                                text=f"{label}更新频率不足", suggestion="按本地要求保持更新频率", note=problem,
                                key=f"account-frequency:{kind}", **common))
    return findings


def unreachable_finding(account: Account, place_url: str, failures: int, error: str | None,
                        thresholds: Thresholds) -> Finding | None:
    """A feed that failed on `failures` consecutive scans (this one included)."""
    if failures < thresholds.account_unreachable_scans:
        return None
    label = f"{PLATFORMS.get(account.platform, account.platform)}「{account.name}」"
    return Finding(
        rule="account-unreachable", category="dormant_account", severity="major",
        text=f"{label}疑似关停或迁移", suggestion="核实账号是否已关停、迁移或更名，并更新备案信息",
        note=f"连续 {failures} 次扫描无法获取该账号的内容：{error or '原因未知'}",
        url=place_url, place=f"account:{account.id}", department=account.department, page_title=label,
        key="account-unreachable",
        extra={"account": account.id, "account_name": account.name, "platform": account.platform,
               "failures": failures},
    )
