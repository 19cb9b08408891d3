from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("People and invitations")

    def ready(self) -> None:
        from allauth.account.signals import password_changed, password_reset, password_set

        for signal in (password_changed, password_reset, password_set):
            signal.connect(_revoke_api_tokens, dispatch_uid=f"revoke-api-tokens-{id(signal)}")


def _revoke_api_tokens(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A new password revokes every API token at once (tokens also check a fingerprint of the password
    hash, so a change by any other path — the backend, `changepassword` — refuses them too)."""
    from smartprod.core.tokens import api_tokens_revoke_all

    api_tokens_revoke_all(user=user)
