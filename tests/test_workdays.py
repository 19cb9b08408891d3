"""Working days against the legal holiday lists, by hand (sources in smartprod/core/workdays.py)."""

from datetime import date

import pytest

from smartprod.core.workdays import (
    add_working_days,
    is_target2_day,
    is_working_day,
    next_target2_day,
    public_holidays,
    working_days_between,
)

# § 7 Abs. 2 ARG, computed by hand for 2026 (Easter Sunday 5 April 2026).
AT_2026 = [
    date(2026, 1, 1), date(2026, 1, 6), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 14),
    date(2026, 5, 25), date(2026, 6, 4), date(2026, 8, 15), date(2026, 10, 26), date(2026, 11, 1),
    date(2026, 12, 8), date(2026, 12, 25), date(2026, 12, 26),
]  # fmt: skip
# Nationwide German holidays 2026.
DE_2026 = [
    date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 14),
    date(2026, 5, 25), date(2026, 10, 3), date(2026, 12, 25), date(2026, 12, 26),
]  # fmt: skip


def test_public_holidays_2026_match_the_legal_lists():
    assert [day for day, _ in public_holidays("AT", 2026)] == AT_2026
    assert [day for day, _ in public_holidays("DE", 2026)] == DE_2026


def test_easter_dependent_holidays_move_with_easter():
    # Easter Sunday 28 March 2027: Easter Monday 29 March, Ascension 6 May, Whit Monday 17 May,
    # Corpus Christi 27 May.
    at_2027 = {day for day, _ in public_holidays("AT", 2027)}
    assert {date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17), date(2027, 5, 27)} <= at_2027
    assert date(2027, 3, 26) in {day for day, _ in public_holidays("DE", 2027)}  # Good Friday
    assert date(2027, 3, 26) not in at_2027  # not a public holiday in Austria


def test_add_working_days_across_easter_and_8_december():
    # Approved Thu 2 April 2026, 3 working days in Austria: Fri 3, (Easter Mon 6 off) Tue 7, Wed 8.
    assert add_working_days(date(2026, 4, 2), 3, "AT") == date(2026, 4, 8)
    # In Germany Good Friday is a holiday too: Tue 7, Wed 8, Thu 9.
    assert add_working_days(date(2026, 4, 2), 3, "DE") == date(2026, 4, 9)
    # 8 December 2026 is a Tuesday: approved Friday 4 Dec, 2 working days: Mon 7, (Tue 8 off) Wed 9.
    assert add_working_days(date(2026, 12, 4), 2, "AT") == date(2026, 12, 9)
    assert add_working_days(date(2026, 12, 4), 2, "DE") == date(2026, 12, 8)
    # Saturday + 1 working day is Monday; 0 working days from a Sunday is the next working day.
    assert add_working_days(date(2026, 11, 28), 1, "AT") == date(2026, 11, 30)
    assert add_working_days(date(2026, 11, 29), 0, "AT") == date(2026, 11, 30)
    # Christmas in Austria: Wed 23 Dec + 3 → Thu 24 (a working day), (Fri 25, Sat 26 off) Mon 28, Tue 29.
    assert add_working_days(date(2026, 12, 23), 3, "AT") == date(2026, 12, 29)


def test_working_days_between_is_the_inverse():
    start = date(2026, 3, 30)
    for n in range(0, 30):
        end = add_working_days(start, n, "AT")
        assert working_days_between(start, end, "AT") == n
    assert working_days_between(date(2026, 4, 8), date(2026, 4, 2), "AT") == -3


def test_target2_calendar():
    assert not is_target2_day(date(2026, 4, 3))  # Good Friday: TARGET2 closed even where it is no holiday
    assert not is_target2_day(date(2026, 12, 26))
    assert is_target2_day(date(2026, 12, 8))  # an Austrian holiday, but TARGET2 settles
    assert next_target2_day(date(2026, 12, 24)) == date(2026, 12, 24)
    assert next_target2_day(date(2026, 12, 25)) == date(2026, 12, 28)
    assert next_target2_day(date(2027, 1, 1)) == date(2027, 1, 4)
    assert is_working_day(date(2026, 4, 3), "AT") and not is_working_day(date(2026, 4, 3), "DE")


def test_unknown_country_is_refused():
    with pytest.raises(ValueError, match="No public holiday calendar"):
        is_working_day(date(2026, 1, 2), "XX")
