"""ISO 11649 structured creditor reference ("RF reference").

An RF reference is ``RF`` + two check digits + a payload of 1–21 letters and digits. The check
digits are ISO 7064 MOD 97-10 over ``payload + "RF00"`` (letters counted as A=10 … Z=35), the
same scheme as IBAN. Banks in the SEPA area carry it unchanged in the structured remittance
field (camt ``CdtrRefInf/Ref``, EPC QR line 10), which lets us match incoming payments to
invoices without reading free text.
"""

from __future__ import annotations

import re

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

MAX_PAYLOAD_LENGTH = 21
_PAYLOAD_RE = re.compile(r"[0-9A-Z]{1,21}")
_NON_ALNUM_RE = re.compile(r"[^0-9A-Za-z]")
# Tokens of a free remittance text: runs of letters/digits and the text between them.
_TOKEN_RE = re.compile(r"[0-9A-Za-z]+")
_RF_HEAD_RE = re.compile(r"RF[0-9]{2}", re.IGNORECASE)
_GROUP = 4


def rf_reference(payload: str) -> str:
    """Build the RF reference for ``payload`` (ISO 11649): ``"RF" + check digits + payload``.

    The payload must be 1–21 characters A–Z/0–9 (lower case is upper-cased; nothing else is
    accepted, so a caller cannot silently lose characters). Raises ValueError otherwise.
    """
    normalised = payload.strip().upper()
    if not _PAYLOAD_RE.fullmatch(normalised):
        raise ValueError(
            f"An RF reference payload must be 1–{MAX_PAYLOAD_LENGTH} letters or digits, got {payload!r}."
        )
    check_digits = mod_97_10.calc_check_digits(normalised + "RF")
    reference = f"RF{check_digits}{normalised}"
    iso11649.validate(reference)  # belt and braces: what we print must pass the standard's check
    return reference


def rf_reference_for_invoice(cooperative_id: int, invoice_number: str) -> str:
    """The RF reference printed on an invoice: payload ``<cooperative id>X<number without separators>``.

    Example: cooperative 3, number ``2026-00042`` → payload ``3X202600042``. The cooperative id
    contains only digits, so the first ``X`` separates the two parts unambiguously and references
    of different cooperatives never collide. Within one cooperative the numbers come from its
    own series, which differ in letters/digits, not only in punctuation. Raises ValueError when
    the payload would exceed the 21 characters ISO 11649 allows.
    """
    if cooperative_id <= 0:
        raise ValueError(f"Cooperative id must be positive, got {cooperative_id}.")
    number = _NON_ALNUM_RE.sub("", invoice_number).upper()
    if not number:
        raise ValueError(f"Invoice number {invoice_number!r} has no letters or digits.")
    payload = f"{cooperative_id}X{number}"
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError(
            f"RF payload {payload!r} is {len(payload)} characters; ISO 11649 allows {MAX_PAYLOAD_LENGTH}."
        )
    return rf_reference(payload)


def rf_compact(ref: str) -> str:
    """The reference without spaces (and other separators), upper case: the form banks transmit."""
    return str(iso11649.compact(ref))


def rf_is_valid(ref: str) -> bool:
    """True if ``ref`` (printed or compact) is a well-formed ISO 11649 reference with correct check digits."""
    compact = rf_compact(ref)
    return (
        compact.startswith("RF")
        and _PAYLOAD_RE.fullmatch(compact[4:]) is not None
        and iso11649.is_valid(compact)
    )


def rf_format(ref: str) -> str:
    """Printed form in groups of four (``RF18 5390 0754 7034``), as ISO 11649 recommends for paper."""
    return str(iso11649.format(ref))


def rf_find_in_text(text: str) -> list[str]:
    """Find valid RF references in free remittance text; return them compact, in order, without duplicates.

    Payers often type the reference into the unstructured field, compact (``RF18539007547034``)
    or grouped by four (``RF18 5390 0754 7034``). A grouped reference is read group by group: it
    continues while each group has four characters, so the words that follow are not swallowed.
    Where the end is ambiguous ("RF18 5390 0754 7034 1046": is 1046 part of it?), every cut with
    correct check digits is returned, longest first — the MOD 97 check passes about 1 in 97
    wrong cuts, and the caller keeps the one that matches an invoice. Invalid candidates are
    dropped.
    """
    tokens = list(_TOKEN_RE.finditer(text))
    found: list[str] = []
    for index, token in enumerate(tokens):
        if not _RF_HEAD_RE.match(token.group()):
            continue
        for candidate in reversed(_candidates(text, tokens, index)):
            if rf_is_valid(candidate) and candidate not in found:
                found.append(candidate)
    return found


def _candidates(text: str, tokens: list[re.Match[str]], index: int) -> list[str]:
    """Possible references starting at ``tokens[index]``, shortest first.

    A token longer than ``RFdd`` is a compact reference by itself. Otherwise the payload follows
    in whitespace-separated groups: the first may have any length (``RF18 539007547034``); after
    it, groups of four continue the reference and a shorter group ends it.
    """
    head = tokens[index].group().upper()
    if len(head) > _GROUP:
        return [head]
    candidates: list[str] = []
    joined = head
    previous = tokens[index]
    for position, following in enumerate(tokens[index + 1 :]):
        if not text[previous.end() : following.start()].isspace():
            break
        part = following.group().upper()
        first_group = position == 0
        if not first_group and len(part) > _GROUP:
            break
        if len(joined) + len(part) > _GROUP + MAX_PAYLOAD_LENGTH:
            break
        joined += part
        candidates.append(joined)
        if len(part) != _GROUP:
            break
        previous = following
    return candidates
