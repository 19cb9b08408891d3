"""The dunning policy: each cooperative's levels (days, fees, interest, texts), the default one and its
letter texts (in English, German in the catalogue; each cooperative gets its own editable copy)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy, override, pgettext_lazy

from invoicing.models import DunningLevel
from smartprod.tenancy.models import Cooperative

# The default letter texts, in English with their German in the catalogue; each cooperative gets its own
# copy of both languages with its policy (DunningLevel.text_de / text_en), which staff may edit.
# {placeholders} are filled by `_fill` when the letter is written.
_TEXT_1 = gettext_lazy(
    """{salutation}

According to our records, our invoice {number} of {invoice_date}, due on {due_date}, has not yet been paid \
in full. An amount of {open_amount} is still open.

This is probably an oversight. Please transfer the open amount within 10 days, by {pay_by}, to our account \
{iban}, quoting the payment reference {rf_reference}.

If you have made the payment in the last few days, please disregard this letter.

Kind regards"""
)


_TEXT_2 = gettext_lazy(
    """{salutation}

Despite our payment reminder, our invoice {number} of {invoice_date}, due on {due_date}, is still unpaid. \
The open amount is {open_amount}.

{composition} Please transfer the total of {total} within 10 days, by {pay_by}, to our account {iban}, \
quoting the payment reference {rf_reference}.

If you have any objection to the invoice, please contact us without delay. If your payment has crossed with \
this letter, please disregard it.

Kind regards"""
)


_TEXT_3 = gettext_lazy(
    """{salutation}

Unfortunately you have not responded to our previous letters: our invoice {number} of {invoice_date}, \
due on {due_date}, is still open with {open_amount}.

This is our final request to transfer the total of {total} within 10 days, by {pay_by}, to our account \
{iban}, quoting the payment reference {rf_reference}. {composition}

If the amount has not reached us by that date, we will take legal steps or pass the claim on to a \
collection agency without further notice, which may cause you further costs.

Kind regards"""
)


# Level names and texts are lazy translations; `_default_policy` writes out both languages.
DEFAULT_POLICY: list[dict[str, Any]] = [
    {
        "level": 1,
        "name": pgettext_lazy("dunning level", "Payment reminder"),
        "days_after_due": 7,
        "fee": Decimal("0.00"),
        "text": _TEXT_1,
    },
    {
        "level": 2,
        "name": pgettext_lazy("dunning level", "First reminder notice"),
        "days_after_due": 21,
        "fee": Decimal("10.00"),
        "text": _TEXT_2,
    },
    {
        "level": 3,
        "name": pgettext_lazy("dunning level", "Final notice"),
        "days_after_due": 35,
        "fee": Decimal("15.00"),
        "charges_interest": True,
        "charges_flat_fee_b2b": True,
        "hands_to_advisor": True,
        "text": _TEXT_3,
    },
]


def _default_policy() -> list[dict[str, Any]]:
    """DEFAULT_POLICY with name_de/name_en and text_de/text_en, translated by the catalogue."""
    specs = []
    for spec in DEFAULT_POLICY:
        each = {key: value for key, value in spec.items() if key not in ("name", "text")}
        for language in ("de", "en"):
            with override(language):
                each[f"name_{language}"] = str(spec["name"])
                each[f"text_{language}"] = str(spec["text"])
        specs.append(each)
    return specs


def dunning_policy(*, cooperative: Cooperative) -> list[DunningLevel]:
    """The cooperative's dunning levels, ordered; the default policy is created on first use.

    Two first uses at the same time are harmless: INSERT … ON CONFLICT DO NOTHING, then read.
    """
    levels = list(DunningLevel.objects.for_cooperative(cooperative).order_by("level"))
    if levels:
        return levels
    DunningLevel.objects.bulk_create(
        [DunningLevel(cooperative=cooperative, **spec) for spec in _default_policy()], ignore_conflicts=True
    )
    return list(DunningLevel.objects.for_cooperative(cooperative).order_by("level"))
