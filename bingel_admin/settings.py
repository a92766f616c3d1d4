"""Settings for Bingel beheer: one module, driven by the environment.

With nothing set you get the local demo: a SQLite file, Celery tasks run eagerly, DEBUG on,
Dutch UI, and single sign-on against the development identity provider on localhost:8001.
``DJANGO_ENV=production`` refuses to start until the secrets and services are configured.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from bingel_admin.env import envbool, envint, envlist, envsecret, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("BINGEL_VAR_DIR", str(BASE_DIR / "var")))

DJANGO_ENV = envstr("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV={DJANGO_ENV!r} is unknown; use development, test or production.")
PRODUCTION = DJANGO_ENV == "production"

_DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"  # noqa: S105
SECRET_KEY = envsecret("SECRET_KEY", _DEV_SECRET_KEY) or _DEV_SECRET_KEY
DEBUG = envbool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])

DATABASE_URL = envsecret("DATABASE_URL")
REDIS_URL = envsecret("REDIS_URL")

if PRODUCTION:
    problems = []
    if SECRET_KEY == _DEV_SECRET_KEY:
        problems.append("set SECRET_KEY (or SECRET_KEY_FILE) to a long random value")
    if DEBUG:
        problems.append("set DEBUG=false")
    if not DATABASE_URL:
        problems.append("set DATABASE_URL, e.g. postgres://user:pass@db:5432/bingel")
    if not REDIS_URL:
        problems.append("set REDIS_URL, e.g. redis://redis:6379/0")
    if not ALLOWED_HOSTS:
        problems.append("set ALLOWED_HOSTS to the public host name(s)")
    if problems:
        raise ImproperlyConfigured("Production settings are incomplete: " + "; ".join(problems) + ".")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_htmx",
    "roster",
    "licenses",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view says otherwise (login_not_required).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

if PRODUCTION:
    # Serves the collected, hashed static files; in development runserver does that.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "bingel_admin.urls"
WSGI_APPLICATION = "bingel_admin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "bingel_admin.context_processors.product",
            ],
        },
    },
]

if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 0 if DJANGO_ENV == "test" else 60)
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "static_root")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Sessions and cookies: the session cookie is never readable from script and is not sent on
# cross-site sub-requests; "Lax" still lets the SSO provider redirect back to us.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Single sign-on (Basispoort-style OpenID Connect) -------------------------------------
# Staff never have a local password: allauth runs in social-only mode. Superusers of the
# publisher's back office log in at /admin/ with Django's own form.
SOCIALACCOUNT_ONLY = True
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*"]
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_ADAPTER = "integrations.sso.BasispoortSocialAccountAdapter"
ACCOUNT_ADAPTER = "integrations.sso.NoLocalAccountsAdapter"
ACCOUNT_USER_DISPLAY = "integrations.sso.user_display"
BASISPOORT_OIDC_SERVER_URL = envstr("BASISPOORT_OIDC_SERVER_URL", "http://localhost:8001/o")
BASISPOORT_OIDC_CLIENT_ID = envstr("BASISPOORT_OIDC_CLIENT_ID", "bingel-beheer-dev")
BASISPOORT_OIDC_CLIENT_SECRET = envsecret(
    "BASISPOORT_OIDC_CLIENT_SECRET", None if PRODUCTION else "bingel-beheer-dev-secret"
)
if PRODUCTION and not BASISPOORT_OIDC_CLIENT_SECRET:
    raise ImproperlyConfigured("Set BASISPOORT_OIDC_CLIENT_SECRET (or _FILE) for single sign-on.")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "provider_class": "integrations.sso.BasispoortProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "basispoort",
                "name": "Basispoort",
                "client_id": BASISPOORT_OIDC_CLIENT_ID,
                "secret": BASISPOORT_OIDC_CLIENT_SECRET,
                "settings": {
                    "server_url": BASISPOORT_OIDC_SERVER_URL,
                    "token_auth_method": "client_secret_post",
                    "fetch_userinfo": False,
                },
            }
        ],
    }
}

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE: dict = {
    # One entry per periodic job; each app's tasks.py holds the task itself.
}

# --- Product ------------------------------------------------------------------------------
HELPDESK_PHONE = envstr("HELPDESK_PHONE", "073 - 628 87 22")
HELPDESK_EMAIL = envstr("HELPDESK_EMAIL", "helpdesk@example.org")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if DJANGO_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
