"""A real Celery worker on a real Redis broker renders an issued invoice's PDF.

With REDIS_URL/CELERY_BROKER_URL set, tasks leave the web process: this starts `celery worker` as a
separate process against the test database and checks the task's effect in the database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection

from invoicing.models import Invoice
from tests.factories import CooperativeFactory, MembershipFactory
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    s = connection.settings_dict
    host = s["HOST"] or s.get("OPTIONS", {}).get("host", "")
    if host.startswith("/"):
        return f"postgresql://{s['USER']}:@/{s['NAME']}?host={host}"
    return f"postgresql://{s['USER']}:{s['PASSWORD'] or ''}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_worker_on_redis_renders_the_invoice_document(tmp_path, settings):
    redis.Redis.from_url(REDIS_URL).ping()  # the broker must really be there
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    project = approved_project(coop, owner, advisor)
    invoice = issued(coop, owner, advisor, project, on=date(2026, 6, 1))  # eager task ran: reset the document
    Invoice.objects.for_cooperative(coop).filter(pk=invoice.pk).update(
        pdf="", pdf_sha256="", pdf_rendered_at=None
    )

    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smartprod.settings.dev",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "PRIVATE_MEDIA_ROOT": str(tmp_path),
        "DJANGO_DEBUG": "false",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "smartprod",
            "worker",
            "-Q",
            queue,
            "-c",
            "1",
            "--pool",
            "solo",
            "-l",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        client = Celery(broker=REDIS_URL, set_as_current=False)  # later tests keep the eager app
        client.send_task(
            "invoicing.render_invoice_document",
            kwargs={"cooperative_id": coop.pk, "invoice_id": invoice.pk},
            queue=queue,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            invoice.refresh_from_db()
            if invoice.pdf_rendered_at is not None or worker.poll() is not None:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert invoice.pdf_rendered_at is not None, f"the worker did not render the document:\n{output[-3000:]}"
    assert len(invoice.pdf_sha256) == 64
    assert (tmp_path / invoice.pdf.name).read_bytes().startswith(b"%PDF")


def test_beat_schedules_what_the_apps_registered(tmp_path):
    """A real `celery beat` process loads its schedule from the kernel registry the apps fill in ready()."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smartprod.settings.dev",
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",  # beat itself needs no database
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "DJANGO_DEBUG": "false",
    }
    log = tmp_path / "beat.log"
    with log.open("w") as output:
        beat = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "smartprod",
                "beat",
                "-l",
                "debug",
                "-s",
                str(tmp_path / "s"),
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while "beat: Ticking" not in log.read_text():
            assert beat.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        beat.terminate()
        beat.wait(timeout=30)
    schedule = log.read_text()
    assert "<ScheduleEntry: dunning-daily invoicing.run_dunning()" in schedule
    assert "<ScheduleEntry: invoice-documents-sweep invoicing.sweep_invoice_documents()" in schedule
