"""Small charts drawn on the server as SVG: no JavaScript, no CDN, readable in ten seconds.

Every label is escaped: chart text can come from data people typed.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#2f6db5", "#d0822c", "#3f9a5a", "#b8463c", "#7a5bb5", "#5a6270", "#1d9aa8")


def _fmt(value: float, unit: str) -> str:
    text = f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"
    return f"{text}{unit}"


def bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    unit: str = "",
    title: str = "",
    width: int = 460,
    color: str = PALETTE[0],
) -> Markup:
    """A horizontal bar chart: one labelled bar per value, the value written at its end."""
    if not labels:
        return Markup('<p class="muted">–</p>')
    row, label_w, pad = 26, 150, 60
    height = row * len(labels) + 10
    top = max([*values, 0.0]) or 1.0
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}">'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + i * row
        w = max(0.0, (width - label_w - pad) * (value / top))
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" class="lbl">'
            f"{escape(_clip(label))}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
            f'fill="{color}" rx="2"><title>{escape(label)}: {escape(_fmt(value, unit))}</title>'
            f"</rect>"
            f'<text x="{label_w + w + 5:.1f}" y="{y + 16}" class="val">'
            f"{escape(_fmt(value, unit))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked(
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str = "",
    width: int = 460,
    height: int = 200,
) -> Markup:
    """Stacked columns (one per label, e.g. per week) with a legend naming each series."""
    if not labels or not series:
        return Markup('<p class="muted">–</p>')
    names = list(series)
    totals = [sum(series[n][i] for n in names) for i in range(len(labels))]
    top = max([*totals, 0.0]) or 1.0
    legend_h, axis_h, left = 20 * ((len(names) + 2) // 3), 22, 30
    plot_h = height - legend_h - axis_h
    col = (width - left) / len(labels)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}">',
        f'<text x="0" y="12" class="val">{escape(_fmt(top, ""))}</text>',
        f'<line x1="{left}" y1="{plot_h}" x2="{width}" y2="{plot_h}" class="axis"/>',
    ]
    for i, label in enumerate(labels):
        x = left + i * col + col * 0.15
        y = float(plot_h)
        for k, name in enumerate(names):
            value = float(series[name][i])
            h = plot_h * value / top
            if h > 0:
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{col * 0.7:.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(label)} · '
                    f"{escape(name)}: {escape(_fmt(value, ''))}</title></rect>"
                )
        parts.append(
            f'<text x="{x + col * 0.35:.1f}" y="{plot_h + 15}" text-anchor="middle" '
            f'class="lbl">{escape(_clip(label, 8))}</text>'
        )
    for k, name in enumerate(names):
        lx = (k % 3) * (width / 3)
        ly = plot_h + axis_h + 14 + (k // 3) * 20
        parts.append(
            f'<rect x="{lx:.1f}" y="{ly - 10}" width="10" height="10" '
            f'fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{lx + 14:.1f}" y="{ly}" class="lbl">{escape(_clip(name, 22))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _clip(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
