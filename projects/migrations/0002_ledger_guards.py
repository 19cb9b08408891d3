"""The database itself keeps the ledger honest, whatever code runs against it.

- Posted journal entries and lines cannot be UPDATEd or DELETEd (corrections are reversals).
  TRUNCATE stays possible for test-database flushing; the app never issues it.
- At commit, every entry touched must have at least two lines, debits equal to credits, and all its
  lines, its accounts and the entry itself in one cooperative.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'posted ledger rows are immutable: % on % refused; post a reversal instead',
    TG_OP, TG_TABLE_NAME USING ERRCODE = '23000';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER journalline_immutable BEFORE UPDATE OR DELETE ON projects_journalline
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER journalentry_immutable BEFORE UPDATE OR DELETE ON projects_journalentry
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_entry(entry bigint) RETURNS void AS $$
DECLARE d numeric; c numeric; n int; foreign_rows int;
BEGIN
  SELECT COALESCE(SUM(l.debit), 0), COALESCE(SUM(l.credit), 0), COUNT(*),
         COUNT(*) FILTER (WHERE l.cooperative_id <> e.cooperative_id OR a.cooperative_id <> e.cooperative_id)
    INTO d, c, n, foreign_rows
    FROM projects_journalentry e
    LEFT JOIN projects_journalline l ON l.entry_id = e.id
    LEFT JOIN projects_account a ON a.id = l.account_id
   WHERE e.id = entry;
  IF n < 2 THEN
    RAISE EXCEPTION 'journal entry % has % line(s); an entry needs at least two', entry, n USING ERRCODE = '23514';
  END IF;
  IF d <> c THEN
    RAISE EXCEPTION 'journal entry % is not balanced: debits % <> credits %', entry, d, c USING ERRCODE = '23514';
  END IF;
  IF foreign_rows > 0 THEN
    RAISE EXCEPTION 'journal entry % mixes cooperatives', entry USING ERRCODE = '23514';
  END IF;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION ledger_check_line() RETURNS trigger AS $$
BEGIN PERFORM ledger_check_entry(NEW.entry_id); RETURN NULL; END $$ LANGUAGE plpgsql;
CREATE FUNCTION ledger_check_new_entry() RETURNS trigger AS $$
BEGIN PERFORM ledger_check_entry(NEW.id); RETURN NULL; END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER journalline_balanced AFTER INSERT ON projects_journalline
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_line();
CREATE CONSTRAINT TRIGGER journalentry_has_lines AFTER INSERT ON projects_journalentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_new_entry();
"""

BACKWARD = """
DROP TRIGGER journalentry_has_lines ON projects_journalentry;
DROP TRIGGER journalline_balanced ON projects_journalline;
DROP FUNCTION ledger_check_new_entry();
DROP FUNCTION ledger_check_line();
DROP FUNCTION ledger_check_entry(bigint);
DROP TRIGGER journalentry_immutable ON projects_journalentry;
DROP TRIGGER journalline_immutable ON projects_journalline;
DROP FUNCTION ledger_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
