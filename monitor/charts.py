"""Small charts for the summary page as inline SVG: no scripts, no external files, and they
print. Each chart is an <svg role="img"> with a <title> and a text label on every bar, so the
figures are readable without colour (and the same numbers are in the tables below them).
Every label is escaped."""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

FONT = 'font-family="Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, WenQuanYi Micro Hei, sans-serif"'
BAR = "#b5121b"
BAR_LIGHT = "#f1a7ab"
AXIS = "#888"


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" {FONT} font-size="12">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def bar_chart(title: str, items: list[tuple[str, int, int]], first_label: str, second_label: str) -> Markup:
    """Horizontal bars, one per (label, total, part): `part` of each bar (e.g. overdue of
    open) is drawn darker. An empty list draws a note instead of bars."""
    width, label_w, row_h, top = 640, 150, 24, 28
    if not items:
        return _svg(width, 50, title, [f'<text x="0" y="30" fill="#555">{escape(title)}：无</text>'])
    peak = max(max(total for _, total, _ in items), 1)
    bar_w = width - label_w - 70
    height = top + row_h * len(items) + 8
    body = [
        f'<rect x="{label_w}" y="4" width="12" height="12" fill="{BAR_LIGHT}"/>'
        f'<text x="{label_w + 16}" y="14">{escape(first_label)}</text>'
        f'<rect x="{label_w + 120}" y="4" width="12" height="12" fill="{BAR}"/>'
        f'<text x="{label_w + 136}" y="14">{escape(second_label)}</text>'
    ]
    for i, (label, total, part) in enumerate(items):
        y = top + i * row_h
        w = round(bar_w * total / peak, 1)
        pw = round(bar_w * min(part, total) / peak, 1)
        short = label if len(label) <= 11 else label[:10] + "…"
        body.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 8}" fill="{BAR_LIGHT}"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{pw}" height="{row_h - 8}" fill="{BAR}"/>'
            f'<text x="{label_w + w + 6}" y="{y + 15}">{total}{f"（{part}）" if part else ""}</text>'
        )
    body.append(f'<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{height - 6}" stroke="{AXIS}"/>')
    return _svg(width, height, title, body)


def trend_chart(title: str, points: list[tuple[date, int]]) -> Markup:
    """Vertical bars, one per scan date (oldest left), each labelled with its count."""
    width, height, left, bottom, top = 640, 200, 10, 36, 20
    if not points:
        return _svg(width, 50, title, [f'<text x="0" y="30" fill="#555">{escape(title)}：尚无扫描记录</text>'])
    peak = max(max(n for _, n in points), 1)
    slot = (width - left * 2) / len(points)
    bar = min(slot * 0.6, 48)
    plot_h = height - top - bottom
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}" stroke="{AXIS}"/>']
    for i, (day, n) in enumerate(points):
        h = round(plot_h * n / peak, 1)
        x = round(left + i * slot + (slot - bar) / 2, 1)
        y = height - bottom - h
        cx = round(x + bar / 2, 1)
        body.append(
            f'<rect x="{x}" y="{y}" width="{round(bar, 1)}" height="{h}" fill="{BAR}"/>'
            f'<text x="{cx}" y="{y - 4}" text-anchor="middle">{n}</text>'
            f'<text x="{cx}" y="{height - bottom + 16}" text-anchor="middle">{day.strftime("%m-%d")}</text>'
        )
    return _svg(width, height, title, body)
