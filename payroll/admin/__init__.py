"""Payroll's backend screens, one module per topic: importing them registers them."""

from payroll.admin import employments as employments
from payroll.admin import fees as fees
from payroll.admin import items as items
from payroll.admin import payroll_runs as payroll_runs
from payroll.admin import profiles as profiles
from payroll.admin import rules as rules
from payroll.admin import runs as runs
