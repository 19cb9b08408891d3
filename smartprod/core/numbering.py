"""Gapless document numbers: one counter row per (cooperative, series, year), locked while a number is taken.

Any app numbers its documents here (invoices and credit notes, fee notes, payslips, payout runs): the
series is the app's own name for it ("invoice", "fee_note", …). The number is taken inside the caller's
transaction, so a rolled-back issue gives its number back and the series has no gap; concurrent callers
of one series wait for each other on the counter row (take it after the document's own locks, see
`smartprod.core.locks`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from smartprod.core.models import NumberCounter


def number_next(*, cooperative: Any, series: str, year: int) -> int:
    """The next number of the cooperative's `series` in `year` (1, 2, 3, … without gaps)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_next runs inside the transaction that uses the number.")
    NumberCounter.objects.bulk_create(
        [NumberCounter(cooperative=cooperative, series=series, year=year)],
        ignore_conflicts=True,
    )
    counter = (
        NumberCounter.objects.for_cooperative(cooperative).select_for_update().get(series=series, year=year)
    )
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number
