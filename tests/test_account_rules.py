"""New-media accounts (RULES.md §3): dormant (睡眠) and zombie (僵尸) accounts, the optional
local update rules, and feeds that keep failing — at and around each threshold, with the
scan date fixed. Accounts and posts are fictional."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import get_args
from zoneinfo import ZoneInfo

import pytest

from monitor.checks.accounts import (
    PLATFORMS, STATUS_LABELS, AccountState, account_findings, assess_account, limits, unreachable_finding,
)
from monitor.config import Account, Thresholds
from monitor.feeds import Feed, Post
from monitor.finding import Finding

SH = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc
TODAY = date(2026, 11, 20)  # the scan date (as_of)
FEED_URL = "https://rsshub.example.org/weibo/user/5550001234"
DEFAULTS = Thresholds()


def account(**kw) -> Account:
    values = dict(id="qs-weibo", platform="weibo", name="青山发布", department="xcb", feed=FEED_URL)
    return Account(**{**values, **kw})


def post(days_ago: int, *, pinned: bool = False, hour: int = 10, n: int = 0) -> Post:
    """A post `days_ago` days before the scan date, at `hour` Beijing time."""
    when = datetime.combine(TODAY - timedelta(days=days_ago), time(hour, n % 60), SH)
    return Post(id=f"p{days_ago}-{n}", title=f"{days_ago} 天前的第 {n} 条", text="正文", published=when,
                link=f"https://m.weibo.cn/detail/{days_ago}{n:03d}", pinned=pinned)


def feed(*posts: Post) -> Feed:
    return Feed("rss", "青山发布的微博", list(posts))


def assess(acc: Account, fd: Feed | None, today: date = TODAY, thresholds: Thresholds = DEFAULTS,
           error: str | None = None) -> AccountState:
    return assess_account(acc, fd, error, today, SH, thresholds)


def judge(acc: Account, fd: Feed | None, today: date = TODAY,
          thresholds: Thresholds = DEFAULTS) -> tuple[AccountState, list[Finding]]:
    state = assess(acc, fd, today, thresholds)
    return state, account_findings(state, acc, thresholds, FEED_URL)


def only(findings: list[Finding], rule: str) -> Finding:
    matching = [f for f in findings if f.rule == rule]
    assert len(matching) == 1, findings
    return matching[0]


# ------------------------------------------------------------------------------ active, dormant, zombie

def test_an_account_that_posted_three_days_ago_is_active():
    state, findings = judge(account(), feed(post(3), post(9), post(30)))
    assert state.status == "active" and STATUS_LABELS[state.status] == "正常"
    assert state.days_silent == 3
    assert state.newest == datetime.combine(TODAY - timedelta(days=3), time(10), SH)
    assert state.posts == 3 and not state.pinned_only
    assert findings == []


def test_a_post_today_is_zero_days_silent():
    state, findings = judge(account(), feed(post(0)))
    assert (state.status, state.days_silent, findings) == ("active", 0, [])


def test_fourteen_days_silent_is_still_active():
    state, findings = judge(account(), feed(post(14), post(40)))
    assert state.status == "active" and state.days_silent == 14
    assert findings == []


def test_fifteen_days_silent_is_dormant_and_a_veto():
    state, findings = judge(account(), feed(post(15), post(40)))
    assert state.status == "dormant" and STATUS_LABELS["dormant"] == "睡眠"
    assert state.days_silent == 15
    f = only(findings, "account-dormant")
    assert len(findings) == 1
    assert (f.category, f.severity) == ("dormant_account", "veto")
    assert f.text == "微博「青山发布」 15 天未更新"  # platform, name and days
    assert "最新发布 2026-11-05" in f.note and "已 15 天" in f.note
    assert "14 天内无更新属单项否决" in f.note and "置顶内容不计为更新" in f.note
    assert f.suggestion == "及时发布信息"
    assert f.url == FEED_URL and f.department == "xcb" and f.page_title == "微博「青山发布」"
    assert f.extra == {"account": "qs-weibo", "account_name": "青山发布", "platform": "weibo",
                       "days_silent": 15, "status": "dormant"}


def test_eighty_nine_days_is_dormant_ninety_is_zombie():
    state, findings = judge(account(), feed(post(89)))
    assert state.status == "dormant"
    assert "僵尸" not in only(findings, "account-dormant").note
    state, findings = judge(account(), feed(post(90)))
    assert state.status == "zombie" and STATUS_LABELS["zombie"] == "僵尸"
    f = only(findings, "account-dormant")
    assert (f.category, f.severity) == ("dormant_account", "veto")
    assert f.text == "微博「青山发布」 90 天未更新"
    assert "僵尸" in f.note and "关停" in f.note and "注销" in f.note
    assert "关停" in f.suggestion and "注销" in f.suggestion


@pytest.mark.parametrize("fd", [feed(), Feed("weibo")])
def test_an_account_that_never_posted_is_a_zombie(fd):
    state, findings = judge(account(), fd)
    assert state.status == "zombie"
    assert state.newest is None and state.days_silent is None and state.posts == 0
    assert not state.pinned_only
    f = only(findings, "account-dormant")
    assert f.severity == "veto"
    assert f.text == "微博「青山发布」从未发布信息"
    assert "无任何（非置顶）发布" in f.note
    assert "关停" in f.suggestion and "注销" in f.suggestion


def test_an_account_with_only_pinned_posts_is_a_zombie_however_recent_the_pin():
    state, findings = judge(account(), feed(post(1, pinned=True), post(200, pinned=True, n=1)))
    assert state.status == "zombie"
    assert state.pinned_only and state.posts == 0 and state.newest is None
    f = only(findings, "account-dormant")
    assert f.text == "微博「青山发布」只有置顶信息，无其他发布"
    assert "置顶内容不计为更新" in f.note


def test_a_fresh_pinned_post_does_not_hide_a_dormant_account():
    state, findings = judge(account(), feed(post(0, pinned=True), post(20)))
    assert state.status == "dormant" and state.days_silent == 20
    assert not state.pinned_only and state.posts == 1
    assert only(findings, "account-dormant").text == "微博「青山发布」 20 天未更新"


def test_undated_posts_do_not_count_and_do_not_make_it_pinned_only():
    undated = Post(id="u1", title="无日期", text="正文")
    state, findings = judge(account(), feed(undated, post(3, pinned=True)))
    # posts whose dates cannot be read: silence cannot be told from an unknown date format
    assert state.status == "undated" and "人工检查" in state.error and STATUS_LABELS["undated"] == "无法判断"
    assert findings == [] and not state.pinned_only


def test_the_platform_label_names_the_platform_in_chinese():
    acc = account(id="qs-mp", platform="wechat", name="青山市场监管")
    f = only(judge(acc, feed(post(30)))[1], "account-dormant")
    assert f.text == "微信公众号「青山市场监管」 30 天未更新"
    account_platforms = get_args(Account.model_fields["platform"].annotation)
    assert set(account_platforms) <= set(PLATFORMS)


def test_unreachable_when_there_is_no_feed():
    state, findings = judge(account(), None)
    assert state.status == "unreachable" and STATUS_LABELS["unreachable"] == "无法访问"
    assert findings == []  # the unreachable finding needs the scan history (unreachable_finding)
    state = assess(account(), None, error="HTTP 503")
    assert state.error == "HTTP 503" and state.days_silent is None


# ------------------------------------------------------------------------------ limits

def test_per_account_limits_override_the_thresholds():
    acc = account(dormant_days=7, zombie_days=30)
    assert limits(acc, DEFAULTS) == (7, 30)
    assert limits(account(), DEFAULTS) == (14, 90)
    assert assess(acc, feed(post(7))).status == "active"
    state, findings = judge(acc, feed(post(8)))
    assert state.status == "dormant"
    assert "7 天内无更新属单项否决" in only(findings, "account-dormant").note
    state, findings = judge(acc, feed(post(30)))
    assert state.status == "zombie"
    assert "已达 30 天" in only(findings, "account-dormant").note


def test_office_wide_thresholds_apply_when_the_account_has_none():
    strict = Thresholds(account_dormant_days=10, account_zombie_days=60)
    assert limits(account(), strict) == (10, 60)
    assert assess(account(), feed(post(10)), thresholds=strict).status == "active"
    assert assess(account(), feed(post(11)), thresholds=strict).status == "dormant"
    assert assess(account(), feed(post(60)), thresholds=strict).status == "zombie"
    # the account's own limit still wins
    assert assess(account(dormant_days=20), feed(post(15)), thresholds=strict).status == "active"


# ------------------------------------------------------------------------------ dates

def test_posts_dated_far_after_the_scan_date_are_ignored_tomorrow_counts_as_today():
    state, findings = judge(account(), feed(post(-30, n=1), post(20)))
    assert state.status == "dormant" and state.days_silent == 20
    assert state.recent_posts == 0
    assert state.newest == datetime.combine(TODAY - timedelta(days=20), time(10), SH)
    # a feed writing Beijing time with a Z is hours "ahead": that post is today's
    state = assess(account(), feed(post(-1), post(20)))
    assert state.status == "active" and state.days_silent == 0


def test_only_future_posts_means_no_update_at_all():
    state = assess(account(), feed(post(-2)))
    assert state.status == "zombie" and state.newest is None


def test_recent_posts_counts_the_last_fourteen_days_including_today():
    # day 0 (today) … day 13 are the last 14 days; day 14 is the fifteenth
    state = assess(account(), feed(post(0), post(0, n=1), post(6), post(13), post(14), post(20), post(-1)))
    assert state.recent_posts == 5  # tomorrow's post counts as today's
    assert state.posts == 7 and state.days_silent == 0


def test_a_post_late_in_the_evening_beijing_time_counts_on_that_beijing_day():
    # 23:30 Beijing on the 6th, written in UTC and in New York time: the 6th, 14 days before the 20th
    for when in (datetime(2026, 11, 6, 15, 30, tzinfo=UTC),
                 datetime(2026, 11, 6, 10, 30, tzinfo=ZoneInfo("America/New_York"))):
        state = assess(account(), feed(Post("late", published=when)))
        assert state.days_silent == 14 and state.status == "active"
        assert state.newest.date() == date(2026, 11, 6)


def test_a_post_just_after_midnight_beijing_counts_on_the_beijing_day_not_the_utc_one():
    early = Post("early", published=datetime(2026, 11, 5, 16, 30, tzinfo=UTC))  # 00:30 on the 6th in Beijing
    assert assess(account(), feed(early)).days_silent == 14  # the UTC date (the 5th) would make it dormant
    older = Post("older", published=datetime(2026, 11, 4, 20, 0, tzinfo=UTC))  # 04:00 on the 5th in Beijing
    state, findings = judge(account(), feed(older))
    assert state.status == "dormant" and state.days_silent == 15
    assert state.newest.utcoffset() == timedelta(hours=8)
    assert "最新发布 2026-11-05" in only(findings, "account-dormant").note  # the Beijing date people know


def test_state_to_dict_is_json_ready():
    state = assess(account(), feed(post(3)))
    out = state.to_dict()
    assert out["newest"] == "2026-11-17T10:00:00+08:00"
    assert out["status"] == "active" and out["account"] == "qs-weibo" and out["platform"] == "weibo"
    assert assess(account(), feed()).to_dict()["newest"] is None


# ------------------------------------------------------------------------------ local rules

def test_fewer_posts_a_week_than_the_local_rule_is_a_major_finding():
    acc = account(min_posts_per_week=3)
    eight = feed(*(post(d) for d in (0, 2, 5, 9, 12, 16, 20, 27)), post(28), post(40))  # 8 in the last 28 days
    state, findings = judge(acc, eight)
    assert state.status == "active"
    f = only(findings, "account-frequency")
    assert len(findings) == 1
    assert (f.category, f.severity) == ("dormant_account", "major")
    assert f.text == "微博「青山发布」更新频率不足"
    assert f.note == "近 28 天平均每周发布 2.0 条，少于本地要求的每周 3 条"
    assert f.key == "account-frequency:per-week"


def test_enough_posts_a_week_is_no_finding():
    twelve = feed(*(post(d, n=i) for i, d in enumerate([0, 1, 3, 5, 7, 9, 11, 13, 16, 20, 24, 27])), post(40, n=99))
    assert judge(account(min_posts_per_week=3), twelve)[1] == []
    assert judge(account(min_posts_per_week=3.5), twelve)[1] != []


def test_pinned_posts_do_not_count_towards_the_weekly_rule():
    pins = feed(*(post(d, pinned=True, n=d) for d in range(0, 28, 2)), post(1), post(60, n=99))
    state, findings = judge(account(min_posts_per_week=1), pins)
    assert "平均每周发布 0.2 条" in only(findings, "account-frequency").note


def test_the_weekly_rule_waits_for_a_feed_that_reaches_back_four_weeks():
    # a feed of the last ten daily posts (RSSHub gives 10–20 items) says nothing about a month
    ten = feed(*(post(d, n=d) for d in range(10)))
    assert judge(account(min_posts_per_week=3), ten)[1] == []


def test_a_gap_longer_than_the_local_rule_is_a_major_finding():
    acc = account(max_gap_days=10)
    state, findings = judge(acc, feed(post(2), post(17), post(23)))  # gaps: 2, 15, 6 days
    assert state.status == "active"
    f = only(findings, "account-frequency")
    assert f.severity == "major"
    assert f.note == "近 90 天内最长 15 天未发布，超过本地要求的 10 天"
    assert f.key == "account-frequency:gap"


def test_a_gap_of_exactly_the_local_limit_is_fine():
    assert judge(account(max_gap_days=10), feed(post(2), post(12), post(22)))[1] == []


def test_the_silence_since_the_last_post_is_a_gap_too():
    findings = judge(account(max_gap_days=10), feed(post(12), post(13)))[1]
    assert "最长 12 天未发布" in only(findings, "account-frequency").note


def test_a_gap_reaching_back_past_the_ninety_day_window_counts_up_to_the_window():
    # one post 5 days ago, the one before 200 days ago: 85 silent days inside the window
    findings = judge(account(max_gap_days=10), feed(post(5), post(200)))[1]
    assert "最长 85 天未发布" in only(findings, "account-frequency").note
    # nothing inside the window at all: the whole window is the gap (besides the zombie veto)
    state, findings = judge(account(max_gap_days=10), feed(post(120)))
    assert state.status == "zombie"
    assert "最长 90 天未发布" in only(findings, "account-frequency").note
    assert only(findings, "account-dormant").severity == "veto"


def test_both_local_rules_give_two_findings_with_different_fingerprints():
    state, findings = judge(account(min_posts_per_week=3, max_gap_days=7), feed(post(1), post(20), post(40)))
    assert sorted(f.key for f in findings) == ["account-frequency:gap", "account-frequency:per-week"]
    assert len({f.fingerprint for f in findings}) == 2


def test_without_local_rules_there_are_no_frequency_findings():
    assert judge(account(), feed(post(1), post(13)))[1] == []


# ------------------------------------------------------------------------------ one problem, one fingerprint

def test_dormant_for_twenty_then_twenty_one_days_is_one_finding():
    last = feed(Post("last", published=datetime(2026, 10, 31, 9, 0, tzinfo=SH)))
    _, day1 = judge(account(), last, today=date(2026, 11, 20))
    _, day2 = judge(account(), last, today=date(2026, 11, 21))
    a, b = only(day1, "account-dormant"), only(day2, "account-dormant")
    assert "20 天" in a.text and "21 天" in b.text
    assert a.fingerprint == b.fingerprint


def test_dormant_turning_zombie_stays_the_same_finding():
    last = feed(post(0))
    _, dormant = judge(account(), last, today=TODAY + timedelta(days=80))
    _, zombie = judge(account(), last, today=TODAY + timedelta(days=95))
    assert only(zombie, "account-dormant").note != only(dormant, "account-dormant").note
    assert only(zombie, "account-dormant").fingerprint == only(dormant, "account-dormant").fingerprint


def test_frequency_fingerprints_ignore_the_figures():
    acc = account(min_posts_per_week=5, max_gap_days=3)
    _, few = judge(acc, feed(post(1), post(9), post(20), post(50)))
    _, fewer = judge(acc, feed(post(2), post(26), post(50)), today=TODAY + timedelta(days=1))
    for key in ("account-frequency:per-week", "account-frequency:gap"):
        a = next(f for f in few if f.key == key)
        b = next(f for f in fewer if f.key == key)
        assert a.note != b.note  # a different count or gap…
        assert a.fingerprint == b.fingerprint  # …is still the same problem


def test_different_accounts_have_different_fingerprints():
    other = account(id="qs-douyin", platform="douyin", name="青山融媒")
    a = only(judge(account(), feed(post(30)))[1], "account-dormant")
    state = assess(other, feed(post(30)))
    b = only(account_findings(state, other, DEFAULTS, "https://rsshub.example.org/douyin/user/fake"),
             "account-dormant")
    assert a.fingerprint != b.fingerprint


# ------------------------------------------------------------------------------ unreachable feeds

def test_an_unreachable_feed_below_the_threshold_is_not_yet_a_finding():
    assert unreachable_finding(account(), FEED_URL, 1, "HTTP 503", DEFAULTS) is None
    assert unreachable_finding(account(), FEED_URL, 2, "HTTP 503", DEFAULTS) is None


def test_an_unreachable_feed_at_the_threshold_is_a_major_finding():
    f = unreachable_finding(account(), FEED_URL, 3, "HTTP 404", DEFAULTS)
    assert f is not None
    assert (f.rule, f.category, f.severity) == ("account-unreachable", "dormant_account", "major")
    assert f.text == "微博「青山发布」疑似关停或迁移"
    assert f.note == "连续 3 次扫描无法获取该账号的内容：HTTP 404"
    assert "更名" in f.suggestion and "备案" in f.suggestion
    assert f.url == FEED_URL and f.department == "xcb"
    assert f.extra["failures"] == 3 and f.extra["account"] == "qs-weibo"


def test_unreachable_finding_keeps_its_fingerprint_as_failures_go_on():
    third = unreachable_finding(account(), FEED_URL, 3, "HTTP 404", DEFAULTS)
    tenth = unreachable_finding(account(), FEED_URL, 10, "连接超时", DEFAULTS)
    assert "连续 10 次" in tenth.note and "连接超时" in tenth.note
    assert third.fingerprint == tenth.fingerprint
    assert unreachable_finding(account(), FEED_URL, 4, None, DEFAULTS).note.endswith("原因未知")


def test_the_unreachable_threshold_is_configurable():
    once = Thresholds(account_unreachable_scans=1)
    assert unreachable_finding(account(), FEED_URL, 1, "HTTP 500", once) is not None
    patient = Thresholds(account_unreachable_scans=5)
    assert unreachable_finding(account(), FEED_URL, 4, "HTTP 500", patient) is None
    assert unreachable_finding(account(), FEED_URL, 5, "HTTP 500", patient) is not None


def test_the_three_account_rules_never_share_a_fingerprint():
    acc = account(min_posts_per_week=3)
    _, findings = judge(acc, feed(post(40)))
    findings.append(unreachable_finding(acc, FEED_URL, 3, "HTTP 404", DEFAULTS))
    assert sorted(f.rule for f in findings) == ["account-dormant", "account-frequency", "account-unreachable"]
    assert len({f.fingerprint for f in findings}) == 3
