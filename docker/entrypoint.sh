#!/bin/sh
# Entrypoint of every SmartProduction container (web, worker, beat, one-off manage.py commands).
# The web service sets DJANGO_MIGRATE_ON_START=1: migrations are applied before gunicorn starts. Worker and
# beat leave it unset. Run more than one web replica? Set it on one only, or run
# `docker compose run --rm web python manage.py migrate` before `up` (Django's migrate takes no lock).
set -eu

if [ "${DJANGO_MIGRATE_ON_START:-0}" = "1" ]; then
    python manage.py migrate --noinput  # as the owner role (DATABASE_OWNER_URL)
fi
# Everything else connects as the app role only: the owner's credentials reach no other command.
case " $* " in
    *" migrate "*) ;;
    *) unset DATABASE_OWNER_URL ;;
esac

# exec: the command replaces this shell, so it gets the SIGTERM of `docker stop` itself.
exec "$@"
