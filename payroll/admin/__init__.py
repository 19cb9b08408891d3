"""The payroll backend: one module per topic (each helper adds its own import below)."""

from payroll.admin import profiles  # noqa: F401  (payee profiles, payout policy)
