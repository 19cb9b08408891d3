"""Demo clients and projects: for each demo member, one project in each workflow state (idempotent)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from projects import services
from projects.models import Client, Project
from smartprod.tenancy.models import Cooperative, Membership

CLIENTS: dict[str, list[dict[str, str]]] = {
    "AT": [
        {
            "name": "Wiener Festwochen GesmbH",
            "kind": "business",
            "street": "Lehárgasse 11",
            "postcode": "1060",
            "city": "Wien",
            "country": "AT",
            "vat_id": "ATU57194903",
            "email": "buchhaltung@festwochen.example",
        },
        {
            "name": "Kulturverein Salzkammergut",
            "kind": "business",
            "street": "Marktplatz 3",
            "postcode": "4820",
            "city": "Bad Ischl",
            "country": "AT",
            "vat_id": "ATU63716919",
            "email": "office@kv-skg.example",
        },
        {
            "name": "Julia Berger",
            "kind": "consumer",
            "street": "Hauptstraße 8",
            "postcode": "8010",
            "city": "Graz",
            "country": "AT",
            "email": "julia.berger@example.org",
        },
        {
            "name": "Studio Nord GmbH",
            "kind": "business",
            "street": "Schanzenstraße 20",
            "postcode": "20357",
            "city": "Hamburg",
            "country": "DE",
            "vat_id": "DE136695976",
            "email": "ap@studionord.example",
        },
    ],
    "DE": [
        {
            "name": "Berliner Ensemble GmbH",
            "kind": "business",
            "street": "Bertolt-Brecht-Platz 1",
            "postcode": "10117",
            "city": "Berlin",
            "country": "DE",
            "vat_id": "DE812526315",
            "email": "rechnungen@be.example",
            "buyer_reference": "991-01234-56",
        },
        {
            "name": "Agentur Lichtblick UG",
            "kind": "business",
            "street": "Sonnenallee 50",
            "postcode": "12045",
            "city": "Berlin",
            "country": "DE",
            "vat_id": "DE129273398",
            "email": "hallo@lichtblick.example",
        },
        {
            "name": "Thomas Krause",
            "kind": "consumer",
            "street": "Lindenstraße 4",
            "postcode": "04109",
            "city": "Leipzig",
            "country": "DE",
            "email": "t.krause@example.org",
        },
        {
            "name": "Wiener Festwochen GesmbH",
            "kind": "business",
            "street": "Lehárgasse 11",
            "postcode": "1060",
            "city": "Wien",
            "country": "AT",
            "vat_id": "ATU57194903",
            "email": "buchhaltung@festwochen.example",
        },
    ],
}

# title, client index, agreed net, path of actions from draft
PROJECTS: list[tuple[str, int, str, list[str]]] = [
    ("Bühnenbild Sommerfestival", 0, "12000.00", ["submit", "approve"]),
    ("Fotoreportage Salzkammergut", 1, "3800.00", ["submit"]),
    ("Hochzeitsfotos", 2, "1450.00", []),
    ("Corporate Video", 3, "6200.00", ["submit", "request_changes"]),
    ("Plakatserie Herbst", 1, "900.00", ["submit", "reject"]),
    ("Musikvideo Abschluss", 0, "2500.00", ["submit", "approve", "close"]),
]


def minimal_pdf(text: str) -> bytes:
    """A small valid one-page PDF (demo contracts without rendering anything)."""
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def seed_projects(*, cooperative: Cooperative, stdout: Any) -> None:
    members = Membership.objects.for_cooperative(cooperative).select_related("user")
    advisor = members.get(user__email=f"advisor@{cooperative.slug}.example")
    clients = []
    for data in CLIENTS["AT" if cooperative.country == "AT" else "DE"]:
        client = Client.objects.for_cooperative(cooperative).filter(name=data["name"]).first()
        clients.append(client or services.client_create(cooperative=cooperative, actor=advisor, **data))
    for local in ("member", "member2"):
        owner = members.get(user__email=f"{local}@{cooperative.slug}.example")
        colleague = members.get(
            user__email=f"{'member2' if local == 'member' else 'member'}@{cooperative.slug}.example"
        )
        for title, client_index, amount, actions in PROJECTS:
            full_title = f"{title} ({owner.user.first_name})"
            if Project.objects.for_cooperative(cooperative).filter(title=full_title, owner=owner).exists():
                continue
            project = services.project_create(
                cooperative=cooperative,
                actor=owner,
                client=clients[client_index],
                title=full_title,
                description=f"Demo: {title}",
                service_period_start=date(2026, 9, 1),
                service_period_end=date(2026, 12, 31),
                agreed_net_amount=Decimal(amount),
                collaborators=[(colleague, "self_employed")] if client_index == 0 else [],
            )
            if actions:
                services.document_upload(
                    cooperative=cooperative,
                    actor=owner,
                    project=project,
                    kind="contract",
                    upload=SimpleUploadedFile(
                        "Vertrag.pdf", minimal_pdf(f"Vertrag: {full_title}"), content_type="application/pdf"
                    ),
                )
            for action in actions:
                actor = owner if action in ("submit", "close") else advisor
                comment = "Bitte Honorar aufschlüsseln." if action in ("request_changes", "reject") else ""
                services.project_transition(
                    cooperative=cooperative, actor=actor, project=project, action=action, comment=comment
                )
    stdout.write(f"  projects: {Project.objects.for_cooperative(cooperative).count()} in {cooperative.name}")
