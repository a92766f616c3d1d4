# Production image for Bingel beheer: web (gunicorn), worker and beat share it.
# The deploy smoke test (tests/bingel_admin/test_deploy_smoke.py) runs these very instructions outside a
# container, so keep to FROM, ENV, WORKDIR, COPY, RUN, USER, EXPOSE and CMD.
# Base image pinned by tag and digest (multi-platform index); docs/DEPLOY.md says how to refresh it.
FROM python:3.11-slim-bookworm@sha256:b18992999dbe963a45a8a4da40ac2b1975be1a776d939d098c647482bcad5cba

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Runtime dependencies only, every file checked against its hash in the lock.
COPY requirements/runtime.lock requirements/runtime.lock
RUN pip install --no-deps --require-hashes -r requirements/runtime.lock

# .dockerignore keeps .env, var/, .git, the virtualenv, tests and development tools out.
COPY . .
# Build-only settings: no secret, no database, no broker, and no host is served.
RUN DJANGO_ENV=build python manage.py collectstatic --noinput

# Any unprivileged uid works; a numeric one lets an orchestrator verify it is not root.
# The code stays owned by root, so the app cannot change itself.
USER 10001:10001
EXPOSE 8000
CMD ["gunicorn", "bingel_admin.wsgi:application", "--config", "bingel_admin/gunicorn.conf.py"]
