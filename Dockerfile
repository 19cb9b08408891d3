# syntax=docker/dockerfile:1
# SmartProduction production image. One image, three roles (see docker-compose.yml):
#   web     gunicorn smartprod.wsgi (the default command; DJANGO_MIGRATE_ON_START=1 migrates first)
#   worker  celery -A smartprod worker -l info --max-tasks-per-child=200
#   beat    celery -A smartprod beat -l info   (exactly one)
# Needs at run time: DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, REDIS_URL
# (smartprod/settings/production.py refuses to start without them).

ARG UV_VERSION=0.13.9
FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

FROM python:3.11-slim-bookworm

# WeasyPrint needs Pango (harfbuzz-subset makes it ~6x faster) and a font; gettext compiles the translations.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext \
 && rm -rf /var/lib/apt/lists/*

COPY --from=uv /uv /uvx /usr/local/bin/

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app

# Dependencies first (exactly the lock file, no dev tools), so code changes do not reinstall them.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    uv sync --frozen --no-dev --no-install-project

COPY . .

# Translations and static files are part of the image, built with settings that need no secret, database
# or Redis (smartprod/settings/build.py); the run-time settings stay production's.
RUN DJANGO_SETTINGS_MODULE=smartprod.settings.build \
    sh -c 'python manage.py compilemessages -v0 && python manage.py collectstatic --noinput -v0' \
 && python -m compileall -q .

# Run as an unprivileged user that owns nothing but its home and the private files folder (a volume).
RUN groupadd --system --gid 10001 smartprod \
 && useradd --system --uid 10001 --gid smartprod --create-home --home-dir /home/smartprod \
      --shell /usr/sbin/nologin smartprod \
 && install -d -o smartprod -g smartprod -m 0750 /var/lib/smartprod /var/lib/smartprod/private \
 && chmod 0755 docker/entrypoint.sh
USER 10001:10001

ENV DJANGO_SETTINGS_MODULE=smartprod.settings.production \
    PRIVATE_MEDIA_ROOT=/var/lib/smartprod/private \
    PORT=8000

EXPOSE 8000

# Production settings redirect plain HTTP to HTTPS and check the Host header: the probe says it came through
# the TLS proxy and uses the first allowed host (".example.org" -> "example.org"; "*" -> "localhost").
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os,urllib.request as u;h=os.environ.get('DJANGO_ALLOWED_HOSTS','').split(',')[0].strip().lstrip('.*') or 'localhost';r=u.urlopen(u.Request('http://127.0.0.1:%s/healthz/'%os.environ.get('PORT','8000'),headers={'Host':h,'X-Forwarded-Proto':'https'}),timeout=8);raise SystemExit(r.read()!=b'ok')"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
# gunicorn binds 0.0.0.0:$PORT when no --bind is given; WEB_CONCURRENCY sets the number of workers.
CMD ["gunicorn", "smartprod.wsgi:application", "--access-logfile", "-", "--timeout", "60", "--graceful-timeout", "30", "--max-requests", "1000", "--max-requests-jitter", "100", "--worker-tmp-dir", "/dev/shm"]
