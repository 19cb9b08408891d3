"""Bank statement import (camt.053): store the entries once, match credits to open invoices, book them.

A statement is imported whole or not at all (one transaction). Each bank entry is stored once per
cooperative — the unique constraint (cooperative, entry_reference) decides, also between two imports of the
same file running at the same time — and only an entry this import stored is booked. Matching, in order:
the structured RF reference, an RF reference in the remittance text, the invoice number in the remittance
text (compared by its letters and digits against the cooperative's number format, see `_number_candidates`).
Anything ambiguous is left for finance to assign by hand.

Debits are kept: the cooperative's outgoing payments (status `outgoing`, with their EndToEndId, for payout
confirmation) and returns — a debit with RvslInd=true or a return reason that takes back a client payment
booked before (same EndToEndId, else same structured reference, else same payer IBAN and text; always the
same amount). A return reverses that payment (`payment_return`) and reopens its invoice; one that names no
single payment waits for finance. A credit with RvslInd=true (an outgoing transfer that bounced) is never a
client payment: it is never matched automatically, whatever its text says.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.lib.camt import CamtError, Statement, StatementEntry, parse_camt053
from invoicing.lib.rf import rf_compact, rf_find_in_text
from invoicing.models import BankEntry, BankStatement, Invoice, Payment
from invoicing.services import (
    OPEN_STATUSES,
    invoicing_settings,
    payment_record,
    payment_return,
)
from smartprod.core import capabilities
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed, status_in_sentence
from smartprod.core.registry import BankEntryInfo, bank_entry_matchers
from smartprod.tenancy.models import Cooperative, Membership

# A candidate invoice number inside free text: letters/digits joined by the separators number formats use.
_NUMBER_TOKEN_RE = re.compile(r"[0-9A-Za-z]+(?:[-/._][0-9A-Za-z]+)*")
_PART_RE = re.compile(r"[0-9A-Za-z]+")
# What a payer puts between the parts of a number: "2026-00009", "2026/00009", "2026 00009", "2026 - 00009".
_GAP_RE = re.compile(r"[\s\-/._:#]{1,3}")
_NOT_ALNUM_RE = re.compile(r"[^0-9A-Za-z]+")
MAX_NUMBER_LENGTH = 40  # Invoice.number


@dataclass
class BankImportResult:
    """What an import did. `statement` is the first statement of the file; `statements` all of them."""

    statement: BankStatement
    matched: list[BankEntry] = field(default_factory=list)
    unmatched: list[BankEntry] = field(default_factory=list)
    outgoing: list[BankEntry] = field(default_factory=list)
    returned: list[BankEntry] = field(default_factory=list)
    elsewhere: list[BankEntry] = field(default_factory=list)  # booked by a kernel-registered matcher
    duplicates: int = 0
    statements: list[BankStatement] = field(default_factory=list)


@dataclass(frozen=True)
class _OpenInvoice:
    pk: int
    number: str
    currency: str


class _Matcher:
    """Finds the open invoice a credit names. Reads only the invoices the entries could name: one query over
    the candidate RF references and numbers (indexed lookups), so it costs per entry, not per open invoice."""

    def __init__(self, cooperative: Cooperative, entries: list[BankEntry]) -> None:
        self.structured = {
            entry.pk: rf_compact(entry.structured_reference) if entry.structured_reference else ""
            for entry in entries
        }
        self.text_rfs = {entry.pk: rf_find_in_text(entry.remittance_text) for entry in entries}
        number_format = invoicing_settings(cooperative=cooperative).invoice_number_format if entries else ""
        self.numbers = {
            entry.pk: _number_candidates(entry.remittance_text)
            | _formatted_number_candidates(entry.remittance_text, number_format)
            for entry in entries
        }
        rfs = {rf for rf in self.structured.values() if rf} | {
            rf for found in self.text_rfs.values() for rf in found
        }
        numbers = {number for found in self.numbers.values() for number in found}
        self.by_rf: dict[str, _OpenInvoice] = {}
        self.by_number: dict[str, _OpenInvoice] = {}
        if not rfs and not numbers:
            return
        rows = (
            Invoice.objects.for_cooperative(cooperative)
            .filter(kind=Invoice.Kind.INVOICE, status__in=OPEN_STATUSES, number__isnull=False)
            .filter(Q(rf_reference__in=rfs) | Q(number__in=numbers))
            .values_list("pk", "number", "currency", "rf_reference")
        )
        for pk, number, currency, rf in rows:
            assert number is not None  # filtered above
            found = _OpenInvoice(pk, number, currency)
            if rf:
                self.by_rf[rf] = found
            self.by_number[number.upper()] = found

    def match(self, entry: BankEntry) -> _OpenInvoice | None:
        """The one open invoice the entry names, or None when it names none or several (ambiguous).

        In order: the structured reference, RF references in the text, invoice numbers in the text.
        """
        structured = self.structured[entry.pk]
        if structured in self.by_rf:
            return self.by_rf[structured]
        for candidates in (
            {self.by_rf[rf].pk: self.by_rf[rf] for rf in self.text_rfs[entry.pk] if rf in self.by_rf},
            {
                self.by_number[n.upper()].pk: self.by_number[n.upper()]
                for n in self.numbers[entry.pk]
                if n.upper() in self.by_number
            },
        ):
            if len(candidates) == 1:
                return next(iter(candidates.values()))
            if len(candidates) > 1:
                return None  # a payment naming two invoices is split by a person, not guessed
        return None


def _number_candidates(text: str) -> set[str]:
    """Every whole-word run of a text that could be an invoice number (no letter or digit on either side).

    Every contiguous run of parts of a token is a candidate, so '2026-00041/2026-00042' names both; the
    upper- and lower-case forms are added because payers type numbers in any case.
    """
    found: set[str] = set()
    for token in _NUMBER_TOKEN_RE.finditer(text):
        value = token.group()
        parts = list(_PART_RE.finditer(value))
        for first in range(len(parts)):
            for last in range(first, len(parts)):
                candidate = value[parts[first].start() : parts[last].end()]
                if len(candidate) > MAX_NUMBER_LENGTH:
                    break
                found.update((candidate, candidate.upper(), candidate.lower()))
    return found


def _number_pattern(number_format: str) -> re.Pattern[str] | None:
    """The cooperative's number format as a pattern over letters and digits only (upper case).

    "{year}-{number:05d}" → YEAR (4 digits) then NUMBER (5 or more digits); literal letters ("RE-…") must be
    there, literal separators may be anything or nothing. None for a format with other fields.
    """
    pieces: list[str] = []
    try:
        parsed = list(string.Formatter().parse(number_format))
    except ValueError:
        return None
    for literal, name, spec, _conversion in parsed:
        pieces.append(re.escape(_NOT_ALNUM_RE.sub("", literal).upper()))
        if name is None:
            continue
        if name == "year":
            pieces.append(r"(?P<year>[0-9]{4})")
        elif name == "number":
            width = re.fullmatch(r"0?([0-9]*)d?", spec or "")
            if width is None:
                return None
            pieces.append(rf"(?P<number>[0-9]{{{int(width.group(1) or 1)},}})")
        else:
            return None
    if "(?P<number>" not in "".join(pieces):
        return None
    return re.compile("".join(pieces))


def _formatted_number_candidates(text: str, number_format: str) -> set[str]:
    """Invoice numbers of the cooperative's format written differently: "RE-NR 202600009", "Rg. 2026/00009".

    Runs of whole words joined only by separators are compared by their letters and digits with the
    format, then the number is written again in the format and must give exactly those letters and digits
    — so a year is never dropped or swapped (2025-00009 is not 2026-00009), a longer digit run that merely
    contains the number ("1202600009", "2026000009") is not it, and the run may be split only where the
    format itself has a separator ("2026 0000 9" of an IBAN is not 2026-00009). Returns the numbers as the
    format writes them, for an exact lookup.
    """
    pattern = _number_pattern(number_format)
    if pattern is None or not text:
        return set()
    words = list(_PART_RE.finditer(text))
    literal_start = _NOT_ALNUM_RE.sub("", number_format.split("{", 1)[0]).upper()
    found: set[str] = set()
    for first in range(len(words)):
        start = words[first].group().upper()
        # A number starts with the format's leading letters, or else with a digit: skip the other words.
        if not (start[:1] == literal_start[:1] if literal_start else start[:1].isdigit()):
            continue
        joined, splits = "", []
        for index in range(first, len(words)):
            if index > first:
                if not _GAP_RE.fullmatch(text[words[index - 1].end() : words[index].start()]):
                    break
                splits.append(len(joined))
            joined += words[index].group().upper()
            if len(joined) > MAX_NUMBER_LENGTH:
                break
            match = pattern.fullmatch(joined)
            if match is None:
                continue
            year = int(match.group("year")) if "year" in match.groupdict() else 0
            written = number_format.format(year=year, number=int(match.group("number")))
            if _NOT_ALNUM_RE.sub("", written).upper() != joined:
                continue  # leading zeros added or dropped: another number
            allowed = {m.start() - offset for offset, m in _gap_offsets(written)}
            if set(splits) <= allowed:
                found.add(written)
    return found


def _gap_offsets(written: str) -> list[tuple[int, re.Match[str]]]:
    """Each separator run of a written number with the count of separator characters before it."""
    result, before = [], 0
    for match in _NOT_ALNUM_RE.finditer(written):
        result.append((before, match))
        before += len(match.group())
    return result


def _require_finance(cooperative: Cooperative, actor: Membership) -> None:
    if actor.cooperative_id != cooperative.pk:
        raise Membership.DoesNotExist()
    if not capabilities.can_handle_money(actor):
        raise NotAllowed(_("Only finance staff import bank statements and assign payments."))


def _iban(value: str) -> str:
    return value.replace(" ", "").upper()


def _entry_date(entry: BankEntry, statement: Statement) -> date:
    return entry.booking_date or entry.value_date or statement.created_at.date()


def _new_entry(cooperative: Cooperative, stored: BankStatement, item: StatementEntry) -> BankEntry:
    return BankEntry(
        cooperative=cooperative,
        statement=stored,
        entry_reference=item.entry_reference,
        amount=item.amount,
        currency=item.currency,
        is_credit=item.is_credit,
        booking_date=item.booking_date,
        value_date=item.value_date,
        remittance_text=item.remittance_text,
        structured_reference=item.structured_reference,
        debtor_name=item.debtor_name[:200],
        debtor_iban=item.debtor_iban[:34],
        creditor_name=item.creditor_name[:200],
        creditor_iban=item.creditor_iban[:34],
        end_to_end_id=item.end_to_end_id[:35],
        is_reversal=item.is_reversal,
        return_reason=item.return_reason[:35],
        bank_transaction_code=item.bank_transaction_code[:60],
        # Credits and returns wait for matching (or for a person); other debits are outgoing payments.
        status=BankEntry.Status.UNMATCHED if item.is_credit or item.is_return else BankEntry.Status.OUTGOING,
    )


def _is_return(entry: BankEntry) -> bool:
    return not entry.is_credit and (entry.is_reversal or bool(entry.return_reason))


@transaction.atomic(durable=True)
def bank_statement_import(
    *, cooperative: Cooperative, actor: Membership, data: bytes, file_name: str = ""
) -> BankImportResult:
    """Import a camt.053 file of the cooperative's account and book the credits it can match.

    Preconditions: the actor is finance/admin; every statement is of the cooperative's IBAN. A file that
    cannot be read is refused with the reason and nothing is stored. Each entry is stored at most once
    (INSERT … ON CONFLICT DO NOTHING on (cooperative, entry_reference)): entries stored earlier — by an
    earlier or a concurrent import — count as duplicates and book nothing. Matched credits are booked
    through `payment_record` (bank → receivable), keyed by the entry reference; returns of booked payments
    through `payment_return` (a reversing entry; the invoice is open again).
    """
    _require_finance(cooperative, actor)
    try:
        statements = parse_camt053(data)
    except CamtError as exc:
        raise ApplicationError(
            _("The bank statement cannot be read: %(reason)s") % {"reason": exc.message},
            details={"file": [exc.message]},
        ) from exc
    own_iban = _iban(cooperative.iban)
    for statement in statements:
        if statement.account_iban != own_iban:
            raise ApplicationError(
                _(
                    "The statement %(statement)s is of account %(iban)s, not of this cooperative's "
                    "account %(own)s; it was not imported."
                )
                % {"statement": statement.statement_id, "iban": statement.account_iban, "own": own_iban},
                details={"file": [_("Another account's statement.")]},
            )

    sha256 = hashlib.sha256(data).hexdigest()
    result: BankImportResult | None = None
    for statement in statements:
        stored = BankStatement.objects.create(
            cooperative=cooperative,
            statement_id=statement.statement_id[:100],
            account_iban=statement.account_iban,
            file_sha256=sha256,
            file_name=file_name[:255],
            imported_by=actor.user,
        )
        # Sorted, so two imports with overlapping entries wait on each other in the same order (no deadlock).
        # A row another transaction is inserting makes this INSERT wait for it, then skip it.
        items = sorted(statement.entries, key=lambda item: item.entry_reference)
        BankEntry.objects.bulk_create(
            [_new_entry(cooperative, stored, item) for item in items], ignore_conflicts=True
        )
        mine = list(
            BankEntry.objects.for_cooperative(cooperative)
            .filter(statement=stored)
            .order_by("entry_reference")
        )
        if items and not mine:
            # Every entry was imported before: keep no empty statement row, name the earlier statement.
            stored.delete()
            stored = (
                BankEntry.objects.for_cooperative(cooperative)
                .select_related("statement")
                .get(entry_reference=items[0].entry_reference)
                .statement
            )
        part = _book(cooperative, actor, statement, stored, mine)
        part.duplicates = len(items) - len(mine)
        if result is None:
            result = part
        else:
            result.matched += part.matched
            result.unmatched += part.unmatched
            result.outgoing += part.outgoing
            result.returned += part.returned
            result.elsewhere += part.elsewhere
            result.duplicates += part.duplicates
        result.statements.append(stored)
    assert result is not None  # parse_camt053 never returns an empty list
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="bank_statement.imported",
        obj=result.statement,
        data={
            "file_name": file_name,
            "sha256": sha256,
            "statements": [s.statement_id for s in result.statements],
            "matched": len(result.matched),
            "unmatched": len(result.unmatched),
            "outgoing": len(result.outgoing),
            "returned": len(result.returned),
            "elsewhere": len(result.elsewhere),
            "duplicates": result.duplicates,
        },
    )
    return result


def _book(
    cooperative: Cooperative,
    actor: Membership,
    statement: Statement,
    stored: BankStatement,
    entries: list[BankEntry],
) -> BankImportResult:
    result = BankImportResult(statement=stored)
    # A credit with RvslInd brings back one of the cooperative's own transfers: never a client's payment.
    payments_in = [entry for entry in entries if entry.is_credit and not entry.is_reversal]
    matcher = _Matcher(cooperative, payments_in)
    pairs: list[tuple[BankEntry, _OpenInvoice]] = []
    invoices: dict[int, Invoice] = {}
    returns: list[BankEntry] = []
    for entry in entries:
        if entry.is_credit and entry.is_reversal:
            result.unmatched.append(entry)
            continue
        if not entry.is_credit:
            (returns if _is_return(entry) else result.outgoing).append(entry)
            continue
        found = matcher.match(entry)
        if found is None or found.currency != entry.currency:
            result.unmatched.append(entry)
        else:
            pairs.append((entry, found))
    if pairs:
        # Lock the invoices in one fixed order (by id) before booking: two imports touching the same
        # invoices cannot deadlock, and `payment_record`'s own lock is then already held.
        invoices = {
            invoice.pk: invoice
            for invoice in Invoice.objects.for_cooperative(cooperative)
            .select_for_update()
            .filter(pk__in={found.pk for _entry, found in pairs})
            .order_by("pk")
        }
    for entry, found in pairs:
        if invoices[found.pk].status not in OPEN_STATUSES:
            result.unmatched.append(entry)  # settled since the matcher read it: a person decides
            continue
        try:
            payment_record(
                cooperative=cooperative,
                actor=actor,
                invoice=invoices[found.pk],
                amount=entry.amount,
                date=_entry_date(entry, statement),
                bank_entry=entry,
            )
        except ApplicationError:
            # E.g. the invoice was settled meanwhile or the date is implausible: a person decides.
            result.unmatched.append(entry)
            continue
        entry.status = BankEntry.Status.MATCHED
        entry.invoice_id = found.pk
        entry.save(update_fields=["status", "invoice"])
        result.matched.append(entry)
    # After the credits: a return may take back a payment booked from this very file.
    for entry in returns:
        if _book_return(cooperative, actor, entry, _entry_date(entry, statement)):
            result.returned.append(entry)
        else:
            result.unmatched.append(entry)
    # What invoicing did not book may be another app's: outgoing payouts, their returns and reversals
    # (a credit carrying a return reason, RtrInf, brings back one of the cooperative's own transfers).
    for entries_left in (result.outgoing, result.unmatched):
        for entry in list(entries_left):
            returned = entry.is_reversal or bool(entry.return_reason)
            if (entry.is_credit and not returned) or not _offer_to_matchers(
                cooperative, actor, entry, _entry_date(entry, statement)
            ):
                continue
            entries_left.remove(entry)
            result.elsewhere.append(entry)
    result.unmatched.sort(key=lambda e: e.entry_reference)
    return result


def _offer_to_matchers(cooperative: Cooperative, actor: Membership, entry: BankEntry, on: date) -> bool:
    """Offer an entry to the kernel's bank-entry matchers (registered by apps above): True if booked."""
    info = BankEntryInfo(
        entry_id=entry.pk,
        entry_reference=entry.entry_reference,
        amount=entry.amount,
        currency=entry.currency,
        is_credit=entry.is_credit,
        is_reversal=entry.is_reversal,
        return_reason=entry.return_reason,
        end_to_end_id=entry.end_to_end_id,
        booking_date=entry.booking_date,
        counterparty_name=entry.debtor_name if entry.is_credit else entry.creditor_name,
        counterparty_iban=entry.debtor_iban if entry.is_credit else entry.creditor_iban,
        text=entry.remittance_text,
    )
    for matcher in bank_entry_matchers:
        note = matcher(cooperative=cooperative, actor=actor, entry=info, on=on)
        if note:
            entry.status = BankEntry.Status.BOOKED_ELSEWHERE
            entry.booked_as = note[:200]
            entry.save(update_fields=["status", "booked_as"])
            return True
    return False


def _returned_payment(cooperative: Cooperative, entry: BankEntry) -> Payment | None:
    """The one booked, not yet returned bank payment of the same amount that `entry` takes back, or None.

    By the original's EndToEndId (a return carries it), else its structured reference, else the same payer
    account and remittance text. Several candidates: a person decides.
    """
    payments = Payment.objects.for_cooperative(cooperative).filter(
        returned_on__isnull=True,
        amount=entry.amount,
        bank_entry__isnull=False,
        bank_entry__is_credit=True,
        bank_entry__currency=entry.currency,
    )
    for lookup in (
        {"bank_entry__end_to_end_id": entry.end_to_end_id} if entry.end_to_end_id else None,
        {"bank_entry__structured_reference": entry.structured_reference}
        if entry.structured_reference
        else None,
        {"bank_entry__debtor_iban": entry.debtor_iban, "bank_entry__remittance_text": entry.remittance_text}
        if entry.debtor_iban and entry.remittance_text
        else None,
    ):
        if lookup is None:
            continue
        found = list(payments.filter(**lookup).select_related("bank_entry")[:2])
        if len(found) == 1:
            return found[0]
        if found:
            return None
    return None


def _book_return(cooperative: Cooperative, actor: Membership, entry: BankEntry, on: date) -> bool:
    payment = _returned_payment(cooperative, entry)
    if payment is None:
        return False
    try:
        payment_return(cooperative=cooperative, actor=actor, payment=payment, bank_entry=entry, on=on)
    except ApplicationError:
        return False  # e.g. the invoice was written off meanwhile: a person decides
    _mark_returned(entry, payment)
    return True


def _mark_returned(entry: BankEntry, payment: Payment) -> None:
    entry.status = BankEntry.Status.RETURN
    entry.invoice_id = payment.invoice_id
    entry.save(update_fields=["status", "invoice"])
    original = payment.bank_entry
    if original is not None:
        original.status = BankEntry.Status.RETURNED
        original.save(update_fields=["status"])


def _locked_entry(cooperative: Cooperative, entry: BankEntry) -> BankEntry:
    if entry.cooperative_id != cooperative.pk:
        raise BankEntry.DoesNotExist()
    return BankEntry.objects.for_cooperative(cooperative).select_for_update().get(pk=entry.pk)


@transaction.atomic(durable=True)
def bank_entry_assign(
    *, cooperative: Cooperative, actor: Membership, entry: BankEntry, invoice: Invoice
) -> Payment:
    """Book an unmatched credit against an invoice chosen by finance (status `assigned`).

    The entry is locked, so two people assigning it at once book it once; the payment's ledger key is the
    entry reference, as for an automatic match. More than the open amount becomes the client's credit.
    """
    _require_finance(cooperative, actor)
    entry = _locked_entry(cooperative, entry)
    if invoice.cooperative_id != cooperative.pk:
        raise Invoice.DoesNotExist()
    if not entry.is_credit or entry.status != BankEntry.Status.UNMATCHED:
        raise ApplicationError(
            _("Only unmatched incoming payments can be assigned; this entry is %(status)s.")
            % {"status": status_in_sentence(entry.get_status_display())},
            conflict=True,
        )
    if entry.is_reversal:
        raise ApplicationError(
            _(
                "This credit is a reversal (an outgoing transfer of the cooperative that came back), "
                "not a client's payment; set it aside."
            ),
            conflict=True,
        )
    if entry.currency != invoice.currency:
        raise ApplicationError(
            _("The payment is in %(paid)s, the invoice in %(invoiced)s.")
            % {"paid": entry.currency, "invoiced": invoice.currency},
            details={"invoice": [_("Other currency.")]},
        )
    payment = payment_record(
        cooperative=cooperative,
        actor=actor,
        invoice=invoice,
        amount=entry.amount,
        date=entry.booking_date or entry.value_date or timezone.localdate(entry.statement.imported_at),
        bank_entry=entry,
    )
    entry.status = BankEntry.Status.ASSIGNED
    entry.invoice = payment.invoice
    entry.save(update_fields=["status", "invoice"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="bank_entry.assigned",
        obj=entry,
        data={"invoice": payment.invoice.number, "amount": str(entry.amount)},
    )
    return payment


@transaction.atomic(durable=True)
def bank_entry_book_return(
    *, cooperative: Cooperative, actor: Membership, entry: BankEntry, invoice: Invoice
) -> Payment:
    """Book an unmatched return (a debit taking back a client payment) against the invoice finance names.

    The invoice's one payment of the same amount that was not returned yet is reversed (`payment_return`)
    and the invoice is open again; none or several such payments: refused, finance sets the entry aside or
    corrects by hand. The entry is locked, so two people booking it at once reverse one payment once.
    """
    _require_finance(cooperative, actor)
    entry = _locked_entry(cooperative, entry)
    if invoice.cooperative_id != cooperative.pk:
        raise Invoice.DoesNotExist()
    if entry.is_credit or entry.status != BankEntry.Status.UNMATCHED:
        raise ApplicationError(
            _(
                "Only unmatched outgoing entries can be booked as a returned payment; "
                "this entry is %(status)s."
            )
            % {"status": status_in_sentence(entry.get_status_display())},
            conflict=True,
        )
    candidates = list(
        Payment.objects.for_cooperative(cooperative)
        .filter(invoice=invoice, amount=entry.amount, returned_on__isnull=True)
        .select_related("bank_entry")[:2]
    )
    if len(candidates) != 1 or invoice.currency != entry.currency:
        raise ApplicationError(
            _(
                "Invoice %(number)s has no single payment of %(amount)s %(currency)s "
                "that could have come back."
            )
            % {"number": invoice.number, "amount": entry.amount, "currency": entry.currency},
            details={"invoice": [_("No such payment.")]},
        )
    payment = payment_return(
        cooperative=cooperative,
        actor=actor,
        payment=candidates[0],
        bank_entry=entry,
        on=entry.booking_date or entry.value_date or timezone.localdate(entry.statement.imported_at),
    )
    _mark_returned(entry, payment)
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="bank_entry.return_booked",
        obj=entry,
        data={"invoice": invoice.number, "amount": str(entry.amount), "payment": payment.pk},
    )
    return payment


@transaction.atomic(durable=True)
def bank_entry_ignore(
    *, cooperative: Cooperative, actor: Membership, entry: BankEntry, reason: str = ""
) -> BankEntry:
    """Mark an unmatched entry as not a client payment (a refund, a bounced payout, …); books nothing."""
    _require_finance(cooperative, actor)
    entry = _locked_entry(cooperative, entry)
    if entry.status != BankEntry.Status.UNMATCHED:
        raise ApplicationError(
            _("Only unmatched entries can be set aside; this entry is %(status)s.")
            % {"status": status_in_sentence(entry.get_status_display())},
            conflict=True,
        )
    entry.status = BankEntry.Status.IGNORED
    entry.save(update_fields=["status"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="bank_entry.ignored",
        obj=entry,
        data={"reason": reason.strip(), "amount": str(entry.amount)},
    )
    return entry


def bank_entries_unmatched(*, cooperative: Cooperative) -> list[BankEntry]:
    """Credits, reversals and returns waiting for a person, oldest first."""
    return list(
        BankEntry.objects.for_cooperative(cooperative)
        .filter(status=BankEntry.Status.UNMATCHED)
        .order_by("booking_date", "id")
    )
