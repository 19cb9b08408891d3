"""The payroll backend: one module per topic."""

# --- payout runs (branch runs) ---
from payroll.admin import runs  # noqa: F401
