"""Benchmark: the daily dunning scan over 100,000 invoices of which 1 % are overdue.

Called by bench/run.py after Django is set up and a (test) database exists; runs in autocommit mode.
The invoices are inserted directly with COPY (status issued/paid, consistent totals, no ledger postings):
80 % paid, 19 % open and not yet due, 1 % open and overdue. It then

* times the candidate query alone and checks with EXPLAIN that it reads the partial index
  `invoice_open_due` (open, unblocked invoices by due date) instead of the whole table;
* times `run_dunning` for the cooperative three times, each on a fresh copy (notices removed and levels
  reset between runs), and reports the median and notices per second.

Letters are a worker's job and not part of the scan: their tasks are replaced by a no-op here.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

from django.db import connection

from invoicing.dunning import dunning_candidates, dunning_policy, run_dunning
from invoicing.lib.rf import rf_reference_for_invoice
from invoicing.models import DunningNotice, Invoice
from members.models import User
from projects.models import Client, Project
from smartprod.core.models import AuditEvent
from smartprod.core.rls import owner_connection
from smartprod.tenancy.models import Cooperative, Membership

AS_OF = date(2026, 6, 30)
INDEX = "invoice_open_due"


def _setup(rows: int, overdue_share: float) -> tuple[Cooperative, int]:
    token = uuid.uuid4().hex[:8]
    cooperative = Cooperative.objects.create(
        name=f"Bench {token}",
        slug=f"bench-{token}",
        legal_name=f"Bench {token} eGen",
        street="Benchgasse 1",
        postcode="1010",
        city="Wien",
        vat_id="ATU12345675",
        iban="AT611904300234573201",
        bic="BKAUATWW",
        language="en",
    )
    user = User.objects.create_user(email=f"bench-{token}@example.org")
    owner = Membership.objects.create(
        cooperative=cooperative, user=user, role=Membership.Role.ADMIN, status="active", member_number=1
    )
    client = Client.objects.create(
        cooperative=cooperative,
        name="Bench Client GmbH",
        street="Ring 1",
        postcode="1010",
        city="Wien",
        email="client@example.org",
        created_by=user,
    )
    project = Project.objects.create(
        cooperative=cooperative,
        owner=owner,
        client=client,
        title="Bench project",
        service_period_start=date(2024, 1, 1),
        service_period_end=date(2026, 12, 31),
        agreed_net_amount=Decimal("1000000.00"),
        status=Project.Status.APPROVED,
    )
    overdue = max(1, int(rows * overdue_share))
    open_not_due = int(rows * 0.19)
    net, vat = Decimal("1000.00"), Decimal("200.00")
    template = Invoice(
        cooperative=cooperative,
        project=project,
        client=client,
        number="template",
        status=Invoice.Status.ISSUED,
        issue_date=AS_OF,
        due_date=AS_OF,
        client_name=client.name,
        client_address="Ring 1\n1010 Wien\nAT",
        client_email=client.email,
        client_is_business=True,
        net_total=net,
        vat_total=vat,
        gross_total=net + vat,
        contribution_rate=Decimal("7.50"),
        contribution=Decimal("75.00"),
        created_by=user,
    )
    # COPY instead of bulk_create (10× faster); the column values come from the model's own fields, so
    # defaults and new columns are filled as the ORM would fill them. PostgreSQL refuses COPY FROM into a
    # table with row-level security: the rows are copied into a temporary table (none) and inserted from
    # there in one statement, which the policy checks like any INSERT.
    fields = [f for f in Invoice._meta.concrete_fields if not f.primary_key]
    base = [f.get_db_prep_save(f.pre_save(template, True), connection) for f in fields]
    position = {f.attname: i for i, f in enumerate(fields)}
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    with connection.cursor() as cursor:
        staging = f"SELECT {columns} FROM invoicing_invoice WITH NO DATA"
        cursor.execute(f"CREATE TEMPORARY TABLE bench_invoice_rows AS {staging}")
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY bench_invoice_rows ({columns}) FROM STDIN") as copy,
    ):
        for n in range(1, rows + 1):
            number = f"B{n:07d}"
            if n <= overdue:  # 8–37 days overdue, never dunned: the reminder is due for each
                status, due, paid = Invoice.Status.ISSUED, AS_OF - timedelta(days=8 + n % 30), Decimal("0.00")
            elif n <= overdue + open_not_due:
                status, due, paid = Invoice.Status.ISSUED, AS_OF + timedelta(days=1 + n % 30), Decimal("0.00")
            else:
                status, due, paid = Invoice.Status.PAID, AS_OF - timedelta(days=n % 700), net + vat
            row = list(base)
            row[position["number"]] = number
            row[position["status"]] = str(status)
            row[position["due_date"]] = due
            row[position["issue_date"]] = due - timedelta(days=14)
            row[position["paid_total"]] = paid
            row[position["rf_reference"]] = rf_reference_for_invoice(cooperative.pk, number)
            copy.write_row(row)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO invoicing_invoice ({columns}) SELECT {columns} FROM bench_invoice_rows")
        cursor.execute("DROP TABLE bench_invoice_rows")
    with (
        owner_connection(),
        connection.cursor() as cursor,
    ):  # statistics, as autovacuum keeps them (the owner's)
        cursor.execute("ANALYZE invoicing_invoice")
    return cooperative, overdue


def _reset(cooperative: Cooperative) -> None:
    """A fresh copy for the next run: no notices, every invoice back at level 0."""
    DunningNotice.objects.for_cooperative(cooperative).delete()
    with owner_connection():  # the audit log is append-only for the app role
        AuditEvent.objects.for_cooperative(cooperative).filter(event="dunning.notice_created").delete()
    Invoice.objects.for_cooperative(cooperative).filter(dunning_level__gt=0).update(dunning_level=0)


def _plan_uses(plan: Any, name: str) -> bool:
    if isinstance(plan, dict):
        if plan.get("Index Name") == name:
            return True
        return any(_plan_uses(value, name) for value in plan.values())
    if isinstance(plan, list):
        return any(_plan_uses(item, name) for item in plan)
    return False


def bench_dunning_scan(rows: int = 100_000, overdue_share: float = 0.01, repeats: int = 3) -> dict[str, Any]:
    started = time.perf_counter()
    cooperative, overdue = _setup(rows, overdue_share)
    setup_seconds = time.perf_counter() - started

    levels = dunning_policy(cooperative=cooperative)
    query = dunning_candidates(cooperative=cooperative, levels=levels, as_of=AS_OF).values_list(
        "pk", flat=True
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
        raw = cursor.fetchone()[0]
    plan = json.loads(raw) if isinstance(raw, str) else raw
    index_used = _plan_uses(plan, INDEX)
    root = plan[0]["Plan"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpages FROM pg_class WHERE relname = 'invoicing_invoice'")
        table_pages = cursor.fetchone()[0]
    query_times = []
    for _ in range(5):
        t0 = time.perf_counter()
        candidates = len(list(query.all()))  # .all(): a fresh queryset each time, no result cache
        query_times.append(time.perf_counter() - t0)

    run_times, created = [], []
    with (
        # The run queues its letters and the advisor's notice by task name after commit (task_queue).
        mock.patch("invoicing.dunning.engine.queue_on_commit"),
    ):
        for _ in range(repeats):
            _reset(cooperative)
            t0 = time.perf_counter()
            result = run_dunning(as_of=AS_OF, cooperative=cooperative)
            run_times.append(time.perf_counter() - t0)
            created.append(result.notices_created)
    # Keep the bench tenant out of later all-cooperative runs.
    Cooperative.objects.filter(pk=cooperative.pk).update(is_active=False)

    median = statistics.median(run_times)
    return {
        "rows": rows,
        "overdue": overdue,
        "setup_seconds": round(setup_seconds, 2),
        "candidates": candidates,
        "candidate_query_ms": round(statistics.median(query_times) * 1000, 2),
        "candidate_query_explain_ms": plan[0].get("Execution Time"),
        "candidate_query_plan": root.get("Node Type"),
        "candidate_query_buffers": root.get("Shared Hit Blocks", 0) + root.get("Shared Read Blocks", 0),
        "table_pages": table_pages,  # what a sequential scan would read instead of the buffers above
        "index_used": index_used,
        "index": INDEX,
        "run_seconds": [round(t, 3) for t in run_times],
        "run_seconds_median": round(median, 3),
        "notices_created": created,
        "notices_per_second": round(created[-1] / median, 1) if median else None,
    }
