from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.lib.interest import (
    FLAT_RECOVERY_FEE_B2B,
    InterestSegment,
    b2b_rate_for,
    default_interest,
)

# Example base rates (percent). Like the OeNB's, they change on arbitrary days.
BASE_RATES = [
    (date(2025, 6, 11), Decimal("2.00")),
    (date(2026, 6, 11), Decimal("1.50")),
]


def test_flat_recovery_fee_is_forty_euros():
    assert Decimal("40.00") == FLAT_RECOVERY_FEE_B2B


def test_b2b_interest_across_half_year_uses_each_half_years_rate():
    # 1,000.00 due 2026-06-20, as of 2026-07-10.
    # H1 2026: base rate on 2025-12-31 = 2.00 → 11.20 %; days 21.–30. June = 10
    #   1000 × 11.20 / 100 × 10 / 365 = 1120 / 365 = 3.0684… → 3.07
    # H2 2026: base rate on 2026-06-30 = 1.50 (changed 11 June) → 10.70 %; days 1.–10. July = 10
    #   1000 × 10.70 / 100 × 10 / 365 = 1070 / 365 = 2.9315… → 2.93
    # total 6.00
    result = default_interest(
        due_date=date(2026, 6, 20),
        as_of=date(2026, 7, 10),
        open_principal_changes=[(date(2026, 6, 20), Decimal("1000.00"))],
        business=True,
        base_rates=BASE_RATES,
    )
    assert result.segments == [
        InterestSegment(
            start=date(2026, 6, 21),
            end=date(2026, 6, 30),
            days=10,
            principal=Decimal("1000.00"),
            rate=Decimal("11.20"),
            amount=Decimal("3.07"),
        ),
        InterestSegment(
            start=date(2026, 7, 1),
            end=date(2026, 7, 10),
            days=10,
            principal=Decimal("1000.00"),
            rate=Decimal("10.70"),
            amount=Decimal("2.93"),
        ),
    ]
    assert result.total == Decimal("6.00")


def test_b2b_base_rate_change_on_first_of_july_applies_only_next_half_year():
    # § 456 UGB: the base rate of the LAST day of a half-year governs the next half-year.
    # A change effective 2026-07-01 is not yet in force on 2026-06-30, so H2 2026 stays at
    # 2.00 + 9.2 = 11.20 %, and 1.50 + 9.2 = 10.70 % applies from 2027-01-01.
    rates = [(date(2025, 1, 1), Decimal("2.00")), (date(2026, 7, 1), Decimal("1.50"))]
    assert b2b_rate_for(date(2026, 7, 10), rates) == Decimal("11.20")
    assert b2b_rate_for(date(2026, 12, 31), rates) == Decimal("11.20")
    assert b2b_rate_for(date(2027, 1, 1), rates) == Decimal("10.70")
    # Same invoice as above: both halves at 11.20 % → 3.07 + 3.07 = 6.14
    result = default_interest(
        due_date=date(2026, 6, 20),
        as_of=date(2026, 7, 10),
        open_principal_changes=[(date(2026, 6, 20), Decimal("1000.00"))],
        business=True,
        base_rates=rates,
    )
    assert [segment.amount for segment in result.segments] == [Decimal("3.07"), Decimal("3.07")]
    assert result.total == Decimal("6.14")


def test_b2b_interest_with_partial_payment_splits_at_payment_date():
    # 5,000.00 due 2026-03-31; 2,000.00 paid, so 3,000.00 open from 2026-04-30; as of 2026-05-31.
    # Rate H1 2026 = 2.00 + 9.2 = 11.20 %.
    #   1.–29. April:       29 days × 5000 × 0.112 / 365 = 16240 / 365 = 44.4931… → 44.49
    #   30. April–31. May:  32 days × 3000 × 0.112 / 365 = 10752 / 365 = 29.4575… → 29.46
    # total 73.95
    result = default_interest(
        due_date=date(2026, 3, 31),
        as_of=date(2026, 5, 31),
        open_principal_changes=[
            (date(2026, 3, 31), Decimal("5000.00")),
            (date(2026, 4, 30), Decimal("3000.00")),
        ],
        business=True,
        base_rates=BASE_RATES,
    )
    assert [(s.start, s.end, s.days, s.principal, s.amount) for s in result.segments] == [
        (date(2026, 4, 1), date(2026, 4, 29), 29, Decimal("5000.00"), Decimal("44.49")),
        (date(2026, 4, 30), date(2026, 5, 31), 32, Decimal("3000.00"), Decimal("29.46")),
    ]
    assert result.total == Decimal("73.95")


def test_b2c_interest_is_four_percent_flat():
    # 2,400.00 due 2026-01-15, as of 2026-03-16: 16 (Jan) + 28 (Feb) + 16 (Mar) = 60 days
    #   2400 × 4 / 100 × 60 / 365 = 5760 / 365 = 15.7808… → 15.78
    # No base rates needed for consumers.
    result = default_interest(
        due_date=date(2026, 1, 15),
        as_of=date(2026, 3, 16),
        open_principal_changes=[(date(2026, 1, 15), Decimal("2400.00"))],
        business=False,
        base_rates=[],
    )
    assert [(s.days, s.rate, s.amount) for s in result.segments] == [(60, Decimal("4"), Decimal("15.78"))]
    assert result.total == Decimal("15.78")


def test_b2c_interest_in_leap_year_still_divides_by_365():
    # 1,000.00 due 2027-12-31, as of 2028-06-30: 31+29+31+30+31+30 = 182 days
    #   1000 × 0.04 × 182 / 365 = 7280 / 365 = 19.9452… → 19.95 (÷366 would give 19.89)
    result = default_interest(
        due_date=date(2027, 12, 31),
        as_of=date(2028, 6, 30),
        open_principal_changes=[(date(2027, 12, 31), Decimal("1000.00"))],
        business=False,
        base_rates=[],
    )
    assert result.segments[0].days == 182
    assert result.total == Decimal("19.95")


def test_b2b_interest_with_negative_base_rate():
    # 2022 H1: the Austrian base rate was −0.62 % (since 2016-03-16) → −0.62 + 9.2 = 8.58 %.
    # 10,000.00 due 2022-01-31, as of 2022-03-02: 28 + 2 = 30 days
    #   10000 × 0.0858 × 30 / 365 = 25740 / 365 = 70.5205… → 70.52
    result = default_interest(
        due_date=date(2022, 1, 31),
        as_of=date(2022, 3, 2),
        open_principal_changes=[(date(2022, 1, 31), Decimal("10000.00"))],
        business=True,
        base_rates=[(date(2016, 3, 16), Decimal("-0.62"))],
    )
    assert result.segments[0].rate == Decimal("8.58")
    assert result.total == Decimal("70.52")


def test_interest_stops_when_fully_paid():
    # 1,000.00 due 2026-01-31, paid in full on 2026-02-11: interest for 1.–10. Feb only.
    #   10 days × 1000 × 0.04 / 365 = 400 / 365 = 1.0958… → 1.10; nothing afterwards.
    result = default_interest(
        due_date=date(2026, 1, 31),
        as_of=date(2026, 12, 31),
        open_principal_changes=[
            (date(2026, 1, 31), Decimal("1000.00")),
            (date(2026, 2, 11), Decimal("0.00")),
        ],
        business=False,
        base_rates=[],
    )
    assert [(s.start, s.end, s.amount) for s in result.segments] == [
        (date(2026, 2, 1), date(2026, 2, 10), Decimal("1.10"))
    ]
    assert result.total == Decimal("1.10")


def test_interest_not_yet_overdue_is_zero():
    for as_of in (date(2026, 1, 30), date(2026, 1, 31)):
        result = default_interest(
            due_date=date(2026, 1, 31),
            as_of=as_of,
            open_principal_changes=[(date(2026, 1, 31), Decimal("1000.00"))],
            business=True,
            base_rates=BASE_RATES,
        )
        assert result.total == Decimal("0.00")
        assert result.segments == []


def test_interest_first_day_after_due_date_counts():
    # One day: 36500.00 × 4 % / 365 = 4.00 exactly.
    result = default_interest(
        due_date=date(2026, 1, 31),
        as_of=date(2026, 2, 1),
        open_principal_changes=[(date(2026, 1, 31), Decimal("36500.00"))],
        business=False,
        base_rates=[],
    )
    assert result.total == Decimal("4.00")


def test_interest_unchanged_principal_entry_does_not_split():
    result = default_interest(
        due_date=date(2026, 1, 31),
        as_of=date(2026, 3, 31),
        open_principal_changes=[
            (date(2026, 1, 31), Decimal("500.00")),
            (date(2026, 3, 1), Decimal("500.00")),
        ],
        business=False,
        base_rates=[],
    )
    assert len(result.segments) == 1


def test_b2b_interest_without_known_base_rate_raises():
    with pytest.raises(ValueError, match="2025-12-31"):
        default_interest(
            due_date=date(2026, 1, 31),
            as_of=date(2026, 2, 28),
            open_principal_changes=[(date(2026, 1, 31), Decimal("1000.00"))],
            business=True,
            base_rates=[(date(2026, 1, 1), Decimal("2.00"))],
        )


def test_interest_duplicate_principal_dates_raise():
    with pytest.raises(ValueError, match="same date"):
        default_interest(
            due_date=date(2026, 1, 31),
            as_of=date(2026, 2, 28),
            open_principal_changes=[(date(2026, 2, 1), Decimal("1.00")), (date(2026, 2, 1), Decimal("2.00"))],
            business=False,
            base_rates=[],
        )


# --- properties ----------------------------------------------------------------------------------------

LONG_RATES = [
    (date(2015, 1, 1), Decimal("0.05")),
    (date(2016, 3, 16), Decimal("-0.62")),
    (date(2023, 2, 8), Decimal("1.88")),
    (date(2023, 9, 20), Decimal("3.88")),
    (date(2024, 6, 12), Decimal("3.53")),
    (date(2025, 3, 12), Decimal("1.90")),
]

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000.00"), places=2)
days = st.dates(min_value=date(2016, 1, 1), max_value=date(2028, 12, 31))


@st.composite
def principal_histories(draw):
    due = draw(days)
    history = [(due, draw(amounts))]
    for offset in sorted(draw(st.sets(st.integers(min_value=1, max_value=800), max_size=4))):
        history.append((due + timedelta(days=offset), draw(st.one_of(amounts, st.just(Decimal("0.00"))))))
    return due, history


def _exact_daily_sum(due, as_of, history, business):
    """Independent oracle: add up each day's interest unrounded (principal × rate / 36500)."""
    total = Decimal(0)
    day = due + timedelta(days=1)
    while day <= as_of:
        principal = [amount for changed_on, amount in history if changed_on <= day][-1]
        if principal > 0:
            if business:
                half_year = date(day.year, 1 if day.month <= 6 else 7, 1)
                reference = half_year - timedelta(days=1)
                base = [rate for valid_from, rate in LONG_RATES if valid_from <= reference][-1]
                rate = base + Decimal("9.2")
            else:
                rate = Decimal(4)
            total += principal * rate / Decimal(36500)
        day += timedelta(days=1)
    return total


@settings(max_examples=60, deadline=None)
@given(principal_histories(), st.integers(min_value=0, max_value=900), st.booleans())
def test_interest_rounding_per_segment_stays_within_half_a_cent_each(history_case, length, business):
    due, history = history_case
    as_of = due + timedelta(days=length)
    result = default_interest(
        due_date=due, as_of=as_of, open_principal_changes=history, business=business, base_rates=LONG_RATES
    )
    exact = _exact_daily_sum(due, as_of, history, business)
    assert abs(result.total - exact) <= Decimal("0.005") * len(result.segments)
    assert sum(segment.days for segment in result.segments) == sum(
        1
        for offset in range(1, length + 1)
        if [a for d, a in history if d <= due + timedelta(days=offset)][-1] > 0
    )


@settings(max_examples=60, deadline=None)
@given(principal_histories(), st.integers(min_value=0, max_value=900), st.booleans())
def test_interest_is_monotone_in_as_of(history_case, length, business):
    due, history = history_case
    as_of = due + timedelta(days=length)

    def total(day):
        return default_interest(
            due_date=due, as_of=day, open_principal_changes=history, business=business, base_rates=LONG_RATES
        ).total

    assert total(as_of) <= total(as_of + timedelta(days=1))
    assert total(as_of) <= total(as_of + timedelta(days=200))
