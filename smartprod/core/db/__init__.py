"""The PostgreSQL engine of SmartProduction: Django's, plus the row-level security scope
(smartprod/core/rls.py)."""
