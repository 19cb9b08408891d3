"""Official validators for the e-invoices, used by the tests: KoSIT's XRechnung schematron and the
ebInterface 6.1 XSD.

The XRechnung schematron (KoSIT, Apache-2.0, release v2.5.0 for XRechnung 3.0.x) and SchXslt (MIT,
v1.9.5), the Schematron-to-XSLT compiler KoSIT builds it with, are vendored in tests/vendor/ with their
licences; Saxon-HE (the ``saxonche`` wheel) runs both, so no Java and no network are needed. The
ebInterface 6.1 XSD (AUSTRIAPRO's schema, byte for byte) is vendored from phax/ph-ebinterface, which
redistributes it under Apache-2.0.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from lxml import etree
from saxonche import PySaxonProcessor

ROOT = Path(__file__).resolve().parent.parent
VENDOR = Path(__file__).resolve().parent / "vendor"
XRECHNUNG_CII_SCH = VENDOR / "xrechnung-schematron" / "cii" / "XRechnung-CII-validation.sch"
SCHXSLT_PIPELINE = VENDOR / "schxslt" / "2.0" / "pipeline-for-svrl.xsl"
EN16931_CII_XSLT = VENDOR / "en16931-schematron" / "EN16931-CII-validation.xslt"
EBINTERFACE_XSD = VENDOR / "ebinterface" / "ebinterface-6.1.xsd"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@functools.cache
def _processor() -> PySaxonProcessor:
    return PySaxonProcessor(license=False)


SCH = "http://purl.oclc.org/dsdl/schematron"


def _xrechnung_schema_text() -> str:
    """The schematron with common.sch included and its variables made global.

    KoSIT's pattern "variable-pattern" declares the code lists and version ids that every other pattern
    uses; the SchXslt release KoSIT builds with (1.10) compiles such pattern variables as global ones,
    SchXslt 1.9.5 (the last one on GitHub) as local ones. Declaring them at schema level gives 1.9.5 the
    same meaning; the rules themselves are untouched.
    """
    root = etree.parse(str(XRECHNUNG_CII_SCH)).getroot()
    for include in root.findall(f"{{{SCH}}}include"):
        included = etree.parse(str((XRECHNUNG_CII_SCH.parent / include.get("href")).resolve())).getroot()
        include.getparent().replace(include, included)
    lets = root.findall(f"{{{SCH}}}pattern[@id='variable-pattern']/{{{SCH}}}let")
    anchor = root.findall(f"{{{SCH}}}ns")[-1]
    for let in reversed(lets):
        anchor.addnext(let)  # moves it out of the pattern
    return str(etree.tostring(root, encoding="unicode"))


@functools.cache
def _xrechnung_stylesheet() -> str:
    """The XRechnung CII schematron compiled to XSLT by SchXslt (once per test run)."""
    processor = _processor()
    compiler = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(SCHXSLT_PIPELINE))
    schema = processor.parse_xml(xml_text=_xrechnung_schema_text())
    compiled = compiler.transform_to_string(xdm_node=schema)
    if not compiled:
        raise RuntimeError(f"SchXslt could not compile {XRECHNUNG_CII_SCH}")
    return str(compiled)


def xrechnung_report(xml: bytes) -> list[tuple[str, str, str]]:
    """Every failed assert of the XRechnung schematron on ``xml``: (flag, id, message)."""
    processor = _processor()
    executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_text=_xrechnung_stylesheet())
    document = processor.parse_xml(xml_text=xml.decode("utf-8"))
    return _svrl_failures(executable.transform_to_string(xdm_node=document))


def _svrl_failures(svrl: str) -> list[tuple[str, str, str]]:
    root = etree.fromstring(svrl.encode("utf-8"))
    return [
        (
            str(failed.get("flag") or "error"),
            str(failed.get("id") or ""),
            " ".join("".join(failed.itertext()).split()),
        )
        for failed in root.iterfind(".//svrl:failed-assert", SVRL)
    ]


@functools.cache
def _en16931_executable() -> Any:
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(EN16931_CII_XSLT))


def en16931_report(xml: bytes) -> list[tuple[str, str, str]]:
    """Every failed assert of CEN's EN 16931 CII schematron (validation-1.3.15) on ``xml``."""
    document = _processor().parse_xml(xml_text=xml.decode("utf-8"))
    return _svrl_failures(_en16931_executable().transform_to_string(xdm_node=document))


def xrechnung_errors(xml: bytes) -> list[str]:
    """The fatal/error findings of the full XRechnung validation: CEN's EN 16931 rules, then KoSIT's
    BR-DE rules (warnings and information left out), as KoSIT's validator configuration runs them."""
    findings = en16931_report(xml) + xrechnung_report(xml)
    return [f"{rule}: {text}" for flag, rule, text in findings if flag in ("fatal", "error")]


@functools.cache
def _ebinterface_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(EBINTERFACE_XSD)))


def ebinterface_errors(xml: bytes) -> list[str]:
    """The ebInterface 6.1 XSD's complaints about ``xml`` (empty when it is valid)."""
    schema = _ebinterface_schema()
    valid = schema.validate(etree.fromstring(xml))
    return [] if valid else [str(error) for error in schema.error_log]
