#!/bin/sh
# Run once by the postgres image when it initialises an empty data volume (/docker-entrypoint-initdb.d).
# POSTGRES_USER (smartprod) owns the database and runs the migrations (DATABASE_OWNER_URL); the app role
# smartprod_app is what web, worker and beat connect as (DATABASE_URL): it may log in, owns nothing, is no
# superuser and cannot bypass row-level security. The migrations grant it its privileges on the tables.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v app_password="$POSTGRES_APP_PASSWORD" <<'EOSQL'
CREATE ROLE smartprod_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT
  PASSWORD :'app_password';
EOSQL
