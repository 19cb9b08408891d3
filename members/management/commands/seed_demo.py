"""Demo data: two cooperatives with one person per role. Running it again changes nothing."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Max
from django.test.utils import override_settings

from members.models import User
from smartprod.core.capabilities import TWO_FACTOR_ROLES
from smartprod.core.rls import platform_scope
from smartprod.tenancy.models import Cooperative, Membership

DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # demo data only; the README names it

COOPERATIVES: list[dict[str, Any]] = [
    {
        "slug": "smart-at",
        "name": "Smart Austria",
        "hosts": ["at.localhost", "localhost", "127.0.0.1"],
        "legal_name": "SMart.at Kultur und Kreativwirtschaft eGen",
        "street": "Mariahilfer Straße",
        "building_number": "47/1",
        "postcode": "1060",
        "city": "Wien",
        "country": "AT",
        "email": "office@smart-at.example",
        "vat_id": "ATU12345675",
        "register_number": "FN 123456a",
        "register_court": "Handelsgericht Wien",
        "iban": "AT611904300234573201",
        "bic": "BKAUATWW",
        "bank_name": "UniCredit Bank Austria",
        "language": "de",
        "contribution_rate": Decimal("7.50"),
        "payment_terms_days": 14,
        "payout_guarantee_days": 14,
    },
    {
        "slug": "smart-de",
        "name": "Smart Germany",
        "hosts": ["de.localhost"],
        "legal_name": "SMart Deutschland eG",
        "street": "Oranienstraße",
        "building_number": "183",
        "postcode": "10999",
        "city": "Berlin",
        "country": "DE",
        "email": "office@smart-de.example",
        "vat_id": "DE136695976",
        "register_number": "GnR 1234 B",
        "register_court": "Amtsgericht Charlottenburg",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "bank_name": "Commerzbank",
        "language": "de",
        "contribution_rate": Decimal("7.50"),
        "payment_terms_days": 30,
        "payout_guarantee_days": 10,
    },
]

PEOPLE = [
    ("member", "member", "Mira", "Member"),
    ("member2", "member", "Max", "Mitglied"),
    ("advisor", "advisor", "Anna", "Advisor"),
    ("finance", "finance", "Franz", "Finance"),
    ("admin", "admin", "Ada", "Admin"),
]


class Command(BaseCommand):
    help = "Create the demo cooperatives Smart Austria and Smart Germany with one user per role (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="demo", help="password of every demo user (default: demo)")
        parser.add_argument(
            "--port", default=os.environ.get("PORT", "8000"), help="port the summary's addresses name"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's invoices, reminders and notifications would be mailed to made-up addresses — or, with
        # the development console backend, printed as thousands of lines of base64 PDF. Keep them in memory.
        held_before = len(getattr(mail, "outbox", []))
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            platform_scope("seed_demo: creates the demo cooperatives"),
        ):
            self._seed(options["password"])
            held = len(getattr(mail, "outbox", [])) - held_before
        self._summary(options["password"], str(options["port"]), held)

    def _summary(self, password: str, port: str, held: int) -> None:
        lines = ["", f"Demo data ready. Sign in with password {password!r}:"]
        for data in COOPERATIVES:
            lines.append(f"  {data['name']} — http://{data['hosts'][0]}:{port}/")
            for local, role, _first, _last in PEOPLE:
                two_factor = "  (TOTP)" if role in TWO_FACTOR_ROLES else ""
                lines.append(f"    {local}@{data['slug']}.example".ljust(36) + f"{role}{two_factor}")
        lines.append(
            f"  TOTP secret of advisor, finance and admin (demo only): {DEMO_TOTP_SECRET}"
            f" — a code: oathtool --totp -b {DEMO_TOTP_SECRET}"
        )
        if held:
            lines.append(f"  {held} e-mail(s) the demo data would have sent were not sent.")
        self.stdout.write("\n".join(lines))

    def _seed(self, password: str) -> None:
        # No transaction around everything: invoices are issued in durable transactions of their own, and
        # every step checks what exists, so an interrupted run is completed by the next one.
        for data in COOPERATIVES:
            with transaction.atomic():
                cooperative, created = Cooperative.objects.get_or_create(slug=data["slug"], defaults=data)
            self.stdout.write(f"{'created' if created else 'kept'} cooperative {cooperative.name}")
            for local, role, first, last in PEOPLE:
                with transaction.atomic():
                    self._person(
                        cooperative,
                        f"{local}@{cooperative.slug}.example",
                        role,
                        first,
                        last,
                        password,
                    )
            advisor = Membership.objects.for_cooperative(cooperative).get(
                user__email=f"advisor@{cooperative.slug}.example"
            )
            Membership.objects.for_cooperative(cooperative).filter(
                role="member", advisor__isnull=True
            ).update(advisor=advisor)
            from members.demo_hooks import run_demo_hooks

            run_demo_hooks(cooperative=cooperative, stdout=self.stdout)

    def _person(
        self, cooperative: Cooperative, email: str, role: str, first: str, last: str, password: str
    ) -> None:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=password, first_name=first, last_name=last)
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"primary": True, "verified": True}
        )
        membership = Membership.objects.for_cooperative(cooperative).filter(user=user).first()
        if membership is None:
            top = (
                Membership.objects.for_cooperative(cooperative).aggregate(top=Max("member_number"))["top"]
                or 0
            )
            membership = Membership.objects.create(
                cooperative=cooperative,
                user=user,
                role=role,
                status=Membership.Status.ACTIVE,
                member_number=top + 1,
                country=cooperative.country,
                # Address and IBAN are payout details now: payroll's demo hook enters them (PayeeProfile).
            )
        if (
            role in TWO_FACTOR_ROLES
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, DEMO_TOTP_SECRET)
