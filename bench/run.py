"""Benchmarks (not tests): `make bench` prints a Markdown table of the figures to stdout.

Runs against its own throwaway database (created here, destroyed at the end) on the embedded PostgreSQL,
so it never touches development data and may run next to the test suite.

A  invoice document: the full `invoice_render_document` path except the e-mail (lock, HTML, EN 16931 XML
   build + XSD validation, WeasyPrint PDF/A-3b with the XML embedded as Factur-X in the same pass, private
   storage, row update),
   against WeasyPrint printing a minimal page ("<p>x</p>") on the same machine; and WeasyPrint's part
   alone (`invoice_pdf_print` on the invoice's HTML, goal ≤ 8×); interleaved, after warm-ups, median of
   N each.
B  dunning scan: 100,000 invoices of which 1 % are overdue (bench/dunning_bench.py): the candidate query
   (and whether it uses the partial index) and a whole run_dunning.
C  payout run: claiming 10,000 items and writing their pain.001 (bench/payout_bench.py), against the floor
   `bulk_create` of 10,000 payout items on the same machine, as a ratio (goal ≤ 3×).
E  payroll run: 10,000 salaries (10,000 employments, one month) → payslips, ledger, payout items
   (bench/payroll_bench.py), against the floor of posting 10,000 balanced entries of the same shape with the
   same ledger service, as a ratio (goal ≤ 2×).
D  budget at scale: `project_budget` (figures and the newest page of lines) of a project with 100,000
   ledger lines against one with 10 (bench/budget_bench.py): equal query counts, time ratio (goal ≤ 3×).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartprod.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import override_settings, setup_test_environment, teardown_test_environment  # noqa: E402

from bench.budget_bench import bench_budget_at_scale  # noqa: E402
from bench.dunning_bench import bench_dunning_scan  # noqa: E402
from bench.payout_bench import bench_payout_run  # noqa: E402
from bench.payroll_bench import bench_payroll_run  # noqa: E402
from smartprod.core.rls import owner_connection, platform_scope  # noqa: E402

N = 10
WARMUPS = 2


def _ms(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _world() -> tuple[Any, list[Any]]:
    """A cooperative with WARMUPS + N issued two-rate invoices (20 % and 13 %), nothing rendered yet."""
    from invoicing.tasks import render_invoice_document_task
    from tests.factories import CooperativeFactory, MembershipFactory
    from tests.invoicing_helpers import issued
    from tests.projects_helpers import approved_project, make_client

    coop = CooperativeFactory(
        name="Bench Coop",
        legal_name="Bench Coop eGen",
        register_number="FN 123456a",
        register_court="Handelsgericht Wien",
        bank_name="Bank",
        email="office@bench.example",
    )
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    client = make_client(coop, owner, email="ap@client.example", order_reference="PO-1")
    project = approved_project(coop, owner, advisor, client=client)
    lines = (("Stage design", "10", "100.00", "20"), ("Catalogue texts", "2.5", "80.00", "13"))
    # Issue without the on-commit render: the benchmark renders them itself.
    with mock.patch.object(render_invoice_document_task, "delay_on_commit"):
        invoices = [
            issued(coop, owner, advisor, project, *lines, on=date(2026, 5, 4)) for _ in range(WARMUPS + N)
        ]
    return coop, invoices


def bench_invoice_document() -> dict[str, float]:
    import weasyprint

    from invoicing.documents import invoice_pdf_html, invoice_pdf_print, invoice_render_document
    from invoicing.tasks import send_invoice_email_task

    coop, invoices = _world()
    document: list[float] = []
    printed: list[float] = []
    minimal: list[float] = []
    with mock.patch.object(send_invoice_email_task, "delay_on_commit"):  # minus the e-mail
        for round_, invoice in enumerate(invoices):
            doc_ms = _ms(partial(invoice_render_document, cooperative_id=coop.pk, invoice_id=invoice.pk))
            html = invoice_pdf_html(invoice)
            print_ms = _ms(partial(invoice_pdf_print, invoice, html))  # WeasyPrint's part alone
            min_ms = _ms(lambda: weasyprint.HTML(string="<p>x</p>").write_pdf())
            if round_ >= WARMUPS:
                document.append(doc_ms)
                printed.append(print_ms)
                minimal.append(min_ms)
    doc_median, min_median = statistics.median(document), statistics.median(minimal)
    print_median = statistics.median(printed)
    return {
        "document": doc_median,
        "print": print_median,
        "minimal": min_median,
        "ratio": doc_median / min_median,
        "print_ratio": print_median / min_median,
    }


def main() -> None:
    import weasyprint

    setup_test_environment()
    # The owner creates and drops the database; the benchmarks run as the app role, under row-level security,
    # in the platform scope like the test suite (README "Security").
    with owner_connection():
        old_name = connection.creation.create_test_db(verbosity=0)
    try:
        with (
            tempfile.TemporaryDirectory() as media,
            override_settings(MEDIA_ROOT=media),
            platform_scope("benchmarks"),
        ):
            a = bench_invoice_document()
            dunning = bench_dunning_scan()
            payouts = bench_payout_run()
            budget = bench_budget_at_scale()
            payroll = bench_payroll_run()
    finally:
        with owner_connection():
            connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    print(
        f"## Benchmarks — {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"WeasyPrint {weasyprint.__version__}\n"
    )
    print(
        f"A: invoice document vs minimal WeasyPrint page (interleaved, {WARMUPS} warm-ups, N={N}, median)\n"
    )
    print("| benchmark | median ms |")
    print("|---|---:|")
    print(
        f"| invoice_render_document (HTML + EN 16931 XML + WeasyPrint PDF/A-3b with Factur-X + store) "
        f"| {a['document']:.1f} |"
    )
    print(f"| WeasyPrint alone on the invoice's HTML (PDF/A-3b) | {a['print']:.1f} |")
    print(f'| WeasyPrint minimal page (`"<p>x</p>"`) | {a["minimal"]:.1f} |')
    print(f"| ratio WeasyPrint invoice / minimal (goal ≤ 8×) | {a['print_ratio']:.1f}× |")
    print(f"| ratio whole document / minimal (goal ≤ 8×) | {a['ratio']:.1f}× |")
    if dunning is not None:
        print("\nB: dunning scan\n")
        print("| figure | value |")
        print("|---|---:|")
        for key, value in dunning.items():
            shown = f"{value:.2f}" if isinstance(value, float) else str(value)
            print(f"| {key} | {shown} |")

    print("\nC: payout run, 10,000 items (median of 3)\n")
    print("| benchmark | median ms |")
    print("|---|---:|")
    print(f"| floor: `bulk_create` of {payouts['items']:,} payout items | {payouts['floor_ms']:.0f} |")
    print(
        f"| payout_run_start: claim (SKIP LOCKED) + attempts + events + pain.001 "
        f"({payouts['file_kb']:.0f} KB, XSD-validated) | {payouts['run_ms']:.0f} |"
    )
    print(f"| ratio run / floor | {payouts['ratio']:.1f}× |")

    print(
        f"\nD: budget at scale (project_budget: figures + newest 100 lines; median of {budget['rounds']})\n"
    )
    print("| benchmark | queries | median ms |")
    print("|---|---:|---:|")
    print(f"| project with {budget['large']:,} budget lines ", end="")
    print(f"| {budget['queries_large']} | {budget['large_ms']:.1f} |")
    print(f"| project with {budget['small']:,} budget lines ", end="")
    print(f"| {budget['queries_small']} | {budget['small_ms']:.1f} |")
    print(f"| ratio large / small (goal ≤ 3×) | | {budget['ratio']:.1f}× |")

    rounds = payroll["rounds"]
    print(f"\nE: payroll run, {payroll['salaries']:,} salaries (median of {rounds} interleaved rounds)\n")
    print("| benchmark | ms |")
    print("|---|---:|")
    print(f"| payroll_run_month: payslips + ledger + payout items + liabilities | {payroll['run_ms']:.0f} |")
    print(
        f"| floor A: `journal_post_many` of {payroll['salaries']:,} entries of the same shape "
        f"| {payroll['many_ms']:.0f} |"
    )
    print(
        f"| floor B: {payroll['salaries']:,} × `journal_post` (1,000 timed, scaled) "
        f"| {payroll['one_ms']:.0f} |"
    )
    per_round = ", ".join(f"{r:.2f}×" for r in payroll["ratio_rounds"])
    print(f"| ratio run / floor A (goal ≤ 2×) | {payroll['ratio_many']:.2f}× (rounds: {per_round}) |")
    print(f"| ratio run / floor B | {payroll['ratio_one']:.1f}× |")


if __name__ == "__main__":
    main()
