"""python manage.py run_dunning [--date YYYY-MM-DD] [--cooperative SLUG]

Without a date it runs as of today, like the daily beat job. With a date it runs as of that day, to catch up
a missed day after an outage: the letters then carry that day's date, interest up to it and its pay-by date
(+10 days). Each run moves an invoice at most one level and never twice on one day, so running it twice, or
alongside the beat job, sends nothing twice; after a long outage the daily runs from today on catch up one
level per invoice and day by themselves.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from invoicing.dunning import run_dunning
from smartprod.core.rls import platform_scope
from smartprod.tenancy.models import Cooperative


class Command(BaseCommand):
    help = "Move overdue invoices one dunning level up and send the letters (as of today or --date)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", dest="as_of", help="Run as of this day (YYYY-MM-DD); default today.")
        parser.add_argument("--cooperative", help="Only this cooperative (slug); default all active ones.")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = timezone.localdate()
        if options["as_of"]:
            try:
                as_of = date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError(f"--date {options['as_of']!r} is not a date (YYYY-MM-DD).") from exc
            if as_of > timezone.localdate():
                raise CommandError("--date lies in the future; dunning only runs as of today or earlier.")
        cooperative = None
        if options["cooperative"]:
            with platform_scope("run_dunning: the cooperative named by its slug"):
                cooperative = Cooperative.objects.filter(slug=options["cooperative"]).first()
            if cooperative is None:
                raise CommandError(f"No cooperative with the slug {options['cooperative']!r}.")
        result = run_dunning(as_of=as_of, cooperative=cooperative)
        levels = ", ".join(f"level {level}: {count}" for level, count in sorted(result.per_level.items()))
        self.stdout.write(
            f"Dunning as of {as_of.isoformat()}: {result.cooperatives} cooperative(s), "
            f"{result.examined} invoice(s) examined, {result.notices_created} notice(s) created"
            f"{f' ({levels})' if levels else ''}, {result.handed_to_advisor} handed to an advisor, "
            f"{result.skipped_locked} skipped (locked), {result.letters_requeued} letter(s) re-queued, "
            f"{result.errors} error(s)."
        )
        if result.errors:
            raise CommandError(f"{result.errors} invoice(s) failed; see the log. Re-running is safe.")
