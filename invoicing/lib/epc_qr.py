"""EPC QR code ("GiroCode", EPC069-12 version 002) for a SEPA credit transfer.

A banking app that scans the code fills in beneficiary, IBAN, amount and the RF reference, so
the payment comes back with the reference intact and can be matched automatically.

Payload (EPC069-12 v2.1, section 3.4), one element per line, separated by LF:

    1 BCD            service tag
    2 002            version (BIC optional inside the EEA)
    3 1              character set: 1 = UTF-8
    4 SCT            SEPA credit transfer
    5 BIC            may be empty in version 002
    6 name           beneficiary, max. 70 characters
    7 IBAN
    8 EUR12.34       amount, 0.01 … 999999999.99
    9 purpose        4-letter code, empty here
   10 reference      structured creditor reference (ISO 11649 RF), max. 35
   11 text           unstructured remittance, max. 140 — never together with line 10
   12 information    beneficiary to originator, unused

Trailing empty elements are left out, as the standard allows. The whole payload may not exceed
331 bytes, and the code must use error correction level M (so no automatic "boost").
"""

from __future__ import annotations

import io
from decimal import Decimal

import segno
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban

from invoicing.lib.rf import rf_compact, rf_is_valid
from smartprod.core.money import quantize_money

MIN_AMOUNT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999.99")
MAX_NAME_LENGTH = 70
MAX_TEXT_LENGTH = 140
MAX_REFERENCE_LENGTH = 35
MAX_PAYLOAD_BYTES = 331
# EPC069-12 limits the symbol to version 13 so that cheap phone cameras can read it.
MAX_QR_VERSION = 13


def epc_payload(
    *,
    name: str,
    iban: str,
    bic: str,
    amount: Decimal,
    reference: str = "",
    text: str = "",
    currency: str = "EUR",
) -> str:
    """The EPC069-12 (version 002, UTF-8) payload text for a SEPA credit transfer.

    ``reference`` is an ISO 11649 RF reference (printed or compact form), ``text`` free text;
    SEPA carries one or the other, never both. Raises ValueError with the offending field when
    an input breaks the standard's limits: amount outside 0.01–999,999,999.99 or with more than
    two decimals, name empty or over 70 characters, missing or invalid IBAN/BIC, currency other
    than EUR, invalid RF reference, text over 140 characters, payload over 331 bytes.
    """
    if currency != "EUR":
        raise ValueError(f"EPC QR codes carry SEPA credit transfers in EUR only, got currency {currency!r}.")
    if isinstance(amount, float) or not isinstance(amount, Decimal):
        raise TypeError(f"Amount must be a Decimal, got {type(amount).__name__}.")
    if not amount.is_finite() or amount != quantize_money(amount):
        raise ValueError(f"Amount must be a finite number with at most two decimals, got {amount}.")
    if not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise ValueError(f"Amount must be between {MIN_AMOUNT} and {MAX_AMOUNT} EUR, got {amount}.")

    name = " ".join(name.split())
    if not name:
        raise ValueError("Beneficiary name is required.")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"Beneficiary name may have at most {MAX_NAME_LENGTH} characters, has {len(name)}.")

    if not iban.strip():
        raise ValueError("IBAN is required.")
    if not stdnum_iban.is_valid(iban):
        raise ValueError(f"IBAN {iban!r} is not valid (format or check digits).")
    iban = stdnum_iban.compact(iban)

    if bic.strip():
        if not stdnum_bic.is_valid(bic):
            raise ValueError(f"BIC {bic!r} is not valid.")
        bic = stdnum_bic.compact(bic)
    else:
        bic = ""

    text = text.strip()
    reference = reference.strip()
    if reference and text:
        raise ValueError("Give either a structured RF reference or a remittance text, not both.")
    if reference:
        if not rf_is_valid(reference):
            raise ValueError(f"Reference {reference!r} is not a valid ISO 11649 RF creditor reference.")
        reference = rf_compact(reference)
        if len(reference) > MAX_REFERENCE_LENGTH:  # pragma: no cover - RF references are at most 25
            raise ValueError(f"Reference may have at most {MAX_REFERENCE_LENGTH} characters.")
    if "\n" in text or "\r" in text:
        raise ValueError("Remittance text must be a single line.")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"Remittance text may have at most {MAX_TEXT_LENGTH} characters, has {len(text)}.")

    elements = [
        "BCD",
        "002",
        "1",
        "SCT",
        bic,
        name,
        iban,
        f"EUR{quantize_money(amount):f}",
        "",
        reference,
        text,
    ]
    while not elements[-1]:
        elements.pop()
    payload = "\n".join(elements)
    size = len(payload.encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise ValueError(f"EPC payload is {size} bytes; the standard allows {MAX_PAYLOAD_BYTES}.")
    return payload


def _qr(payload: str) -> segno.QRCode:
    # Level M exactly (boost_error=False), bytes encoded as UTF-8 to match character set "1".
    qr = segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8")
    if (
        not isinstance(qr.version, int) or qr.version > MAX_QR_VERSION
    ):  # pragma: no cover - 331 bytes fit in version 13 at level M
        raise ValueError(f"EPC QR code needs version {qr.version}; the standard allows up to 13.")
    return qr


def epc_qr_svg(
    *,
    name: str,
    iban: str,
    bic: str,
    amount: Decimal,
    reference: str = "",
    text: str = "",
    currency: str = "EUR",
    scale: int = 4,
) -> str:
    """The EPC QR code as an inline ``<svg>`` element (no XML declaration) for the invoice template.

    Takes the same arguments as :func:`epc_payload` and raises the same errors. The quiet zone of
    four modules that the QR standard requires is included.
    """
    payload = epc_payload(
        name=name, iban=iban, bic=bic, amount=amount, reference=reference, text=text, currency=currency
    )
    return str(_qr(payload).svg_inline(scale=scale, border=4))


def epc_qr_png(
    *,
    name: str,
    iban: str,
    bic: str,
    amount: Decimal,
    reference: str = "",
    text: str = "",
    currency: str = "EUR",
    scale: int = 5,
) -> bytes:
    """The EPC QR code as PNG bytes (``scale`` pixels per module, four-module quiet zone).

    Takes the same arguments as :func:`epc_payload` and raises the same errors.
    """
    payload = epc_payload(
        name=name, iban=iban, bic=bic, amount=amount, reference=reference, text=text, currency=currency
    )
    buffer = io.BytesIO()
    _qr(payload).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
