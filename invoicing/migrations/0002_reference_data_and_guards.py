"""VAT rates and base rates as dated data (invoicing/reference_data.py); and the database freezing
issued invoices."""

from django.db import migrations


def load(apps, schema_editor):
    from invoicing.reference_data import load_reference_data

    load_reference_data(apps.get_model("invoicing", "VatRate"), apps.get_model("invoicing", "BaseRate"))


GUARDS = """
CREATE FUNCTION invoice_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status NOT IN ('draft', 'submitted') THEN
      RAISE EXCEPTION 'invoice % is issued and cannot be deleted; issue a credit note', OLD.number
        USING ERRCODE = '23000';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status NOT IN ('draft', 'submitted') AND (
       NEW.number IS DISTINCT FROM OLD.number OR NEW.kind IS DISTINCT FROM OLD.kind
    OR NEW.issue_date IS DISTINCT FROM OLD.issue_date OR NEW.due_date IS DISTINCT FROM OLD.due_date
    OR NEW.service_date IS DISTINCT FROM OLD.service_date
    OR NEW.service_period_start IS DISTINCT FROM OLD.service_period_start
    OR NEW.service_period_end IS DISTINCT FROM OLD.service_period_end
    OR NEW.net_total IS DISTINCT FROM OLD.net_total OR NEW.vat_total IS DISTINCT FROM OLD.vat_total
    OR NEW.gross_total IS DISTINCT FROM OLD.gross_total OR NEW.contribution IS DISTINCT FROM OLD.contribution
    OR NEW.client_name IS DISTINCT FROM OLD.client_name OR NEW.client_address IS DISTINCT FROM OLD.client_address
    OR NEW.client_vat_id IS DISTINCT FROM OLD.client_vat_id OR NEW.rf_reference IS DISTINCT FROM OLD.rf_reference
    OR NEW.project_id IS DISTINCT FROM OLD.project_id OR NEW.client_id IS DISTINCT FROM OLD.client_id
    OR NEW.cooperative_id IS DISTINCT FROM OLD.cooperative_id OR NEW.currency IS DISTINCT FROM OLD.currency
    OR NEW.status IN ('draft', 'submitted')
  ) THEN
    RAISE EXCEPTION 'invoice % is issued: its contents are immutable; issue a credit note', OLD.number
      USING ERRCODE = '23000';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER invoice_frozen BEFORE UPDATE OR DELETE ON invoicing_invoice
  FOR EACH ROW EXECUTE FUNCTION invoice_frozen();

CREATE FUNCTION invoice_line_frozen() RETURNS trigger AS $$
DECLARE st text;
BEGIN
  SELECT status INTO st FROM invoicing_invoice
   WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END);
  IF st NOT IN ('draft', 'submitted') THEN
    RAISE EXCEPTION 'the lines of an issued invoice are immutable' USING ERRCODE = '23000';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER invoice_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON invoicing_invoiceline
  FOR EACH ROW EXECUTE FUNCTION invoice_line_frozen();
"""

DROP_GUARDS = """
DROP TRIGGER invoice_line_frozen ON invoicing_invoiceline;
DROP FUNCTION invoice_line_frozen();
DROP TRIGGER invoice_frozen ON invoicing_invoice;
DROP FUNCTION invoice_frozen();
"""


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0001_initial")]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunSQL(GUARDS, DROP_GUARDS),
    ]
