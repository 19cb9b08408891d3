"""The payslip document: rendered once by the worker, stored with its checksum, the employee notified once;
the sweep picks up a render a lost task left undone."""

from __future__ import annotations

from datetime import date, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from payroll.payslip_documents import PAYSLIP_DOCUMENT, payslip_render_document
from payroll.services.payroll_runs import payroll_run_month
from smartprod.core.documents import document_sweep
from smartprod.core.models import Notification
from tests.payroll_payslip_helpers import employment, payroll_world, salary

pytestmark = pytest.mark.django_db


def test_render_stores_once_and_notifies_the_employee_once(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    w = payroll_world()
    salary(w.coop, employment(w.coop, w.project, w.employee), date(2026, 3, 1))
    (payslip,) = payroll_run_month(cooperative=w.coop, actor=w.finance, month=date(2026, 3, 1)).created

    with mock.patch.object(PAYSLIP_DOCUMENT, "enqueue_render") as render:
        swept = document_sweep(PAYSLIP_DOCUMENT, now=timezone.now() + timedelta(hours=1))
    assert swept.render_ids == [(w.coop.pk, payslip.pk)] and render.call_count == 1

    with mock.patch.object(PAYSLIP_DOCUMENT, "enqueue_send"):
        first = payslip_render_document(cooperative_id=w.coop.pk, payslip_id=payslip.pk)
        again = payslip_render_document(cooperative_id=w.coop.pk, payslip_id=payslip.pk)
    assert first.pdf_sha256 and again.pdf_sha256 == first.pdf_sha256 and again.pdf.name == first.pdf.name
    notes = Notification.objects.for_cooperative(w.coop).filter(kind="payslip.ready")
    assert [(n.recipient_id, n.event) for n in notes] == [(w.employee.user_id, f"payslip.ready:{payslip.pk}")]
