"""The annual § 109a EStG data (Austria): fees for activities listed in the Mitteilungsverordnung.

§ 109a EStG 1988 with the Verordnung BGBl. II Nr. 417/2001 asks, per payee and calendar year, for: name,
address, social insurance number (else date of birth), tax number, the kind of activity, the calendar year
in which the fee was paid, the fee (including benefits in kind and reimbursed costs) and the VAT (USP,
"Mitteilung nach § 109a EStG 1988"). So the export counts fees *paid* in the year (the payout item's paid
date), not approved ones. The notice is due by the end of February of the following year (electronically).
The € 900 / € 450 thresholds (§ 1 Abs. 2 of the Verordnung) are left to finance: every flagged fee is listed.
"""

from __future__ import annotations

import csv
import io

from payroll.models import PayeeProfile
from payroll.selectors.fees import fees_109a_rows
from smartprod.core import capabilities
from smartprod.core.audit import audit_log
from smartprod.core.errors import NotAllowed
from smartprod.tenancy.models import Cooperative, Membership

HEADER = [
    "year",
    "payee_name",
    "street",
    "building_number",
    "postcode",
    "town",
    "country",
    "social_insurance_number",
    "date_of_birth",
    "tax_number",
    "vat_id",
    "activity",
    "fee_note",
    "paid_on",
    "net_amount",
    "vat_amount",
    "gross_amount",
    "currency",
]


def fees_109a_csv(*, cooperative: Cooperative, actor: Membership, year: int) -> str:
    """Finance/admin: one CSV row per paid fee note marked for § 109a in `year` (an audit row is kept)."""
    if not capabilities.can_handle_money(actor) or actor.cooperative_id != cooperative.pk:
        raise NotAllowed("Only finance staff and admins export the § 109a data.")
    notes = list(fees_109a_rows(cooperative=cooperative, year=year).select_related("payout_item"))
    profiles = {
        p.membership_id: p
        for p in PayeeProfile.objects.for_cooperative(cooperative).filter(
            membership__in=[n.payee_id for n in notes]
        )
    }
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    for note in notes:
        profile = profiles.get(note.payee_id)
        user = note.payee.user
        writer.writerow(
            [
                year,
                f"{user.first_name} {user.last_name}".strip() or user.email,
                profile.street if profile else "",
                profile.building_number if profile else "",
                profile.postcode if profile else "",
                profile.town if profile else "",
                profile.country if profile else "",
                profile.social_insurance_number if profile else "",
                profile.date_of_birth.isoformat() if profile and profile.date_of_birth else "",
                profile.tax_number if profile else "",
                profile.vat_id if profile else "",
                note.description.splitlines()[0][:200] if note.description else "",
                note.number,
                note.payout_item.paid_at.isoformat() if note.payout_item.paid_at else "",
                note.net_amount,
                note.vat_amount,
                note.gross_amount,
                note.currency,
            ]
        )
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="fees.export_109a",
        obj=None,
        data={"year": year, "rows": len(notes)},
    )
    return out.getvalue()
