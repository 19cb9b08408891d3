"""Server-side charts as inline SVG: no JavaScript, no CDN, readable on a phone.

Coordinates are computed with Decimal (money never passes through a float) and every text that lands in
the markup is escaped, so the result can be marked safe and inlined into a page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH, HEIGHT, FONT_SIZE = 420, 220, 14
RIGHT, TOP, BOTTOM = 10, 10, 30  # room for the date labels below; the amounts' room is measured
PLOT_H = HEIGHT - TOP - BOTTOM
DIGIT_WIDTH_X2 = 17  # twice the width of a digit at FONT_SIZE, generously (integers: no floats here)
PIXEL = Decimal("0.1")


def _amount_label(value: Decimal) -> str:
    return str(formats.number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True))


def _date_label(value: date) -> str:
    return str(formats.date_format(value, "SHORT_DATE_FORMAT"))


def _px(value: Decimal) -> str:
    return str(value.quantize(PIXEL, rounding=ROUND_HALF_UP))


def _nice_step(span: Decimal, ticks: int = 4) -> Decimal:
    """1, 2 or 5 times a power of ten, so that about `ticks` steps cover the span."""
    raw = span / ticks
    magnitude = Decimal(10) ** raw.adjusted()
    for multiple in (1, 2, 5, 10):
        step = multiple * magnitude
        if step >= raw:
            return step
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _last_per_day(points: Sequence[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    """Several bookings on one day: the day ends on the last running balance."""
    by_day: dict[date, Decimal] = {}
    for day, balance in sorted(points, key=lambda point: point[0]):
        by_day[day] = Decimal(balance)
    return sorted(by_day.items())


def balance_chart(
    points: Sequence[tuple[date, Decimal]],
    *,
    until: date | None = None,
    title: str | None = None,
    amount_label: Callable[[Decimal], str] = _amount_label,
    date_label: Callable[[date], str] = _date_label,
) -> SafeString:
    """The running balance as a step line: it starts at 0 and jumps on each booking day.

    `points` are (date, balance after that booking); `until` extends the last step (e.g. to today).
    Returns standalone SVG markup; with no points it shows an empty frame and a note.
    """
    title = _("Budget balance over time") if title is None else title
    days = _last_per_day(points)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" class="balance-chart" '
        f'font-family="system-ui, sans-serif" font-size="{FONT_SIZE}">'
        f"<title>{escape(title)}</title>"
    )
    if not days:
        return mark_safe(  # every text is escaped
            f'{head}<rect x="1" y="{TOP}" width="{WIDTH - 2}" height="{PLOT_H}" fill="none" '
            f'stroke="#d9e0e7" class="chart-frame"/>'
            f'<text x="{WIDTH // 2}" y="{TOP + PLOT_H // 2}" text-anchor="middle" fill="#5f6b7a" '
            f'class="chart-empty">{escape(_("No bookings yet"))}</text></svg>'
        )

    first_day = days[0][0]
    last_day = max(days[-1][0], until or days[-1][0])
    if last_day == first_day:
        last_day = date.fromordinal(first_day.toordinal() + 1)  # one day: still a visible step
    day_span = Decimal(last_day.toordinal() - first_day.toordinal())

    balances = [balance for _day, balance in days]
    low, high = min([Decimal(0), *balances]), max([Decimal(0), *balances])
    if low == high:
        high = Decimal(100)
    step = _nice_step(high - low)
    low = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    high = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    amount_span = high - low
    ticks = [low + step * n for n in range(int((high - low) / step) + 1)]
    tick_labels = [amount_label(tick) for tick in ticks]
    left = max(len(label) for label in tick_labels) * DIGIT_WIDTH_X2 // 2 + 12
    plot_w = WIDTH - left - RIGHT

    def x_of(day: date) -> Decimal:
        return left + plot_w * Decimal(day.toordinal() - first_day.toordinal()) / day_span

    def y_of(amount: Decimal) -> Decimal:
        return TOP + PLOT_H * (high - amount) / amount_span

    parts: list[str] = [
        head,
        f'<rect x="{left}" y="{TOP}" width="{plot_w}" height="{PLOT_H}" fill="none" '
        f'stroke="#d9e0e7" class="chart-frame"/>',
    ]
    for tick, label in zip(ticks, tick_labels, strict=True):
        y = _px(y_of(tick))
        zero = tick == 0
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{left + plot_w}" y2="{y}" '
            f'stroke="{"#5f6b7a" if zero else "#eef1f4"}" class="{"chart-zero" if zero else "chart-grid"}"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y}" dy="5" text-anchor="end" fill="#5f6b7a" class="chart-label">'
            f"{escape(label)}</text>"
        )

    # From 0 to the first balance; then across to each next booking day and up or down to its balance.
    path = [f"M{_px(x_of(first_day))} {_px(y_of(Decimal(0)))}", f"V{_px(y_of(days[0][1]))}"]
    for day, balance in days[1:]:
        path.append(f"H{_px(x_of(day))}")
        path.append(f"V{_px(y_of(balance))}")
    path.append(f"H{_px(x_of(last_day))}")
    parts.append(
        f'<path d="{" ".join(path)}" fill="none" stroke="#0f766e" stroke-width="2.5" '
        f'stroke-linejoin="round" class="chart-line"/>'
    )
    for day, balance in days:
        label = f"{date_label(day)}: {amount_label(balance)}"
        parts.append(
            f'<circle cx="{_px(x_of(day))}" cy="{_px(y_of(balance))}" r="3.5" fill="#0f766e" '
            f'class="chart-point"><title>{escape(label)}</title></circle>'
        )

    baseline = TOP + PLOT_H + 21
    parts.append(
        f'<text x="{left}" y="{baseline}" text-anchor="start" fill="#5f6b7a" class="chart-label">'
        f"{escape(date_label(first_day))}</text>"
    )
    parts.append(
        f'<text x="{left + plot_w}" y="{baseline}" text-anchor="end" fill="#5f6b7a" class="chart-label">'
        f"{escape(date_label(last_day))}</text>"
    )
    parts.append(f"<desc>{escape(_describe(days, amount_label, date_label))}</desc>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def _describe(
    days: Sequence[tuple[date, Decimal]],
    amount_label: Callable[[Decimal], str],
    date_label: Callable[[date], str],
) -> str:
    return _("%(count)s booking days from %(first)s to %(last)s; balance now %(balance)s.") % {
        "count": len(days),
        "first": date_label(days[0][0]),
        "last": date_label(days[-1][0]),
        "balance": amount_label(days[-1][1]),
    }
