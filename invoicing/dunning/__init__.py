"""Dunning (Mahnwesen): move overdue invoices up the cooperative's policy, one letter per level, exactly once.

The daily run finds candidates with one query per cooperative that only reads the partial index of open,
unblocked invoices (`invoice_open_due`), so its cost follows the overdue invoices, not all invoices. Each
invoice is then claimed in its own short transaction: its row is locked with SKIP LOCKED (a concurrent run or
a payment being booked holds it: skipped, the next run sees it again), re-checked, and the notice is created;
the unique constraint (invoice, level) is the last guard. The letter is rendered and e-mailed by a worker
after commit, again under a lock on the notice, so it goes out once even if the task runs twice.

Fees, default interest and the € 40 flat fee are claims of the notice only: the issued invoice is not edited
(it is immutable) and nothing is posted to the ledger for them when the letter is sent. What a client pays
towards them is booked by the payment to dunning income (bank → dunning income; `invoicing.services.
payment_record`, § 1416 ABGB order).

What a letter claims (each item listed on it):
* the open principal;
* reminder fees: each letter's cost (the level's fee) so far. Towards a consumer only when the client record
  says fees were agreed. Towards a business (EUR) the € 40 flat fee of § 458 UGB *covers* the creditor's own
  collection costs ("Für den Ersatz von Betreibungskosten, die diesen Pauschalbetrag übersteigen, ist § 1333
  Abs. 2 ABGB anzuwenden", § 458 UGB, RIS via 360.lexisnexis.at/d/L-10001702-P458): fees are claimed only as
  far as their sum exceeds € 40;
* default interest (levels that charge it), with each period, rate and principal;
* the € 40 flat fee (B2B, EUR) from the first level that charges it on.
Every letter also says that default interest keeps running until payment.
"""

from invoicing.dunning.engine import (
    ADVISOR_NOTIFIED_EVENT,
    DunningRunResult,
    dunning_candidates,
    dunning_notify_advisor,
    run_dunning,
)
from invoicing.dunning.interest import (
    BASE_RATE_COUNTRY,
    DunningClaim,
    FeeItem,
    base_rates,
    dunning_claim,
    open_principal_changes,
)
from invoicing.dunning.letters import (
    DUNNING_LETTER,
    MAX_SEND_ATTEMPTS,
    NO_EMAIL,
    PAY_WITHIN_DAYS,
    RESEND_WINDOW,
    DunningLetter,
    dunning_letter_context,
    dunning_letter_path,
    dunning_letter_pdf,
    dunning_send_letter,
    pay_by,
)
from invoicing.dunning.policy import DEFAULT_POLICY, dunning_policy

__all__ = [
    "ADVISOR_NOTIFIED_EVENT",
    "BASE_RATE_COUNTRY",
    "DEFAULT_POLICY",
    "DUNNING_LETTER",
    "MAX_SEND_ATTEMPTS",
    "NO_EMAIL",
    "PAY_WITHIN_DAYS",
    "RESEND_WINDOW",
    "DunningClaim",
    "DunningLetter",
    "DunningRunResult",
    "FeeItem",
    "base_rates",
    "dunning_candidates",
    "dunning_claim",
    "dunning_letter_context",
    "dunning_letter_path",
    "dunning_letter_pdf",
    "dunning_notify_advisor",
    "dunning_policy",
    "dunning_send_letter",
    "open_principal_changes",
    "pay_by",
    "run_dunning",
]
