"""The one place money is rounded: Decimal, two places, ROUND_HALF_UP. No floats anywhere."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_DIGITS = 20
DECIMAL_PLACES = 2


def quantize_money(value: Decimal | int | str) -> Decimal:
    """Round to cents, half up (commercial rounding). Refuses floats: they cannot hold cents exactly."""
    if isinstance(value, float):
        raise TypeError("Money must never be a float; pass a Decimal or a string.")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"Not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"Not an amount of money: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, rate_percent: Decimal) -> Decimal:
    """rate_percent % of amount, rounded once, to the cent."""
    return quantize_money(amount * rate_percent / Decimal(100))
