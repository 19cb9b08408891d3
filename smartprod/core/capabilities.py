"""What each role may do: the one role policy (services, APIs, admin and templates ask here).

A capability takes the acting membership (anything with a `role`) and answers yes or no; services raise
`NotAllowed` (answered 403) when the answer is no. Roles: member, advisor, finance, admin.

| capability                                   | member | advisor | finance | admin |
|----------------------------------------------|:------:|:-------:|:-------:|:-----:|
| see the backend and every project (staff)    |        |    ✓    |    ✓    |   ✓   |
| review projects, approve memberships, invite |        |    ✓    |         |   ✓   |
| approve expenses and payouts, issue invoices |        |    ✓    |    ✓    |   ✓   |
| record payments, write off, import bank      |        |         |    ✓    |   ✓   |
| statements, run payouts                      |        |         |         |       |
| invite staff                                 |        |         |         |   ✓   |

Staff (advisor, finance, admin) must have two-factor authentication on before they see or do anything
as staff (`needs_two_factor`): until then they reach only the two-factor set-up and log-out.
"""

from __future__ import annotations

from typing import Protocol

MEMBER, ADVISOR, FINANCE, ADMIN = "member", "advisor", "finance", "admin"

STAFF_ROLES: tuple[str, ...] = (ADVISOR, FINANCE, ADMIN)
REVIEWER_ROLES: tuple[str, ...] = (ADVISOR, ADMIN)
APPROVER_ROLES: tuple[str, ...] = (ADVISOR, FINANCE, ADMIN)
FINANCE_ROLES: tuple[str, ...] = (FINANCE, ADMIN)
TWO_FACTOR_ROLES: tuple[str, ...] = STAFF_ROLES


class HasRole(Protocol):
    @property
    def role(self) -> str: ...


def _is(actor: HasRole | None, roles: tuple[str, ...]) -> bool:
    return actor is not None and actor.role in roles


def is_staff(actor: HasRole | None) -> bool:
    """Advisors, finance and admins: the backend, every project of the cooperative."""
    return _is(actor, STAFF_ROLES)


def can_review_project(actor: HasRole | None) -> bool:
    """Approve, reject or ask for changes (never one's own project: the service checks four eyes)."""
    return _is(actor, REVIEWER_ROLES)


def can_approve_membership(actor: HasRole | None) -> bool:
    return _is(actor, REVIEWER_ROLES)


def can_invite(actor: HasRole | None, role: str = MEMBER) -> bool:
    """Advisors and admins invite members; only admins invite staff."""
    return _is(actor, (ADMIN,)) if role != MEMBER else _is(actor, REVIEWER_ROLES)


def can_approve_expense(actor: HasRole | None) -> bool:
    return _is(actor, APPROVER_ROLES)


def can_issue_invoice(actor: HasRole | None) -> bool:
    """Validate and issue invoices, credit notes; retry documents (four eyes: not one's own project)."""
    return _is(actor, APPROVER_ROLES)


def can_approve_payout(actor: HasRole | None) -> bool:
    """Fee notes and payout requests (never one's own: the service checks)."""
    return _is(actor, APPROVER_ROLES)


def can_handle_money(actor: HasRole | None) -> bool:
    """Record payments, write off, import bank statements, book returns."""
    return _is(actor, FINANCE_ROLES)


def can_run_payouts(actor: HasRole | None) -> bool:
    return _is(actor, FINANCE_ROLES)


def needs_two_factor(actor: HasRole | None) -> bool:
    return _is(actor, TWO_FACTOR_ROLES)
