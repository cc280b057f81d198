"""Crontab expressions (`schedule.scan`) → APScheduler 3 `CronTrigger`, with crontab's weekdays.

APScheduler 3's `CronTrigger.from_crontab` counts weekdays from Monday = 0, while crontab
counts from Sunday = 0 (and 7 is Sunday too): `0 2 * * 1-5` would run Tuesday to Saturday,
and `0 2 * * 7` would be refused. Here the weekday field is first expanded to day names, so an
expression means what it means in crontab. (As in APScheduler, when both the day of month
and the weekday are restricted, a run needs both to match; crontab runs when either does.)
"""

from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

#: crontab weekday numbers: 0 (and 7) Sunday … 6 Saturday
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _day(token: str) -> int:
    token = token.strip().lower()
    if token in DAY_NAMES:
        return DAY_NAMES.index(token)
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token)
    raise ValueError(f"星期字段中的 {token!r} 应为 0–7（0 和 7 都是星期日）或 sun–sat")


def crontab_weekdays(field: str) -> str:
    """A crontab weekday field → APScheduler's `day_of_week` (day names, or `*`)."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for item in field.split(","):
        part, slash, step_text = item.partition("/")
        if slash and not (step_text.isdigit() and int(step_text) > 0):
            raise ValueError(f"星期字段中的步长 {item!r} 应为正整数")
        step = int(step_text) if slash else 1
        if part == "*":
            first, last = 0, 6
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _day(a), _day(b)
            if last < first:
                raise ValueError(f"星期字段中的范围 {part!r} 应从小到大")
        else:
            first = _day(part)
            last = 6 if slash else first
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(DAY_NAMES[d] for d in sorted(days))


def crontab_trigger(expr: str, timezone: tzinfo | str | None = None) -> CronTrigger:
    """`minute hour day month weekday` as crontab means it. ValueError when it is not valid."""
    values = expr.split()
    if len(values) != 5:
        raise ValueError(f"应有 5 个字段，实际为 {len(values)} 个")
    minute, hour, day, month, weekday = values
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=crontab_weekdays(weekday),
                       timezone=timezone)
