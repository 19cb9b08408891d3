"""Demo data: two cooperatives with one person per role. Running it again changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Max

from members.models import Cooperative, Membership, User

DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # demo data only; the README names it

COOPERATIVES: list[dict[str, Any]] = [
    {
        "slug": "smart-at",
        "name": "Smart Austria",
        "hosts": ["at.localhost", "localhost", "127.0.0.1"],
        "legal_name": "SMart.at Kultur und Kreativwirtschaft eGen",
        "street": "Mariahilfer Straße 47/1",
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
        "street": "Oranienstraße 183",
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

    def handle(self, *args: Any, **options: Any) -> None:
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
                        options["password"],
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
                street="Neubaugasse 12",
                postcode="1070" if cooperative.country == "AT" else "10115",
                city="Wien" if cooperative.country == "AT" else "Berlin",
                country=cooperative.country,
                iban="AT483200000012345864" if cooperative.country == "AT" else "DE02120300000000202051",
            )
        if (
            role in ("finance", "admin")
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, DEMO_TOTP_SECRET)
