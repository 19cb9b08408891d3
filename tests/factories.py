"""factory_boy factories shared by every test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP

from members.models import User
from smartprod.tenancy.models import Cooperative, Membership

DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"


class CooperativeFactory(factory.django.DjangoModelFactory[Cooperative]):
    class Meta:
        model = Cooperative

    name = factory.Sequence(lambda n: f"Coop {n}")
    slug = factory.Sequence(lambda n: f"coop-{n}")
    hosts = factory.LazyAttribute(lambda o: [f"{o.slug}.localhost"])
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} eGen")
    street = "Mariahilfer Straße"
    building_number = "1"
    postcode = "1060"
    city = "Wien"
    country = "AT"
    vat_id = "ATU12345675"
    iban = "AT611904300234573201"
    bic = "BKAUATWW"
    language = "en"
    contribution_rate = Decimal("7.50")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def verified(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.save()
        if create:
            EmailAddress.objects.create(
                user=self, email=self.email, primary=True, verified=extracted is not False
            )


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    cooperative = factory.SubFactory(CooperativeFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER
    status = Membership.Status.ACTIVE
    member_number = factory.Sequence(lambda n: n + 1)


def enable_totp(user: User) -> None:
    TOTP.activate(user, DEMO_TOTP_SECRET)


def totp_code(secret: str = DEMO_TOTP_SECRET) -> str:
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
