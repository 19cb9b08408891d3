"""Reading a bank's payment status report (pain.002.001.03 up to .001.14, namespace-agnostic).

What payouts need of it: for the original message, each transaction's status (OrgnlEndToEndId, TxSts —
ACCP, ACSC, ACSP, ACTC, ACWC, PDNG, RCVD or RJCT) with its reason code (StsRsnInf/Rsn/Cd, e.g. AC04
"account closed"), and rejections of a whole payment block (PmtInfSts) or of the whole file (GrpSts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

MAX_BYTES = 20 * 1024 * 1024


class Pain002Error(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TransactionStatus:
    end_to_end_id: str
    status: str
    reason_code: str
    reason_text: str


@dataclass
class StatusReport:
    message_id: str  # the report's own
    original_message_id: str
    group_status: str
    group_reason: str
    # PmtInfId → (status, reason code) for blocks reported as a whole
    blocks: dict[str, tuple[str, str]] = field(default_factory=dict)
    transactions: list[TransactionStatus] = field(default_factory=list)


def _children(node: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in node if isinstance(child.tag, str) and etree.QName(child).localname == name]


def _child(node: etree._Element | None, *path: str) -> etree._Element | None:
    for name in path:
        if node is None:
            return None
        found = _children(node, name)
        node = found[0] if found else None
    return node


def _text(node: etree._Element | None, *path: str) -> str:
    found = _child(node, *path)
    return (found.text or "").strip() if found is not None else ""


def _reason(node: etree._Element) -> tuple[str, str]:
    info = _child(node, "StsRsnInf")
    if info is None:
        return "", ""
    code = _text(info, "Rsn", "Cd") or _text(info, "Rsn", "Prtry")
    text = " ".join(_text(extra) for extra in _children(info, "AddtlInf"))
    return code, text.strip()


def parse_pain002(data: bytes) -> StatusReport:
    if len(data) > MAX_BYTES:
        raise Pain002Error("the file is larger than 20 MB")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Pain002Error(f"not well-formed XML ({exc.msg})") from exc
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "Document" or "pain.002" not in namespace:
        raise Pain002Error("not a pain.002 payment status report")
    report = _child(root, "CstmrPmtStsRpt")
    group = _child(report, "OrgnlGrpInfAndSts")
    if report is None or group is None:
        raise Pain002Error("CstmrPmtStsRpt/OrgnlGrpInfAndSts is missing")
    group_reason, _unused = _reason(group)
    result = StatusReport(
        message_id=_text(report, "GrpHdr", "MsgId"),
        original_message_id=_text(group, "OrgnlMsgId"),
        group_status=_text(group, "GrpSts"),
        group_reason=group_reason,
    )
    if not result.original_message_id:
        raise Pain002Error("OrgnlGrpInfAndSts/OrgnlMsgId is missing")
    for block in _children(report, "OrgnlPmtInfAndSts"):
        block_status = _text(block, "PmtInfSts")
        if block_status:
            result.blocks[_text(block, "OrgnlPmtInfId")] = (block_status, _reason(block)[0])
        for tx in _children(block, "TxInfAndSts"):
            code, text = _reason(tx)
            end_to_end_id = _text(tx, "OrgnlEndToEndId")
            if not end_to_end_id:
                raise Pain002Error("a TxInfAndSts has no OrgnlEndToEndId")
            result.transactions.append(
                TransactionStatus(
                    end_to_end_id=end_to_end_id,
                    status=_text(tx, "TxSts") or block_status or result.group_status,
                    reason_code=code,
                    reason_text=text,
                )
            )
    return result
