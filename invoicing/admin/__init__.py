"""The backend for advisors and finance: the queue of submitted invoices, issuing, payments, credit notes,
write-offs, dunning blocks, the camt.053 import and the assignment of unmatched bank entries.

Nothing is edited here field by field: every change is an action that calls one service (which checks the
role again and writes the audit row), so invoices are read-only on their change page. Issued invoices are
frozen by the database anyway.

One module per group of models: invoices, bank, dunning, reference_data; importing them registers them.
"""

from invoicing.admin import bank, dunning, invoices, reference_data

__all__ = ["bank", "dunning", "invoices", "reference_data"]
