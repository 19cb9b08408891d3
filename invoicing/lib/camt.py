"""Read ISO 20022 camt.053 bank-to-customer statements (and write simple ones for tests).

Accepts every ``camt.053.001.xx`` version (Austrian banks send .02, .04 or .08). The parser
reads only what payment matching needs and reports malformed files with a reason naming the
element: a statement is imported whole or not at all.

Security: bank files come from outside. The XML is parsed without network access, without
entity expansion and without huge-tree mode; any DOCTYPE is refused outright, since camt
files never have one (this rules out XXE and entity bombs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from smartprod.core.money import quantize_money

CAMT053_NS_PATTERN = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2}")
CAMT053_V02_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
# ActiveOrHistoricCurrencyAndAmount: decimal with a dot, up to 5 fraction digits, never negative.
_AMOUNT_RE = re.compile(r"[0-9]{1,18}(\.[0-9]{1,5})?")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
# The ISO placeholder a payer's bank writes when there was no end-to-end id.
NOT_PROVIDED = "NOTPROVIDED"

_Element = Any  # lxml's _Element: lxml ships without type information here


class CamtError(ValueError):
    """The file is not a readable camt.053 statement; ``message`` says why, naming the element."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StatementEntry:
    """One booked movement (for a batch: one transaction of it).

    ``entry_reference`` is the bank's unique reference and stays the same when the same file is
    imported again, so it can carry a unique constraint. ``amount`` is positive; ``is_credit``
    tells the direction. ``debtor_*`` are the payer's data (RltdPties/Dbtr), which is what a
    credit needs; for debits they are usually empty, and ``creditor_*`` name the payee instead.

    ``is_reversal`` is the bank's RvslInd: the entry cancels an earlier one in the other direction (a
    DBIT reversal takes back a credit, a CRDT reversal brings back an outgoing transfer that bounced).
    ``return_reason`` is the ISO return reason (TxDtls/RtrInf/Rsn: e.g. AC04 closed account, MD06
    refund on request) of a returned payment; ``bank_transaction_code`` is Domain/Family/SubFamily
    (e.g. ``PMNT/RCDT/ESCT``) or the bank's proprietary code.
    """

    entry_reference: str
    amount: Decimal
    currency: str
    is_credit: bool
    booking_date: date | None
    value_date: date | None
    remittance_text: str
    structured_reference: str
    debtor_name: str
    debtor_iban: str
    end_to_end_id: str
    is_reversal: bool = False
    return_reason: str = ""
    bank_transaction_code: str = ""
    creditor_name: str = ""
    creditor_iban: str = ""

    @property
    def is_return(self) -> bool:
        """A debit that takes a payment back (reversal or return with a reason)."""
        return not self.is_credit and (self.is_reversal or bool(self.return_reason))


@dataclass(frozen=True)
class Statement:
    """One account statement (``Stmt``) of the file."""

    statement_id: str
    account_iban: str
    currency: str
    created_at: datetime
    entries: list[StatementEntry] = field(default_factory=list)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


class _Reader:
    """Namespace-aware lookups with error messages that name the element path."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace

    def _path(self, path: str) -> str:
        return "/".join(
            f"{{{self.ns}}}{part}" if part not in (".", "..") else part for part in path.split("/")
        )

    def find(self, element: _Element, path: str) -> _Element | None:
        return element.find(self._path(path))

    def findall(self, element: _Element, path: str) -> list[_Element]:
        return list(element.findall(self._path(path)))

    def text(self, element: _Element, path: str) -> str:
        found = self.find(element, path)
        if found is None or found.text is None:
            return ""
        return " ".join(str(found.text).split())

    def required_text(self, element: _Element, path: str, where: str) -> str:
        value = self.text(element, path)
        if not value:
            raise CamtError(
                _("%(where)s: element %(path)s is missing or empty.") % {"where": where, "path": path}
            )
        return value

    def amount(self, element: _Element, path: str, where: str) -> tuple[Decimal, str]:
        found = self.find(element, path)
        if found is None:
            raise CamtError(_("%(where)s: element %(path)s is missing.") % {"where": where, "path": path})
        raw = (found.text or "").strip()
        if not _AMOUNT_RE.fullmatch(raw):
            raise CamtError(
                _(
                    "%(where)s: element %(path)s has %(raw)s, not an amount "
                    "(digits with a decimal point, e.g. 12.50)."
                )
                % {"where": where, "path": path, "raw": repr(raw)}
            )
        currency = (found.get("Ccy") or "").strip()
        if not _CURRENCY_RE.fullmatch(currency):
            raise CamtError(
                _("%(where)s: element %(path)s has no valid Ccy attribute (got %(currency)s).")
                % {"where": where, "path": path, "currency": repr(currency)}
            )
        try:
            amount = Decimal(raw)
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid decimals
            raise CamtError(
                _("%(where)s: element %(path)s has %(raw)s, not an amount.")
                % {"where": where, "path": path, "raw": repr(raw)}
            ) from exc
        return amount, currency

    def day(self, element: _Element, path: str, where: str) -> date | None:
        """A ``DateAndDateTimeChoice``: ``Dt`` (date) or ``DtTm`` (date-time, its date is used)."""
        container = self.find(element, path)
        if container is None:
            return None
        raw = self.text(container, "Dt") or self.text(container, "DtTm")[:10]
        if not raw:
            raise CamtError(
                _("%(where)s: element %(path)s has neither Dt nor DtTm.") % {"where": where, "path": path}
            )
        try:
            return date.fromisoformat(raw[:10])
        except ValueError as exc:
            raise CamtError(
                _("%(where)s: element %(path)s has %(raw)s, not a date (YYYY-MM-DD).")
                % {"where": where, "path": path, "raw": repr(raw)}
            ) from exc


def parse_camt053(data: bytes) -> list[Statement]:
    """Parse a camt.053 file into its statements with one :class:`StatementEntry` per transaction.

    Entry references: TxDtls/Refs/AcctSvcrRef, else Ntry/AcctSvcrRef, else Ntry/NtryRef, else
    ``<statement id>/<entry position>``. An entry with several TxDtls (a batch) yields one entry
    per transaction with its own amount (TxDtls/Amt or AmtDtls/TxAmt/Amt); where the
    transactions have no distinct reference of their own they get ``<reference>/1``, ``/2`` ….
    A single transaction takes the booked amount (Ntry/Amt), which is what reached the account.
    Only booked entries are returned (status BOOK or no status): pending or informational ones
    can still change and would be counted twice. Raises :class:`CamtError` for anything it
    cannot read — never a partial result.
    """
    if not isinstance(data, bytes | bytearray):
        raise CamtError(_("A camt.053 file must be given as bytes."))
    try:
        root = etree.fromstring(bytes(data), _parser())
    except etree.XMLSyntaxError as exc:
        raise CamtError(_("Not a well-formed XML document: %(error)s") % {"error": exc}) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise CamtError(_("The document declares a DOCTYPE/DTD; bank statements never do, so it is refused."))
    namespace = etree.QName(root).namespace or ""
    local_name = etree.QName(root).localname
    if local_name != "Document" or not CAMT053_NS_PATTERN.fullmatch(namespace):
        raise CamtError(
            _(
                "Root element is %(element)s; expected Document in a "
                "urn:iso:std:iso:20022:tech:xsd:camt.053.001.xx namespace."
            )
            % {"element": f"{{{namespace}}}{local_name}"}
        )
    reader = _Reader(namespace)
    message = reader.find(root, "BkToCstmrStmt")
    if message is None:
        raise CamtError(_("Element Document/BkToCstmrStmt is missing."))
    header_created = reader.text(message, "GrpHdr/CreDtTm")
    raw_statements = reader.findall(message, "Stmt")
    if not raw_statements:
        raise CamtError(_("Element BkToCstmrStmt has no Stmt (statement)."))

    statements = [
        _parse_statement(reader, raw, position, header_created)
        for position, raw in enumerate(raw_statements, start=1)
    ]
    seen: set[str] = set()
    for statement in statements:
        for entry in statement.entries:
            if entry.entry_reference in seen:
                raise CamtError(
                    _("Entry reference %(reference)s occurs twice; it could not identify a payment.")
                    % {"reference": repr(entry.entry_reference)}
                )
            seen.add(entry.entry_reference)
    return statements


def _parse_datetime(raw: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(raw)
    except ValueError as exc:
        raise CamtError(
            _("%(where)s: CreDtTm has %(raw)s, not an ISO date-time.") % {"where": where, "raw": repr(raw)}
        ) from exc


def _parse_statement(reader: _Reader, stmt: _Element, position: int, header_created: str) -> Statement:
    where = f"Stmt #{position}"
    statement_id = reader.required_text(stmt, "Id", where)
    where = f"Stmt {statement_id!r}"
    iban = _account_iban(reader, stmt, "Acct")
    if not iban:
        raise CamtError(
            _(
                "%(where)s: the account is given neither as Acct/Id/IBAN nor as an IBAN in Acct/Id/Othr/Id; "
                "only IBAN accounts can be imported."
            )
            % {"where": where}
        )
    created_raw = reader.text(stmt, "CreDtTm") or header_created
    if not created_raw:
        raise CamtError(_("%(where)s: neither Stmt/CreDtTm nor GrpHdr/CreDtTm is given.") % {"where": where})
    created_at = _parse_datetime(created_raw, where)

    entries: list[StatementEntry] = []
    for entry_position, ntry in enumerate(reader.findall(stmt, "Ntry"), start=1):
        entries.extend(
            _parse_entry(reader, ntry, f"{where} Ntry #{entry_position}", statement_id, entry_position)
        )

    currency = reader.text(stmt, "Acct/Ccy")
    if not currency:
        balance_amount = reader.find(stmt, "Bal/Amt")
        currency = (balance_amount.get("Ccy") if balance_amount is not None else None) or ""
    if not currency and entries:
        currency = entries[0].currency
    if not _CURRENCY_RE.fullmatch(currency):
        raise CamtError(
            _("%(where)s: account currency (Acct/Ccy) is missing or invalid (%(currency)s).")
            % {"where": where, "currency": repr(currency)}
        )
    return Statement(
        statement_id=statement_id,
        account_iban=iban,
        currency=currency,
        created_at=created_at,
        entries=entries,
    )


def _account_iban(reader: _Reader, element: _Element, path: str) -> str:
    """The IBAN of an account element: ``Id/IBAN``, or ``Id/Othr/Id`` when that holds a valid IBAN.

    Several Austrian and German banks (and their camt.052/.053 exports) put the IBAN into the generic
    ``Othr/Id``; a national account number there (a BBAN, "1111111111") is not an IBAN and gives "".
    """
    iban = reader.text(element, f"{path}/Id/IBAN").replace(" ", "").upper()
    if iban:
        return iban
    other = reader.text(element, f"{path}/Id/Othr/Id").replace(" ", "").upper()
    if not other:
        return ""
    try:
        return str(IBAN(other).compact)
    except SchwiftyException:
        return ""


def _reversal_flag(reader: _Reader, ntry: _Element) -> bool:
    # xs:boolean: "true"/"1" (banks write both).
    return reader.text(ntry, "RvslInd").lower() in ("true", "1")


def _return_reason(reader: _Reader, tx: _Element) -> str:
    return reader.text(tx, "RtrInf/Rsn/Cd") or reader.text(tx, "RtrInf/Rsn/Prtry")


def _transaction_code(reader: _Reader, element: _Element) -> str:
    domain = reader.text(element, "BkTxCd/Domn/Cd")
    if domain:
        family = reader.text(element, "BkTxCd/Domn/Fmly/Cd")
        sub_family = reader.text(element, "BkTxCd/Domn/Fmly/SubFmlyCd")
        return "/".join(part for part in (domain, family, sub_family) if part)
    return reader.text(element, "BkTxCd/Prtry/Cd")


def _credit_flag(reader: _Reader, element: _Element, where: str, *, required: bool) -> bool | None:
    indicator = reader.text(element, "CdtDbtInd")
    if not indicator and not required:
        return None
    if indicator not in ("CRDT", "DBIT"):
        raise CamtError(
            _("%(where)s: element CdtDbtInd must be CRDT or DBIT, got %(value)s.")
            % {"where": where, "value": repr(indicator)}
        )
    return indicator == "CRDT"


def _is_booked(reader: _Reader, ntry: _Element) -> bool:
    # Up to .001.06 the status is the code itself (<Sts>BOOK</Sts>); from .001.07 on it is <Sts><Cd>.
    status = reader.text(ntry, "Sts/Cd") or reader.text(ntry, "Sts")
    return status in ("", "BOOK")


def _transactions(reader: _Reader, ntry: _Element) -> Iterator[_Element]:
    for details in reader.findall(ntry, "NtryDtls"):
        yield from reader.findall(details, "TxDtls")


def _parse_entry(
    reader: _Reader, ntry: _Element, where: str, statement_id: str, entry_position: int
) -> list[StatementEntry]:
    amount, currency = reader.amount(ntry, "Amt", where)
    is_credit = _credit_flag(reader, ntry, where, required=True)
    assert is_credit is not None
    booking_date = reader.day(ntry, "BookgDt", where)
    value_date = reader.day(ntry, "ValDt", where)
    if not _is_booked(reader, ntry):
        return []
    is_reversal = _reversal_flag(reader, ntry)
    entry_code = _transaction_code(reader, ntry)
    base_reference = (
        reader.text(ntry, "AcctSvcrRef") or reader.text(ntry, "NtryRef") or f"{statement_id}/{entry_position}"
    )
    entry_text = reader.text(ntry, "AddtlNtryInf")
    transactions = list(_transactions(reader, ntry))
    if not transactions:
        return [
            StatementEntry(
                entry_reference=base_reference,
                amount=amount,
                currency=currency,
                is_credit=is_credit,
                booking_date=booking_date,
                value_date=value_date,
                remittance_text=entry_text,
                structured_reference="",
                debtor_name="",
                debtor_iban="",
                end_to_end_id="",
                is_reversal=is_reversal,
                bank_transaction_code=entry_code,
            )
        ]

    several = len(transactions) > 1
    own_references = [reader.text(tx, "Refs/AcctSvcrRef") for tx in transactions]
    # Transactions keep their own bank reference only if each has one and they all differ;
    # otherwise the entry's reference is numbered, which is as stable as the file itself.
    use_own = all(own_references) and len(set(own_references)) == len(own_references)
    result: list[StatementEntry] = []
    for index, tx in enumerate(transactions, start=1):
        tx_where = f"{where} TxDtls #{index}"
        if use_own:
            reference = own_references[index - 1]
        elif several:
            reference = f"{base_reference}/{index}"
        else:
            reference = base_reference
        # A single transaction is worth what was booked (Ntry/Amt); only a batch is split.
        tx_amount, tx_currency = amount, currency
        if several and reader.find(tx, "Amt") is not None:
            tx_amount, tx_currency = reader.amount(tx, "Amt", tx_where)
        elif several and reader.find(tx, "AmtDtls/TxAmt/Amt") is not None:
            tx_amount, tx_currency = reader.amount(tx, "AmtDtls/TxAmt/Amt", tx_where)
        elif several:
            raise CamtError(
                _(
                    "%(where)s: the entry holds several transactions but this one has no amount "
                    "(TxDtls/Amt or TxDtls/AmtDtls/TxAmt/Amt)."
                )
                % {"where": tx_where}
            )
        tx_credit = _credit_flag(reader, tx, tx_where, required=False)
        result.append(
            StatementEntry(
                entry_reference=reference,
                amount=tx_amount,
                currency=tx_currency,
                is_credit=is_credit if tx_credit is None else tx_credit,
                booking_date=booking_date,
                value_date=value_date,
                remittance_text=_remittance_text(reader, tx, fallback=entry_text if not several else ""),
                structured_reference=reader.text(tx, "RmtInf/Strd/CdtrRefInf/Ref").replace(" ", ""),
                debtor_name=reader.text(tx, "RltdPties/Dbtr/Nm") or reader.text(tx, "RltdPties/Dbtr/Pty/Nm"),
                debtor_iban=_account_iban(reader, tx, "RltdPties/DbtrAcct"),
                end_to_end_id=_end_to_end_id(reader, tx),
                is_reversal=is_reversal,
                return_reason=_return_reason(reader, tx),
                bank_transaction_code=_transaction_code(reader, tx) or entry_code,
                creditor_name=reader.text(tx, "RltdPties/Cdtr/Nm")
                or reader.text(tx, "RltdPties/Cdtr/Pty/Nm"),
                creditor_iban=_account_iban(reader, tx, "RltdPties/CdtrAcct"),
            )
        )
    return result


def _remittance_text(reader: _Reader, tx: _Element, *, fallback: str) -> str:
    """Ustrd lines (joined by a space: banks cut at 140 characters), plus referred document numbers.

    Without any RmtInf, some banks put the payer's text into AddtlTxInf or, for an entry with a
    single transaction, AddtlNtryInf; those are used then.
    """
    if reader.find(tx, "RmtInf") is None:
        return reader.text(tx, "AddtlTxInf") or fallback
    parts = [reader.text(line, ".") for line in reader.findall(tx, "RmtInf/Ustrd")]
    for structured in reader.findall(tx, "RmtInf/Strd"):
        parts.extend(reader.text(number, ".") for number in reader.findall(structured, "RfrdDocInf/Nb"))
        parts.extend(reader.text(info, ".") for info in reader.findall(structured, "AddtlRmtInf"))
    return " ".join(part for part in parts if part)


def _end_to_end_id(reader: _Reader, tx: _Element) -> str:
    value = reader.text(tx, "Refs/EndToEndId")
    return "" if value == NOT_PROVIDED else value


# --- writing -------------------------------------------------------------------------------------------


def build_camt053(
    *,
    account_iban: str,
    statement_id: str,
    entries: list[dict[str, Any]],
    currency: str = "EUR",
    created_at: datetime | None = None,
    account_in_other_id: bool = False,
) -> bytes:
    """A camt.053.001.02 document with one statement, for tests, demos and benchmarks.

    Each entry dict has ``amount`` (Decimal, positive) and optionally ``credit`` (default True),
    ``currency``, ``booking_date``/``value_date`` (date), ``reference`` (bank reference,
    AcctSvcrRef; default ``<statement_id>-<n>``), ``remittance`` (unstructured text),
    ``structured_reference`` (e.g. an RF reference), ``debtor_name``, ``debtor_iban``,
    ``end_to_end_id``, ``reversal`` (RvslInd true), ``return_reason`` (RtrInf/Rsn/Cd),
    ``creditor_name``/``creditor_iban`` (the payee of a debit), and ``transactions`` (a list of
    dicts with the same per-transaction keys to make a batch entry whose amount is their sum).
    ``account_in_other_id`` writes the account's IBAN into Acct/Id/Othr/Id as some banks do.
    Element order follows the .02 schema.
    """
    ns = CAMT053_V02_NS
    created = created_at or datetime(2026, 1, 1, 8, 0, 0, tzinfo=UTC)

    def sub(parent: _Element, tag: str, text: str | None = None, **attributes: str) -> _Element:
        element = etree.SubElement(parent, f"{{{ns}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    root = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    message = sub(root, "BkToCstmrStmt")
    header = sub(message, "GrpHdr")
    sub(header, "MsgId", f"MSG-{statement_id}"[:35])
    sub(header, "CreDtTm", created.isoformat(timespec="seconds"))
    stmt = sub(message, "Stmt")
    sub(stmt, "Id", statement_id)
    sub(stmt, "CreDtTm", created.isoformat(timespec="seconds"))
    account = sub(stmt, "Acct")
    if account_in_other_id:
        sub(sub(sub(account, "Id"), "Othr"), "Id", account_iban.replace(" ", ""))
    else:
        sub(sub(account, "Id"), "IBAN", account_iban.replace(" ", ""))
    sub(account, "Ccy", currency)

    net = sum(
        (Decimal(entry["amount"]) * (1 if entry.get("credit", True) else -1) for entry in entries), Decimal(0)
    )
    statement_day = created.date()
    for code, amount in (("OPBD", Decimal(0)), ("CLBD", net)):
        balance = sub(stmt, "Bal")
        sub(sub(sub(balance, "Tp"), "CdOrPrtry"), "Cd", code)
        sub(balance, "Amt", f"{quantize_money(abs(amount)):f}", Ccy=currency)
        sub(balance, "CdtDbtInd", "CRDT" if amount >= 0 else "DBIT")
        sub(sub(balance, "Dt"), "Dt", statement_day.isoformat())

    for position, entry in enumerate(entries, start=1):
        credit = bool(entry.get("credit", True))
        entry_currency = str(entry.get("currency", currency))
        ntry = sub(stmt, "Ntry")
        sub(ntry, "Amt", f"{quantize_money(Decimal(entry['amount'])):f}", Ccy=entry_currency)
        sub(ntry, "CdtDbtInd", "CRDT" if credit else "DBIT")
        if entry.get("reversal"):
            sub(ntry, "RvslInd", "true")
        sub(ntry, "Sts", "BOOK")
        booking = entry.get("booking_date", statement_day)
        sub(sub(ntry, "BookgDt"), "Dt", booking.isoformat())
        sub(sub(ntry, "ValDt"), "Dt", entry.get("value_date", booking).isoformat())
        sub(ntry, "AcctSvcrRef", str(entry.get("reference", f"{statement_id}-{position}")))
        code = sub(sub(ntry, "BkTxCd"), "Domn")
        sub(code, "Cd", "PMNT")
        family = sub(code, "Fmly")
        sub(family, "Cd", "RCDT" if credit else "ICDT")
        sub(family, "SubFmlyCd", "ESCT")
        transactions = entry.get("transactions") or [entry]
        details = sub(ntry, "NtryDtls")
        if len(transactions) > 1:
            sub(sub(details, "Btch"), "NbOfTxs", str(len(transactions)))
        for tx in transactions:
            _write_transaction(sub, details, tx, entry_currency, with_amount=len(transactions) > 1)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _write_transaction(
    sub: Any, details: _Element, tx: dict[str, Any], currency: str, *, with_amount: bool
) -> None:
    tx_element = sub(details, "TxDtls")
    refs = sub(tx_element, "Refs")
    if tx.get("tx_reference"):
        sub(refs, "AcctSvcrRef", str(tx["tx_reference"]))
    sub(refs, "EndToEndId", str(tx.get("end_to_end_id") or NOT_PROVIDED))
    if with_amount:
        amount_details = sub(sub(tx_element, "AmtDtls"), "TxAmt")
        sub(amount_details, "Amt", f"{quantize_money(Decimal(tx['amount'])):f}", Ccy=currency)
    if tx.get("debtor_name") or tx.get("debtor_iban") or tx.get("creditor_name") or tx.get("creditor_iban"):
        parties = sub(tx_element, "RltdPties")
        if tx.get("debtor_name"):
            sub(sub(parties, "Dbtr"), "Nm", str(tx["debtor_name"]))
        if tx.get("debtor_iban"):
            sub(sub(sub(parties, "DbtrAcct"), "Id"), "IBAN", str(tx["debtor_iban"]).replace(" ", ""))
        if tx.get("creditor_name"):
            sub(sub(parties, "Cdtr"), "Nm", str(tx["creditor_name"]))
        if tx.get("creditor_iban"):
            sub(sub(sub(parties, "CdtrAcct"), "Id"), "IBAN", str(tx["creditor_iban"]).replace(" ", ""))
    if tx.get("remittance") or tx.get("structured_reference"):
        remittance = sub(tx_element, "RmtInf")
        if tx.get("remittance"):
            sub(remittance, "Ustrd", str(tx["remittance"])[:140])
        if tx.get("structured_reference"):
            creditor_reference = sub(sub(remittance, "Strd"), "CdtrRefInf")
            sub(sub(sub(creditor_reference, "Tp"), "CdOrPrtry"), "Cd", "SCOR")
            sub(creditor_reference, "Ref", str(tx["structured_reference"]))
    if tx.get("return_reason"):
        sub(sub(sub(tx_element, "RtrInf"), "Rsn"), "Cd", str(tx["return_reason"]))
