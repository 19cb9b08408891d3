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
from functools import lru_cache
from itertools import pairwise
from typing import Any, cast

import segno
from segno import encoder as _segno_encoder
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


# --- choosing the data mask ----------------------------------------------------------------------------
# ISO/IEC 18004:2015 7.8.3: the encoder applies each of the eight data masks and keeps the one with the lowest
# penalty score (N1 runs, N2 blocks, N3 finder-like patterns, N4 dark proportion). segno does this module by
# module in Python (~4.5 ms of the invoice document, issue 12); here the same scores, by segno's exact rules
# (format and version areas light, its N3 search), are computed on whole rows as integers and strings, and
# the symbol segno encoded with mask 0 gets the chosen mask and its format information. Same mask, same
# symbol as segno's own choice: invoicing/tests/test_lib_epc_qr.py compares them. Uses segno's matrix
# helpers (segno is pinned by uv.lock).
segno_encoder: Any = _segno_encoder  # segno's matrix helpers are untyped
_N3_PATTERN = "1011101"
_DARK_BITS = str.maketrans({"\n": "0"})
_LIGHT_BITS = str.maketrans({"0": "1", "1": "0", "\n": "0"})
_TO_BITS = bytes.maketrans(b"\x00\x01", b"01")
_FROM_BITS = bytes.maketrans(b"01", b"\x00\x01")


@lru_cache(maxsize=16)
def _mask_layout(width: int) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """For a QR code `width` modules wide: per row, the modules to keep from the finished symbol (all but
    the format and version areas and the dark module, which segno scores light), and for each mask k
    the modules mask 0 and mask k flip differently (the encoding region where the two patterns differ)."""
    reserved = segno_encoder.make_matrix(width, width, add_timing=False)  # 0x0: format/version areas
    function = segno_encoder.make_matrix(width, width)
    segno_encoder.add_finder_patterns(function, width, width)
    segno_encoder.add_alignment_patterns(function, width, width)
    function[-8][8] = 0x1
    patterns = segno_encoder.get_data_mask_functions(False)
    keep = []
    flips: list[list[int]] = [[] for _ in patterns]
    for i in range(width):
        # (the timing patterns cross the format areas at (6, 8) and (8, 6): segno keeps them there)
        keep.append(sum(1 << j for j in range(width) if reserved[i][j] != 0x0 or 6 in (i, j)))
        encoding = [j for j in range(width) if function[i][j] > 0x1]
        for k, pattern in enumerate(patterns):
            flips[k].append(sum(1 << j for j in encoding if bool(pattern(i, j)) != bool(patterns[0](i, j))))
    return tuple(keep), tuple(tuple(rows) for rows in flips)


def _n3(text: str, size: int) -> int:
    """N3 of the rows and columns in `text` (each `size` modules, one per line), as segno counts it: 1:1:3:1:1
    with four light modules (or the edge) before or after it. One scan of the whole text (the pattern never
    spans a line break), instead of one search per row and column: most have no such pattern."""
    count = 0
    stride = size + 1
    idx = text.find(_N3_PATTERN)
    while idx != -1:
        start = idx - idx % stride  # the line's first module
        column = idx - start
        line = text[start : start + size]
        if (
            column in (0, size - 7)
            or "1" not in line[max(column - 4, 0) : column]
            or "1" not in line[column + 7 : column + 11]
        ):
            count += 40
            idx = text.find(_N3_PATTERN, idx + 7)
        else:
            idx = text.find(_N3_PATTERN, idx + 4)
    return count


def _n1(text: str) -> int:
    """N1 of the rows and columns in `text` (one per line): 3 + (L - 5) for each run of L >= 5 modules of one
    colour, i.e. L - 2. Counted on two integers whose bits are the text's modules (dark, or light), the line
    breaks as 0 bits that end every run: each run of L >= 5 has L - 4 windows of five equal bits, and one of
    them starts it; L - 2 = windows + 2 x starts. (A regular expression over the text took half the mask
    choice's time.) The bit order is the text's reversed: runs do not care."""
    total = 0
    for table in (_DARK_BITS, _LIGHT_BITS):
        value = int(text.translate(table), 2)
        windows = value & (value >> 1) & (value >> 2) & (value >> 3) & (value >> 4)
        total += windows.bit_count() + 2 * (windows & ~(value << 1)).bit_count()
    return total


def _penalty(rows: list[int], width: int) -> int:
    """The penalty score N1 + N2 + N3 + N4 of a masked symbol given as row integers (bit j = column j)."""
    full = (1 << width) - 1
    lines = [format(row, f"0{width}b")[::-1] for row in rows]
    columns = ["".join(column) for column in zip(*lines, strict=True)]
    text = "\n".join(lines + columns)
    n1 = _n1(text)
    n2 = 0
    for upper, lower in pairwise(rows):
        same = ~(upper ^ lower) & full
        n2 += (same & (same >> 1) & ~(lower ^ (lower >> 1)) & (full >> 1)).bit_count()
    n3 = _n3(text, width)
    dark = sum(row.bit_count() for row in rows)
    n4 = 10 * int(abs(float(dark) / (width**2) * 100 - 50) / 5)
    return n1 + 3 * n2 + n3 + n4


def _best_mask(matrix: tuple[bytearray, ...]) -> int:
    """The data mask ISO/IEC 18004 7.8.3 selects, given the symbol's `matrix` encoded with mask 0."""
    width = len(matrix)
    keep, flips = _mask_layout(width)
    base = [int(bytes(row).translate(_TO_BITS)[::-1], 2) & keep[i] for i, row in enumerate(matrix)]
    scores = [_penalty([row ^ flip for row, flip in zip(base, rows, strict=True)], width) for rows in flips]
    return scores.index(min(scores))  # the lowest score; on a tie the lower mask number, as segno


def _remask(code: Any, mask: int) -> Any:
    """`code` (segno's encoding with mask 0) with data mask `mask` instead, and its format information."""
    width = len(code.matrix)
    _keep, flips = _mask_layout(width)
    matrix = tuple(
        bytearray(
            format(int(bytes(row).translate(_TO_BITS)[::-1], 2) ^ flip, f"0{width}b")[::-1].encode()
        ).translate(_FROM_BITS)
        for row, flip in zip(code.matrix, flips[mask], strict=True)
    )
    segno_encoder.add_format_info(matrix, code.version, code.error, mask)
    return code._replace(matrix=matrix, mask=mask)


def _qr(payload: str) -> segno.QRCode:
    # Level M exactly (boost_error=False), bytes encoded as UTF-8 to match character set "1". Encoded once
    # with mask 0, then given the mask the standard's evaluation selects (same symbol as segno.make_qr).
    code = segno_encoder.encode(payload, error="m", mask=0, encoding="utf-8", micro=False, boost_error=False)
    mask = _best_mask(code.matrix)
    qr: segno.QRCode = cast(Any, segno.QRCode)(_remask(code, mask) if mask else code)
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
