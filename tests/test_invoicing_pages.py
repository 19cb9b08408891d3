"""The member portal's invoice pages, the project page's invoice panel and the backend's invoice actions."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import timezone

from invoicing import services
from invoicing.documents import invoice_render_document
from invoicing.lib.camt import build_camt053
from invoicing.models import BankEntry, Invoice, Payment
from invoicing.panels import invoice_panel
from projects import services as project_services
from smartprod.tenancy.context import set_request_context
from tests.invoicing_helpers import draft, issued
from tests.projects_helpers import approved_project, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def owner(coop, make_member):
    return make_member(coop)


@pytest.fixture
def advisor(coop, make_member):
    return make_member(coop, role="advisor")


@pytest.fixture
def finance(coop, make_member):
    return make_member(coop, role="finance")


@pytest.fixture
def project(coop, owner, advisor):
    return approved_project(coop, owner, advisor)


def rendered(invoice: Invoice) -> Invoice:
    """The PDF, as the worker makes it after the issue's commit."""
    return invoice_render_document(cooperative_id=invoice.cooperative_id, invoice_id=invoice.pk)


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-description": "Bühnenbild Entwurf",
        "lines-0-quantity": "10",
        "lines-0-unit": "HUR",
        "lines-0-unit_price": "100.00",
        "lines-0-vat_rate": "20",
        "lines-1-description": "Modellbau",
        "lines-1-quantity": "1",
        "lines-1-unit": "LS",
        "lines-1-unit_price": "450.00",
        "lines-1-vat_rate": "20",
        "lines-2-description": "",
        "lines-2-quantity": "",
        "lines-2-unit": "C62",
        "lines-2-unit_price": "",
        "lines-2-vat_rate": "20",
        "service_date": "2026-04-30",
        "service_period_start": "",
        "service_period_end": "",
        "order_reference": "PO-2026-17",
        "note": "Vielen Dank!",
    }
    data.update(overrides)
    return data


def value_of(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    if match is None:
        return None
    found = re.search(r'value="([^"]*)"', match.group(0))
    return found.group(1) if found else ""


def selected_of(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    found = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(1))
    return found.group(1) if found else None


# --- the draft form -------------------------------------------------------------------------------------


def test_new_invoice_form_offers_the_cooperatives_vat_rates(coop, owner, project, client_for):
    response = client_for(owner).get(f"/projects/{project.pk}/invoices/new/")

    assert response.status_code == 200
    html = response.content.decode()
    options = re.findall(
        r'<option value="([^"]*)"', re.search(r'name="lines-0-vat_rate".*?</select>', html, re.S).group(0)
    )
    assert options == ["20", "13", "10", "reverse_charge", "not_taxable", "exempt"]
    assert selected_of(html, "lines-0-vat_rate") == "20"
    assert value_of(html, "lines-TOTAL_FORMS") == "3"
    assert 'id="line-template"' in html


def test_draft_form_creates_the_invoice_and_shows_it(coop, owner, project, client_for):
    response = client_for(owner).post(f"/projects/{project.pk}/invoices/new/", form_data())

    invoice = Invoice.objects.for_cooperative(coop).get()
    assert response.status_code == 302
    assert response["Location"] == f"/invoices/{invoice.pk}/"
    assert (invoice.status, invoice.gross_total, invoice.order_reference, invoice.note) == (
        "draft",
        Decimal("1740.00"),
        "PO-2026-17",
        "Vielen Dank!",
    )
    lines = list(invoice.lines.all())
    assert [(x.description, x.quantity, x.unit, x.net_amount) for x in lines] == [
        ("Bühnenbild Entwurf", Decimal("10.000"), "HUR", Decimal("1000.00")),
        ("Modellbau", Decimal("1.000"), "LS", Decimal("450.00")),
    ]


def test_draft_form_keeps_typed_values_on_error(coop, owner, project, client_for):
    data = form_data(
        **{
            "lines-0-quantity": "0",
            "lines-1-unit_price": "",
            "lines-2-description": "Transport",
            "lines-2-vat_rate": "13",
            "service_date": "",
            "service_period_start": "2026-03-01",
        }
    )

    response = client_for(owner).post(f"/projects/{project.pk}/invoices/new/", data)

    assert response.status_code == 200
    html = response.content.decode()
    assert not Invoice.objects.for_cooperative(coop).exists()
    assert value_of(html, "lines-0-description") == "Bühnenbild Entwurf"
    assert value_of(html, "lines-0-quantity") == "0"
    assert selected_of(html, "lines-0-unit") == "HUR"
    assert value_of(html, "lines-1-description") == "Modellbau"
    assert value_of(html, "lines-2-description") == "Transport"
    assert selected_of(html, "lines-2-vat_rate") == "13"
    assert value_of(html, "service_period_start") == "2026-03-01"
    assert value_of(html, "order_reference") == "PO-2026-17"
    assert "Vielen Dank!" in html
    # Each error sits next to its field.
    assert re.search(
        r'name="lines-0-quantity"[^>]*>\s*<ul class="errorlist[^"]*"[^>]*><li>Enter a quantity above 0\.',
        html,
    )
    assert re.search(
        r'name="lines-1-unit_price"[^>]*>\s*<ul class="errorlist[^"]*"[^>]*><li>Required\.', html
    )
    assert re.search(
        r'name="service_period_end"[^>]*>\s*<ul class="errorlist[^"]*"[^>]*><li>Give both ends of the period',
        html,
    )


def test_draft_form_shows_the_services_refusal_and_keeps_values(coop, owner, project, client_for):
    data = form_data(**{"lines-1-vat_rate": "exempt"})

    response = client_for(owner).post(f"/projects/{project.pk}/invoices/new/", data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Taxable, reverse-charge, not taxable and exempt lines go on separate invoices." in html
    assert selected_of(html, "lines-1-vat_rate") == "exempt"
    assert value_of(html, "lines-1-unit_price") == "450.00"
    assert not Invoice.objects.for_cooperative(coop).exists()


def test_draft_form_without_any_line_says_so(coop, owner, project, client_for):
    data = form_data(
        **{f"lines-{i}-{f}": "" for i in (0, 1) for f in ("description", "quantity", "unit_price")}
    )

    response = client_for(owner).post(f"/projects/{project.pk}/invoices/new/", data)

    assert response.status_code == 200
    assert "Add at least one line." in response.content.decode()
    assert not Invoice.objects.for_cooperative(coop).exists()


def test_new_invoice_for_a_project_not_approved_sends_back_with_a_message(coop, owner, client_for):
    unapproved = make_project(coop, owner)

    response = client_for(owner).get(f"/projects/{unapproved.pk}/invoices/new/", follow=True)

    assert response.redirect_chain == [(f"/projects/{unapproved.pk}/", 302)]
    assert "Only approved projects can be invoiced" in response.content.decode()


def test_new_invoice_page_is_404_for_a_project_the_person_cannot_see(
    coop, other_coop, project, make_member, client_for
):
    for outsider in (make_member(coop), make_member(other_coop, role="admin")):
        assert client_for(outsider).get(f"/projects/{project.pk}/invoices/new/").status_code == 404


def test_edit_page_prefills_the_lines_and_saves_changes(coop, owner, project, client_for):
    invoice = draft(coop, owner, project, ("Konzept", "2.5", "80.00", "13"))
    client = client_for(owner)

    html = client.get(f"/invoices/{invoice.pk}/edit/").content.decode()

    assert value_of(html, "lines-0-description") == "Konzept"
    assert value_of(html, "lines-0-quantity") == "2.5"
    assert selected_of(html, "lines-0-vat_rate") == "13"
    assert value_of(html, "lines-TOTAL_FORMS") == "2"

    data = form_data(
        **{
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "1",
            "lines-0-description": "Konzept",
            "lines-0-quantity": "3",
            "lines-0-unit": "HUR",
            "lines-0-unit_price": "80.00",
            "lines-0-vat_rate": "13",
            "lines-1-description": "",
            "lines-1-quantity": "",
            "lines-1-unit_price": "",
        }
    )
    response = client.post(f"/invoices/{invoice.pk}/edit/", data)

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("240.00"),
        Decimal("31.20"),
        Decimal("271.20"),
    )


def test_issued_invoice_has_no_edit_page(coop, owner, advisor, project, client_for):
    invoice = issued(coop, owner, advisor, project)

    response = client_for(owner).get(f"/invoices/{invoice.pk}/edit/", follow=True)

    assert response.redirect_chain == [(f"/invoices/{invoice.pk}/", 302)]
    assert "corrections are credit notes" in response.content.decode()


# --- the invoice page -----------------------------------------------------------------------------------


def test_draft_page_offers_edit_and_submit_to_the_owner_and_submit_works(coop, owner, project, client_for):
    invoice = draft(coop, owner, project)
    client = client_for(owner)

    html = client.get(f"/invoices/{invoice.pk}/").content.decode()

    assert 'data-status="draft"' in html
    assert f'href="/invoices/{invoice.pk}/edit/"' in html
    assert f'action="/invoices/{invoice.pk}/submit/"' in html
    assert "/pdf/" not in html

    response = client.post(f"/invoices/{invoice.pk}/submit/", follow=True)

    assert 'data-status="submitted"' in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "submitted"


def test_invoice_page_shows_lines_vat_totals_payments_credit_notes_and_document_state(
    coop, owner, advisor, finance, project, client_for
):
    invoice = issued(
        coop,
        owner,
        advisor,
        project,
        ("Bühnenbild", "10", "100.00", "20"),
        ("Katalogtext", "1", "200.00", "10"),
    )
    rendered(invoice)
    services.payment_record(
        cooperative=coop, actor=finance, invoice=invoice, amount="300.00", date=timezone.localdate()
    )
    note = services.credit_note_issue(
        cooperative=coop,
        actor=advisor,
        invoice=invoice,
        reason="Nachlass",
        lines=[services.LineInput("Nachlass", "1", "100.00", "20")],
    )

    html = client_for(owner).get(f"/invoices/{invoice.pk}/").content.decode()

    invoice.refresh_from_db()
    assert invoice.number in html
    assert 'data-status="partially_paid"' in html
    assert f'data-fact="due_date">{invoice.due_date:%m/%d/%Y}</dd>' in html  # English: the factory's
    assert re.search(r'data-fact="dunning_level">0 ', html)
    assert 'data-line="1"' in html and "Bühnenbild" in html and "Katalogtext" in html
    assert re.search(r'data-total="net"><span class="money">1,200.00</span>', html)
    assert re.search(r'data-vat="S-20"><span class="money">200.00</span>', html)
    assert re.search(r'data-vat="S-10"><span class="money">20.00</span>', html)
    assert re.search(r'data-total="gross"><span class="money">1,420.00</span>', html)
    assert re.search(r'data-total="paid"><span class="money">300.00</span>', html)
    assert re.search(r'data-total="credited"><span class="money">120.00</span>', html)
    assert re.search(r'data-total="open"><span class="money">1,000.00</span>', html)
    assert f'data-payment="{Payment.objects.for_cooperative(coop).get().pk}"' in html
    assert f'href="/invoices/{note.pk}/">{note.number}</a>' in html
    assert 'data-document="pdf" data-state="rendered"' in html
    assert 'data-document="email"' in html
    assert f'href="/invoices/{invoice.pk}/pdf/"' in html
    assert f'href="/invoices/{invoice.pk}/edit/"' not in html
    assert "/admin/" not in html  # the backend link is for staff


def test_invoice_page_is_404_for_people_who_cannot_see_the_project(
    coop, other_coop, owner, project, make_member, client_for
):
    invoice = draft(coop, owner, project)

    for outsider in (make_member(coop), make_member(other_coop), make_member(other_coop, role="admin")):
        client = client_for(outsider)
        assert client.get(f"/invoices/{invoice.pk}/").status_code == 404
        assert client.get(f"/invoices/{invoice.pk}/edit/").status_code == 404
        assert client.post(f"/invoices/{invoice.pk}/submit/").status_code == 404
    invoice.refresh_from_db()
    assert invoice.status == "draft"


def test_staff_see_the_invoice_with_a_link_to_the_backend(coop, owner, advisor, project, client_for):
    invoice = draft(coop, owner, project)

    html = client_for(advisor).get(f"/invoices/{invoice.pk}/").content.decode()

    assert f'href="/admin/invoicing/invoice/{invoice.pk}/change/"' in html


# --- the PDF download -----------------------------------------------------------------------------------


def test_pdf_download_is_an_attachment_for_the_owner_and_404_for_others(
    coop, other_coop, owner, advisor, project, make_member, client_for
):
    invoice = rendered(issued(coop, owner, advisor, project))

    response = client_for(owner).get(f"/invoices/{invoice.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="Rechnung-{invoice.number}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    for outsider in (make_member(coop), make_member(other_coop, role="finance")):
        assert client_for(outsider).get(f"/invoices/{invoice.pk}/pdf/").status_code == 404


def test_pdf_download_before_rendering_explains_and_goes_back(coop, owner, advisor, project, client_for):
    invoice = issued(coop, owner, advisor, project)

    response = client_for(owner).get(f"/invoices/{invoice.pk}/pdf/", follow=True)

    assert response.redirect_chain == [(f"/invoices/{invoice.pk}/", 302)]
    assert "still being prepared" in response.content.decode()
    assert 'data-document="pdf" data-state="pending"' in response.content.decode()


# --- the project panel ----------------------------------------------------------------------------------


def panel_html(request_user, project) -> str:
    request = RequestFactory().get(f"/projects/{project.pk}/")
    request.user = request_user.user
    set_request_context(request, cooperative=request_user.cooperative, membership=request_user)
    return str(invoice_panel(request, project))


def test_project_panel_lists_invoices_with_status_due_dunning_open_and_pdf(
    coop, owner, advisor, finance, project
):
    first = rendered(issued(coop, owner, advisor, project))
    services.payment_record(
        cooperative=coop, actor=finance, invoice=first, amount="200.00", date=timezone.localdate()
    )
    drafted = draft(coop, owner, project)

    html = panel_html(owner, project)

    first.refresh_from_db()
    assert f'href="/projects/{project.pk}/invoices/new/"' in html
    row = re.search(rf'<tr data-invoice="{first.pk}">(.*?)</tr>', html, re.S).group(1)
    assert first.number in row
    assert 'data-status="partially_paid"' in row
    assert 'data-dunning="0">0' in row
    assert 'data-open="1000.00"' in row
    assert f'href="/invoices/{first.pk}/pdf/"' in row
    draft_row = re.search(rf'<tr data-invoice="{drafted.pk}">(.*?)</tr>', html, re.S).group(1)
    assert 'data-status="draft"' in draft_row
    assert "/pdf/" not in draft_row


def test_project_panel_marks_overdue_invoices(coop, owner, advisor, project):
    invoice = issued(coop, owner, advisor, project, on=timezone.localdate() - timedelta(days=60))

    html = panel_html(owner, project)

    assert re.search(rf'<tr data-invoice="{invoice.pk}">.*?badge-overdue', html, re.S)


def test_project_panel_has_no_new_button_for_collaborators_or_closed_projects(
    coop, owner, advisor, make_member
):
    colleague = make_member(coop)
    project = approved_project(coop, owner, advisor, collaborators=[(colleague, "self_employed")])

    assert "invoices/new/" not in panel_html(colleague, project)
    assert "invoices/new/" in panel_html(advisor, project)
    project_services.project_close(cooperative=coop, actor=owner, project=project)
    project.refresh_from_db()
    assert "invoices/new/" not in panel_html(owner, project)


def test_project_page_shows_the_panel_once_registered(coop, owner, project, client_for, monkeypatch):
    from projects import panels
    from smartprod.core.registry import Registry

    only_invoices: Registry[panels.ProjectPanel] = Registry("project page panels")
    only_invoices.register(invoice_panel)
    monkeypatch.setattr(panels, "panels", only_invoices)
    invoice = draft(coop, owner, project)

    html = client_for(owner).get(f"/projects/{project.pk}/").content.decode()

    assert 'id="invoices"' in html
    assert f'<tr data-invoice="{invoice.pk}">' in html


# --- the backend ----------------------------------------------------------------------------------------


def test_admin_queue_shows_submitted_drafts_and_the_issue_action_issues_them(
    coop, owner, advisor, project, client_for
):
    waiting = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=waiting)
    still_draft = draft(coop, owner, project)
    client = client_for(advisor)

    queue = client.get("/admin/invoicing/invoice/?queue=submitted").content.decode()

    assert f'value="{waiting.pk}"' in queue
    assert f'value="{still_draft.pk}"' not in queue

    response = client.post(
        "/admin/invoicing/invoice/",
        {"action": "issue_selected", "_selected_action": [waiting.pk, still_draft.pk]},
        follow=True,
    )

    html = response.content.decode()
    waiting.refresh_from_db()
    still_draft.refresh_from_db()
    assert (waiting.status, waiting.number) == ("issued", f"{timezone.localdate().year}-00001")
    assert still_draft.status == "draft"
    assert "1 invoice(s) issued" in html
    assert "The member submits the draft first." in html


def test_admin_issue_action_is_not_offered_to_a_member_or_another_cooperative(
    coop, other_coop, owner, project, make_member, client_for
):
    waiting = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=waiting)
    foreign = make_member(other_coop, role="advisor")

    client_for(foreign).post(
        "/admin/invoicing/invoice/", {"action": "issue_selected", "_selected_action": [waiting.pk]}
    )
    foreign_list = client_for(foreign).get("/admin/invoicing/invoice/").content.decode()

    waiting.refresh_from_db()
    assert waiting.status == "submitted"
    assert f'value="{waiting.pk}"' not in foreign_list
    assert client_for(foreign).get(f"/admin/invoicing/invoice/{waiting.pk}/change/").status_code in (302, 404)


def test_admin_change_page_is_read_only(coop, owner, advisor, project, client_for):
    invoice = issued(coop, owner, advisor, project)

    html = client_for(advisor).get(f"/admin/invoicing/invoice/{invoice.pk}/change/").content.decode()

    assert invoice.number in html
    assert 'name="note"' not in html and 'name="due_date"' not in html
    assert "Stage design" in html  # the lines inline


def test_admin_payment_action_asks_for_amount_and_date_then_books(
    coop, owner, advisor, finance, project, client_for
):
    invoice = issued(coop, owner, advisor, project)
    client = client_for(finance)

    form = client.post(
        "/admin/invoicing/invoice/", {"action": "record_payment", "_selected_action": [invoice.pk]}
    )

    assert form.status_code == 200
    assert 'name="amount"' in form.content.decode()

    response = client.post(
        "/admin/invoicing/invoice/",
        {
            "action": "record_payment",
            "_selected_action": [invoice.pk],
            "apply": "1",
            "amount": "200.00",
            "date": timezone.localdate().isoformat(),
        },
        follow=True,
    )

    assert "1 payment(s) recorded." in response.content.decode()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total) == ("partially_paid", Decimal("200.00"))


def test_admin_payment_form_submitted_twice_books_once(coop, owner, advisor, finance, project, client_for):
    invoice = issued(coop, owner, advisor, project)
    client = client_for(finance)
    form = client.post(
        "/admin/invoicing/invoice/", {"action": "record_payment", "_selected_action": [invoice.pk]}
    ).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', form)
    assert token is not None
    submit = {
        "action": "record_payment",
        "_selected_action": [invoice.pk],
        "apply": "1",
        "amount": "",  # the open amount: 1200.00 the first time, 0.00 the second
        "date": timezone.localdate().isoformat(),
        "token": token.group(1),
    }

    first = client.post("/admin/invoicing/invoice/", submit, follow=True).content.decode()
    second = client.post("/admin/invoicing/invoice/", submit, follow=True).content.decode()

    assert "1 payment(s) recorded." in first and "1 payment(s) recorded." in second
    assert Payment.objects.for_cooperative(coop).count() == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total) == ("paid", Decimal("1200.00"))
    fresh = client.post(
        "/admin/invoicing/invoice/", {"action": "record_payment", "_selected_action": [invoice.pk]}
    ).content.decode()
    assert token.group(1) not in fresh  # each time the form is shown, a new token


def test_admin_payment_action_is_not_offered_to_an_advisor(coop, owner, advisor, project, client_for):
    invoice = issued(coop, owner, advisor, project)
    client = client_for(advisor)

    listing = client.get("/admin/invoicing/invoice/").content.decode()
    client.post(
        "/admin/invoicing/invoice/",
        {"action": "record_payment", "_selected_action": [invoice.pk], "apply": "1", "date": "2026-05-01"},
    )

    assert 'value="issue_selected"' in listing
    assert 'value="record_payment"' not in listing
    assert 'value="write_off_selected"' not in listing
    assert not Payment.objects.for_cooperative(coop).exists()


def test_admin_credit_write_off_and_dunning_actions(coop, owner, advisor, finance, project, client_for):
    credited, written_off, disputed = (issued(coop, owner, advisor, project) for _ in range(3))
    client = client_for(finance)

    def act(action: str, invoice: Invoice, **data: str) -> str:
        body = {"action": action, "_selected_action": [invoice.pk], "apply": "1", **data}
        return str(client.post("/admin/invoicing/invoice/", body, follow=True).content.decode())

    missing_reason = act("credit_selected", credited, reason="")
    assert "This field is required." in missing_reason
    act("credit_selected", credited, reason="Storno")
    act("write_off_selected", written_off, reason="Insolvenz")
    act("block_dunning", disputed, reason="Reklamation")

    for invoice in (credited, written_off, disputed):
        invoice.refresh_from_db()
    assert credited.status == "cancelled"
    assert written_off.status == "written_off"
    assert (disputed.dunning_blocked, disputed.dunning_block_reason) == (True, "Reklamation")

    act("resume_dunning", disputed, reason="")
    disputed.refresh_from_db()
    assert disputed.dunning_blocked is False


def test_admin_bank_import_shows_matched_and_unmatched_and_an_entry_can_be_assigned(
    coop, owner, advisor, finance, project, client_for
):
    invoice = issued(coop, owner, advisor, project)
    other = issued(coop, owner, advisor, project)
    data = build_camt053(
        account_iban=coop.iban,
        statement_id="STMT-9",
        entries=[
            {
                "amount": Decimal("1200.00"),
                "structured_reference": invoice.rf_reference,
                "debtor_name": "ACME GmbH",
            },
            {"amount": Decimal("600.00"), "remittance": "Teilzahlung", "debtor_name": "ACME GmbH"},
        ],
    )
    client = client_for(finance)

    assert "Import camt.053" in client.get("/admin/invoicing/bankstatement/").content.decode()
    response = client.post(
        "/admin/invoicing/bankstatement/import/",
        {"file": SimpleUploadedFile("stmt.xml", data, content_type="application/xml")},
    )

    html = response.content.decode()
    assert response.status_code == 200
    matched = re.search(r'<table id="matched">(.*?)</table>', html, re.S).group(1)
    unmatched = re.search(r'<table id="unmatched">(.*?)</table>', html, re.S).group(1)
    assert "1200.00" in matched and invoice.number in matched
    assert "600.00" in unmatched and "Teilzahlung" in unmatched

    entry = BankEntry.objects.for_cooperative(coop).get(status="unmatched")
    listing = client.get("/admin/invoicing/bankentry/").content.decode()
    assert f'value="{entry.pk}"' in listing
    form = client.post(
        "/admin/invoicing/bankentry/", {"action": "assign_to_invoice", "_selected_action": [entry.pk]}
    )
    assert other.number in form.content.decode()
    client.post(
        "/admin/invoicing/bankentry/",
        {"action": "assign_to_invoice", "_selected_action": [entry.pk], "apply": "1", "invoice": other.pk},
    )

    entry.refresh_from_db()
    other.refresh_from_db()
    assert (entry.status, entry.invoice_id) == ("assigned", other.pk)
    assert (other.status, other.paid_total) == ("partially_paid", Decimal("600.00"))


def test_admin_bank_import_is_for_finance_only(coop, advisor, client_for):
    client = client_for(advisor)

    assert "Import camt.053" not in client.get("/admin/invoicing/bankstatement/").content.decode()
    assert client.get("/admin/invoicing/bankstatement/import/").status_code == 404


def test_admin_reference_data_is_readable_by_staff_and_added_by_platform_operators_only(
    coop, advisor, finance, client_for
):
    assert client_for(advisor).get("/admin/invoicing/vatrate/").status_code == 200
    assert client_for(advisor).get("/admin/invoicing/vatrate/add/").status_code == 403
    assert client_for(finance).get("/admin/invoicing/vatrate/").status_code == 200
    assert client_for(finance).get("/admin/invoicing/vatrate/add/").status_code == 403
    assert client_for(finance).get("/admin/invoicing/baserate/add/").status_code == 403


def test_admin_dunning_policy_refuses_a_level_twice(coop, finance, client_for):
    client = client_for(finance)
    level = {
        "level": "1",
        "name_de": "Zahlungserinnerung",
        "name_en": "Reminder",
        "days_after_due": "7",
        "fee": "0.00",
        "text_de": "Bitte zahlen.",
        "text_en": "Please pay.",
    }

    first = client.post("/admin/invoicing/dunninglevel/add/", level)
    second = client.post("/admin/invoicing/dunninglevel/add/", level)

    assert first.status_code == 302
    assert second.status_code == 200
    assert "The policy has this level already." in second.content.decode()


def test_staff_may_edit_a_members_draft_but_only_its_author_submits_it(
    coop, owner, advisor, project, client_for
):
    invoice = draft(coop, owner, project)

    html = client_for(advisor).get(f"/invoices/{invoice.pk}/").content.decode()

    assert f'href="/invoices/{invoice.pk}/edit/"' in html
    assert f'action="/invoices/{invoice.pk}/submit/"' not in html
