import io
import random
import re
import subprocess
from decimal import Decimal

import pytest
import segno
from PIL import Image
from pyzbar.pyzbar import decode

from invoicing.lib.epc_qr import _n1, _n3, _qr, epc_payload, epc_qr_png, epc_qr_svg

IBAN = "AT611904300234573201"
BIC = "BKAUATWW"
REFERENCE = "RF423X202600042"  # rf_reference_for_invoice(3, "2026-00042")


def _kwargs(**overrides):
    values = {
        "name": "Kooperative Sued eGen",
        "iban": IBAN,
        "bic": BIC,
        "amount": Decimal("1017.63"),
        "reference": REFERENCE,
    }
    values.update(overrides)
    return values


def _decode_png(png: bytes) -> list[str]:
    symbols = decode(Image.open(io.BytesIO(png)))
    assert len(symbols) == 1
    data: bytes = symbols[0].data
    return data.decode("utf-8").split("\n")


def test_epc_payload_with_reference_exact_lines():
    assert epc_payload(**_kwargs()).split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "BKAUATWW",
        "Kooperative Sued eGen",
        "AT611904300234573201",
        "EUR1017.63",
        "",  # purpose
        "RF423X202600042",
    ]


def test_epc_payload_with_text_leaves_reference_line_empty():
    payload = epc_payload(**_kwargs(reference="", text="Rechnung 2026-00042", bic=""))
    assert payload == (
        "BCD\n002\n1\nSCT\n\nKooperative Sued eGen\nAT611904300234573201\nEUR1017.63\n\n\nRechnung 2026-00042"
    )


def test_epc_payload_normalises_printed_iban_and_reference():
    payload = epc_payload(**_kwargs(iban="AT61 1904 3002 3457 3201", reference="RF42 3X20 2600 042"))
    lines = payload.split("\n")
    assert lines[6] == "AT611904300234573201"
    assert lines[9] == "RF423X202600042"


def test_epc_payload_amount_always_two_decimals():
    assert epc_payload(**_kwargs(amount=Decimal("12"))).split("\n")[7] == "EUR12.00"
    assert epc_payload(**_kwargs(amount=Decimal("12.3"))).split("\n")[7] == "EUR12.30"


@pytest.mark.parametrize("amount", [Decimal("0.01"), Decimal("999999999.99")])
def test_epc_payload_amount_limits_accepted(amount):
    assert f"\nEUR{amount}\n" in epc_payload(**_kwargs(amount=amount))


@pytest.mark.parametrize(
    "amount, message",
    [
        (Decimal("0.00"), "between"),
        (Decimal("-5.00"), "between"),
        (Decimal("1000000000.00"), "between"),
        (Decimal("10.001"), "two decimals"),
        (Decimal("NaN"), "finite"),
    ],
)
def test_epc_payload_bad_amount_raises(amount, message):
    with pytest.raises(ValueError, match=message):
        epc_payload(**_kwargs(amount=amount))


def test_epc_payload_float_amount_raises():
    with pytest.raises(TypeError):
        epc_payload(**_kwargs(amount=12.5))


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"reference": REFERENCE, "text": "Rechnung 42"}, "not both"),
        ({"name": "A" * 71}, "70"),
        ({"name": "   "}, "name is required"),
        ({"iban": ""}, "IBAN is required"),
        ({"iban": "AT611904300234573202"}, "IBAN"),
        ({"bic": "BKAU"}, "BIC"),
        ({"reference": "RF17539007547034"}, "RF"),
        ({"reference": "", "text": "x" * 141}, "140"),
        ({"reference": "", "text": "line\nbreak"}, "single line"),
        ({"currency": "CHF"}, "EUR"),
    ],
)
def test_epc_payload_invalid_input_raises_clear_error(overrides, message):
    with pytest.raises(ValueError, match=message):
        epc_payload(**_kwargs(**overrides))


def test_epc_payload_name_of_exactly_70_characters_accepted():
    assert epc_payload(**_kwargs(name="N" * 70)).split("\n")[5] == "N" * 70


def test_epc_qr_png_decodes_to_iban_amount_and_reference():
    lines = _decode_png(epc_qr_png(**_kwargs()))
    assert lines[0:4] == ["BCD", "002", "1", "SCT"]
    assert lines[6] == "AT611904300234573201"
    assert lines[7] == "EUR1017.63"
    assert lines[9] == "RF423X202600042"


def test_epc_qr_png_decodes_text_variant():
    lines = _decode_png(
        epc_qr_png(**_kwargs(reference="", text="Rechnung 2026-00042", amount=Decimal("5.5")))
    )
    assert lines[7] == "EUR5.50"
    assert lines[9] == ""
    assert lines[10] == "Rechnung 2026-00042"


def test_epc_qr_uses_error_level_m_without_boost():
    # EPC069-12 prescribes level M; segno would otherwise raise the level when space allows.
    assert _qr("BCD\n002\n1\nSCT\n\nX\nAT611904300234573201\nEUR1.00").error == "M"


def test_epc_qr_encodes_payload_bytes_as_utf8():
    # Character set "1" promises UTF-8; segno would pick ISO-8859-1 for "ü" unless told.
    payload = epc_payload(**_kwargs(name="Kooperative Süd eGen"))
    utf8 = segno.make_qr(payload.encode("utf-8"), error="m", boost_error=False)
    latin1 = segno.make_qr(payload.encode("iso-8859-1"), error="m", boost_error=False)
    assert _qr(payload).matrix == utf8.matrix
    assert _qr(payload).matrix != latin1.matrix


def test_epc_qr_chooses_the_same_mask_and_symbol_as_segnos_full_evaluation():
    # _qr scores the eight data masks on whole rows (ISO/IEC 18004 7.8.3) instead of segno's module-by-module
    # loop (issue 12): for payloads of every version up to 13 it must pick segno's mask and give its symbol.
    rng = random.Random(12)
    alphabet = "ABCXYZabcxyz0123456789 \n.-/äöüß€"
    masks, versions = set(), set()
    for _ in range(200):
        payload = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 320)))
        reference = segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8")
        if reference.version > 13:
            continue
        qr = _qr(payload)
        assert (qr.version, qr.mask, qr.matrix) == (reference.version, reference.mask, reference.matrix), (
            payload
        )
        masks.add(qr.mask)
        versions.add(qr.version)
    assert masks == set(range(8))
    assert versions >= set(range(1, 14))


def _n1_by_runs(lines: list[str]) -> int:
    return sum(len(run) - 2 for line in lines for run in re.findall(r"0{5,}|1{5,}", line))


def _n3_line_by_line(line: str, size: int) -> int:
    """segno's N3 of one row or column, searched line by line (as _n3 did before it scanned all at once)."""
    count = 0
    idx = line.find("1011101")
    while idx != -1:
        offset = idx + 7
        if (
            idx in (0, size - 7)
            or "1" not in line[max(idx - 4, 0) : idx]
            or "1" not in line[offset : offset + 4]
        ):
            count += 40
        else:
            offset = idx + 4
        idx = line.find("1011101", offset)
    return count


def test_the_penalties_counted_on_the_whole_text_are_those_of_each_line_summed():
    # _n1 counts runs with bit operations on two integers, _n3 scans all lines at once (issue 12): the same
    # scores as run by run and line by line, for lines of every symbol size, dense, sparse and patterned.
    rng = random.Random(7)
    for size in range(21, 70, 4):
        for density in (0.1, 0.5, 0.9):
            lines = [
                "".join("1" if rng.random() < density else "0" for _ in range(size)) for _ in range(size)
            ]
            lines[0] = ("0000" + "1011101" + "0000" + "1" * size)[:size]  # N3 at the edge and in the line
            lines[1] = ("1011101" + "0" * size)[:size]
            text = "\n".join(lines)
            assert _n1(text) == _n1_by_runs(lines)
            assert _n3(text, size) == sum(_n3_line_by_line(line, size) for line in lines)


def test_epc_qr_svg_is_inline_svg_element():
    svg = epc_qr_svg(**_kwargs())
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert "<?xml" not in svg


def test_epc_qr_svg_invalid_input_raises():
    with pytest.raises(ValueError, match="IBAN"):
        epc_qr_svg(**_kwargs(iban="DE00123"))


def test_epc_qr_svg_in_weasyprint_pdf_scans(tmp_path):
    # The invoice PDF embeds the SVG; render it like the PDF task does, rasterise, scan.
    import weasyprint

    html = f"<html><body><p>Bitte zahlen</p>{epc_qr_svg(**_kwargs())}</body></html>"
    (tmp_path / "invoice.pdf").write_bytes(weasyprint.HTML(string=html).write_pdf())
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-singlefile",
            str(tmp_path / "invoice.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    lines = _decode_png((tmp_path / "page.png").read_bytes())
    assert lines[6] == "AT611904300234573201"
    assert lines[7] == "EUR1017.63"
    assert lines[9] == "RF423X202600042"
