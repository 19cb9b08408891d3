"""The double-entry ledger: the one place money is posted.

Every posting names its business event with an idempotency key unique per cooperative, so posting the
same event twice posts once. The entry stores a hash of its lines: a replay of a key with the same lines
returns the earlier entry, a replay with other lines is an IdempotencyConflict — never a silent success.
Amounts arrive rounded to the cent (the caller rounds, once, where the business rule says how); the
ledger refuses anything else instead of rounding it again. Entries are balanced (checked here and again
by PostgreSQL at commit) and immutable (database triggers refuse UPDATE and DELETE); mistakes are
reversed by a new entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, connection, models, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _lazy
from django_stubs_ext import StrOrPromise

from members.models import User
from projects.account_types import account_type
from projects.models import Account, Client, JournalEntry, JournalLine, Project
from smartprod.core.errors import ApplicationError, IdempotencyConflict
from smartprod.core.money import ZERO, quantize_money
from smartprod.tenancy.models import Cooperative, Membership


@dataclass(frozen=True)
class Posting:
    """One line to post: positive `debit` or positive `credit`, never both."""

    account: Account
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    kind: str = JournalLine.Kind.OTHER
    description: str = ""
    project: Project | None = None
    event: str = JournalLine.Event.NONE
    reference: str = ""


def _english(label: object) -> str:
    with translation.override("en"):  # account names are the ledger's own (English) words, as before
        return str(label)


def account_get(
    *,
    cooperative: Cooperative,
    type: str,
    project: Project | None = None,
    client: Client | None = None,
    payee: Membership | None = None,
) -> Account:
    """The cooperative's account of a registered type (`projects.account_types`).

    A project's budget account; a client's receivable account; a payee's payouts-payable sub-account
    (a membership: what the cooperative owes that person); without client / payee, the type's one
    account. Created on first use.
    """
    kind = account_type(type)
    code, name = kind.code, _english(kind.name)
    lookup: dict[str, object] = {"type": type, "client__isnull": True, "payee__isnull": True}
    if kind.per == "project":
        if project is None or project.cooperative_id != cooperative.pk:
            raise ApplicationError("A budget account belongs to a project of the same cooperative.")
        code, name, lookup = f"{code}-{project.pk}", f"Budget: {project.title}"[:200], {"project": project}
    elif kind.per == "client" and client is not None:
        if client.cooperative_id != cooperative.pk:
            raise Client.DoesNotExist()
        code, name, lookup = (
            f"{code}-{client.pk}",
            f"{name}: {client.name}"[:200],
            {"client": client, "type": type},
        )
    elif kind.per == "payee" and payee is not None:
        if payee.cooperative_id != cooperative.pk:
            raise Membership.DoesNotExist()
        code, lookup = f"{code}-{payee.pk}", {"payee": payee, "type": type}
    elif project is not None or client is not None or payee is not None:
        raise ApplicationError(f"Accounts of type {type} are not kept per project, client or payee.")
    existing = Account.objects.for_cooperative(cooperative).filter(**lookup).first()
    if existing is not None:
        return existing
    if kind.per == "payee" and payee is not None:
        user = payee.user  # read only when the sub-account is opened
        name = f"{name}: {f'{user.first_name} {user.last_name}'.strip() or user.email}"[:200]
    try:
        with transaction.atomic():
            return Account.objects.create(
                cooperative=cooperative,
                type=type,
                code=code,
                name=name,
                project=project,
                client=client if kind.per == "client" else None,
                payee=payee if kind.per == "payee" else None,
            )
    except IntegrityError:
        # Created concurrently by another transaction: take that one.
        return Account.objects.for_cooperative(cooperative).get(**lookup)


def lines_hash(lines: Iterable[tuple[int, Decimal, Decimal]]) -> str:
    """sha256 of an entry's lines as (account id, debit, credit): canonical "account:D|C:amount" rows, sorted.

    Order, line kinds and descriptions do not count; which account moves how much in which direction does.
    Migration projects 0007 holds a frozen copy of this function to backfill older entries: keep them equal.
    """
    rows = sorted(
        f"{account_id}:D:{quantize_money(debit)}" if debit else f"{account_id}:C:{quantize_money(credit)}"
        for account_id, debit, credit in lines
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _cents(amount: Decimal, account: Account) -> Decimal:
    """The amount as stored (two places), refusing anything that would need rounding."""
    rounded = quantize_money(amount)
    if rounded != amount:
        raise ApplicationError(
            "Ledger amounts are rounded to the cent before posting; the ledger does not round.",
            details={"account": account.code, "amount": str(amount)},
        )
    return rounded


def _validated(cooperative: Cooperative, postings: Sequence[Posting]) -> list[Posting]:
    if len(postings) < 2:
        raise ApplicationError("A journal entry needs at least two lines.")
    clean: list[Posting] = []
    for p in postings:
        debit, credit = _cents(p.debit, p.account), _cents(p.credit, p.account)
        if debit < 0 or credit < 0 or (debit > 0) == (credit > 0):
            raise ApplicationError(
                "Each ledger line is either a positive debit or a positive credit.",
                details={"account": p.account.code, "debit": str(debit), "credit": str(credit)},
            )
        if p.account.cooperative_id != cooperative.pk or (
            p.project and p.project.cooperative_id != cooperative.pk
        ):
            raise Account.DoesNotExist()
        clean.append(
            Posting(p.account, debit, credit, p.kind, p.description, p.project, p.event, p.reference)
        )
    debits = sum((p.debit for p in clean), ZERO)
    credits = sum((p.credit for p in clean), ZERO)
    if debits != credits:
        raise ApplicationError(f"The entry is not balanced: debits {debits} ≠ credits {credits}.")
    return clean


def journal_post(
    *,
    cooperative: Cooperative,
    idempotency_key: str,
    date: date,
    description: str,
    postings: Sequence[Posting],
    source: models.Model | None = None,
    actor: User | None = None,
    reverses: JournalEntry | None = None,
) -> tuple[JournalEntry, bool]:
    """Post one balanced entry for one business event; returns (entry, created).

    Posting a key that was posted before with the same lines returns the earlier entry and posts nothing
    (also when two transactions race: the unique constraint decides, the loser takes the winner's entry);
    the same key with other lines raises IdempotencyConflict. Amounts must already be whole cents.
    Runs inside the caller's transaction, so the posting commits or rolls back with the business change.
    """
    lines = _validated(cooperative, postings)
    digest = lines_hash((p.account.pk, p.debit, p.credit) for p in lines)
    existing = (
        JournalEntry.objects.for_cooperative(cooperative).filter(idempotency_key=idempotency_key).first()
    )
    if existing is not None:
        return _replayed(existing, digest), False
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                cooperative=cooperative,
                idempotency_key=idempotency_key,
                lines_hash=digest,
                date=date,
                description=description[:300],
                source_type=source._meta.label if source is not None else "",
                source_id=str(source.pk) if source is not None else "",
                created_by=actor if actor is not None and actor.is_authenticated else None,
                reverses=reverses,
            )
            JournalLine.objects.bulk_create(
                JournalLine(
                    cooperative=cooperative,
                    entry=entry,
                    account=p.account,
                    debit=p.debit,
                    credit=p.credit,
                    kind=p.kind,
                    event=p.event,
                    reference=p.reference[:200],
                    description=(p.description or description)[:300],
                    # The id, not the object: reading `account.project` loaded a project per budget line.
                    project_id=p.project.pk if p.project is not None else p.account.project_id,
                    date=date,
                )
                for p in lines
            )
    except IntegrityError:
        winner = (
            JournalEntry.objects.for_cooperative(cooperative).filter(idempotency_key=idempotency_key).first()
        )
        if winner is None:
            raise
        return _replayed(winner, digest), False
    return entry, True


@dataclass(frozen=True)
class EntryDraft:
    """One entry for `journal_post_many`: the same arguments as `journal_post`, per entry."""

    idempotency_key: str
    date: date
    description: str
    postings: Sequence[Posting]
    source_type: str = ""
    source_id: str = ""


def journal_post_many(
    *, cooperative: Cooperative, drafts: Sequence[EntryDraft], actor: User | None = None
) -> dict[str, JournalEntry]:
    """Post many balanced entries at once (a payroll run's payslips); returns them by idempotency key.

    The same rules as `journal_post` — every entry validated and balanced, keys unique per cooperative, a
    key posted before with the same lines is returned as it is, with other lines an IdempotencyConflict —
    in a constant number of statements: one lookup of the keys, one insert of the entries, one of the
    lines. Runs inside the caller's transaction; a concurrent poster of the same keys makes the insert fail
    (the caller's transaction rolls back, nothing half-posted) rather than post twice.
    """
    validated = [(draft, _validated(cooperative, draft.postings)) for draft in drafts]
    digests = {
        draft.idempotency_key: lines_hash((p.account.pk, p.debit, p.credit) for p in lines)
        for draft, lines in validated
    }
    if len(digests) != len(validated):
        raise ApplicationError("Two entries of one posting share an idempotency key.")
    result: dict[str, JournalEntry] = {}
    for existing in JournalEntry.objects.for_cooperative(cooperative).filter(
        idempotency_key__in=list(digests)
    ):
        result[existing.idempotency_key] = _replayed(existing, digests[existing.idempotency_key])
    fresh = [(draft, lines) for draft, lines in validated if draft.idempotency_key not in result]
    created_by = actor if actor is not None and actor.is_authenticated else None
    entries = JournalEntry.objects.bulk_create(
        [
            JournalEntry(
                cooperative=cooperative,
                idempotency_key=draft.idempotency_key,
                lines_hash=digests[draft.idempotency_key],
                date=draft.date,
                description=draft.description[:300],
                source_type=draft.source_type,
                source_id=draft.source_id,
                created_by=created_by,
            )
            for draft, _lines in fresh
        ],
        batch_size=2000,
    )
    JournalLine.objects.bulk_create(
        [
            JournalLine(
                cooperative=cooperative,
                entry=entry,
                account=p.account,
                debit=p.debit,
                credit=p.credit,
                kind=p.kind,
                event=p.event,
                reference=p.reference[:200],
                description=(p.description or draft.description)[:300],
                project_id=p.project.pk if p.project is not None else p.account.project_id,
                date=draft.date,
            )
            for entry, (draft, lines) in zip(entries, fresh, strict=True)
            for p in lines
        ],
        batch_size=5000,
    )
    for entry in entries:
        result[entry.idempotency_key] = entry
    return result


def payee_accounts(
    *, cooperative: Cooperative, type: str, payees: Iterable[Membership]
) -> dict[int, Account]:
    """Many payees' sub-accounts of a per-payee type at once (by membership id), the missing ones created.

    The same accounts `account_get` returns one by one, in a constant number of statements.
    """
    kind = account_type(type)
    if kind.per != "payee":
        raise ApplicationError(f"Accounts of type {type} are not kept per payee.")
    wanted = {payee.pk: payee for payee in payees}
    if any(payee.cooperative_id != cooperative.pk for payee in wanted.values()):
        raise Membership.DoesNotExist()
    found: dict[int, Account] = {}
    for account in Account.objects.for_cooperative(cooperative).filter(type=type, payee_id__in=list(wanted)):
        assert account.payee_id is not None
        found[account.payee_id] = account
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        # One INSERT … SELECT: the names ("<type>: <first> <last>", else the e-mail) are made in the database
        # from the people's user rows, no model instances. ON CONFLICT: opened concurrently by another
        # transaction — read that one below. Table names come from the models; values are parameters.
        name = "regexp_replace(u.first_name || ' ' || u.last_name, '^\\s+|\\s+$', '', 'g')"
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Account._meta.db_table} (cooperative_id, type, code, name, payee_id) "  # noqa: S608
                f"SELECT m.cooperative_id, %s, %s || '-' || m.id, "
                f"left(%s || ': ' || coalesce(nullif({name}, ''), u.email), 200), m.id "
                f"FROM {Membership._meta.db_table} m JOIN {User._meta.db_table} u ON u.id = m.user_id "
                "WHERE m.cooperative_id = %s AND m.id = ANY(%s) ORDER BY m.id ON CONFLICT DO NOTHING",
                [type, kind.code, _english(kind.name), cooperative.pk, missing],
            )
        for account in Account.objects.for_cooperative(cooperative).filter(type=type, payee_id__in=missing):
            assert account.payee_id is not None
            found[account.payee_id] = account
    return found


def _replayed(entry: JournalEntry, digest: str) -> JournalEntry:
    if entry.lines_hash != digest:
        raise IdempotencyConflict(
            f"The ledger key {entry.idempotency_key!r} was posted before with other lines; "
            "one business event cannot post two different entries.",
            details={"idempotency_key": entry.idempotency_key, "entry": entry.pk},
        )
    return entry


def journal_reverse(
    *, cooperative: Cooperative, entry: JournalEntry, date: date, reason: str, actor: User | None = None
) -> JournalEntry:
    """Cancel an entry by posting its mirror image. An entry is reversed at most once."""
    if entry.cooperative_id != cooperative.pk:
        raise JournalEntry.DoesNotExist()
    if entry.reverses_id is not None:
        raise ApplicationError(
            "A reversal cannot itself be reversed; post a new entry instead.", conflict=True
        )
    lines = list(
        JournalLine.objects.for_cooperative(cooperative).filter(entry=entry).select_related("account")
    )
    reversal, _created = journal_post(
        cooperative=cooperative,
        idempotency_key=f"reversal:{entry.idempotency_key}"[:120],
        date=date,
        description=f"Reversal: {entry.description} ({reason})"[:300],
        postings=[
            Posting(
                line.account,
                debit=line.credit,
                credit=line.debit,
                kind=JournalLine.Kind.CORRECTION,
                description=f"Reversal: {line.description}",
                project=line.project,
                # The mirror line names the same event and document; its kind says it is a correction.
                event=line.event,
                reference=line.reference,
            )
            for line in lines
        ],
        actor=actor,
        reverses=entry,
    )
    return reversal


# The text of a line per event, rendered when shown (gettext: the reader's language). `%(reference)s` is
# the document number.
_EVENT_TEXTS: dict[str, StrOrPromise] = {
    JournalLine.Event.INVOICE: _lazy("Invoice %(reference)s"),
    JournalLine.Event.CREDIT_NOTE: _lazy("Credit note %(reference)s"),
    JournalLine.Event.PAYMENT: _lazy("Payment %(reference)s"),
    JournalLine.Event.WRITE_OFF: _lazy("Write-off %(reference)s"),
    JournalLine.Event.VAT_CORRECTION: _lazy("VAT correction %(reference)s"),
    JournalLine.Event.FEE_NOTE: _lazy("Fee note %(reference)s"),
}


def journal_line_text(*, event: str, reference: str, kind: str, description: str) -> str:
    """A ledger line's description in the active language; lines without an event keep their old text.

    The contribution line of an invoice reads "Invoice 2026-00005: Contribution" ("Rechnung 2026-00005:
    Kostenbeitrag" in German).
    """
    return journal_line_texts()(event=event, reference=reference, kind=kind, description=description)


def journal_line_texts() -> Callable[..., str]:
    """`journal_line_text` for many lines: the templates translated once, in the active language."""
    templates = {event: str(template) for event, template in _EVENT_TEXTS.items()}
    contribution = str(JournalLine.Kind.CONTRIBUTION.label)

    def text(*, event: str, reference: str, kind: str, description: str) -> str:
        if event == JournalLine.Event.EXPENSE:
            return reference  # the member's own words for the expense
        template = templates.get(event)
        if template is None:
            return description
        shown = template % {"reference": reference}
        if kind == JournalLine.Kind.CONTRIBUTION:
            shown = f"{shown}: {contribution}"
        return shown

    return text


def account_balance(*, cooperative: Cooperative, account: Account) -> Decimal:
    """Debits minus credits (a credit-normal account such as a budget shows a negative number)."""
    totals = (
        JournalLine.objects.for_cooperative(cooperative)
        .filter(account=account)
        .aggregate(d=models.Sum("debit"), c=models.Sum("credit"))
    )
    return quantize_money((totals["d"] or ZERO) - (totals["c"] or ZERO))
