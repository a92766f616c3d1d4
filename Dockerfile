# Production image for Bingel beheer: web (gunicorn), worker and beat share it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

RUN useradd --create-home --uid 10001 bingel
WORKDIR /app

COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
# Production settings hash the static file names; these placeholder values exist only for
# this build step (nothing connects to the database or broker here).
RUN DJANGO_ENV=production SECRET_KEY=build-only-placeholder DEBUG=false ALLOWED_HOSTS=build \
    DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    BASISPOORT_OIDC_SERVER_URL=https://build.invalid BASISPOORT_OIDC_CLIENT_ID=build \
    BASISPOORT_OIDC_CLIENT_SECRET=build python manage.py collectstatic --noinput

USER bingel
EXPOSE 8000
CMD ["gunicorn", "bingel_admin.wsgi:application", "--config", "bingel_admin/gunicorn.conf.py"]
