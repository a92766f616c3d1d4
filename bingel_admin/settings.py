"""Settings for Bingel beheer: one module, driven by the environment.

With nothing set you get the local demo: a SQLite file, Celery tasks run eagerly, DEBUG on,
Dutch UI, and single sign-on against the development identity provider on localhost:8001.
``DJANGO_ENV=production`` refuses to start until the secrets and services are configured.
``DJANGO_ENV=build`` is for the image build only (collectstatic): it needs no secret, has no
database or broker, and answers every request with 400 because no host is allowed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from bingel_admin.env import envbool, envint, envlist, envsecret, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("BINGEL_VAR_DIR", str(BASE_DIR / "var")))

DJANGO_ENV = envstr("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "test", "production", "build"}:
    raise ImproperlyConfigured(f"DJANGO_ENV={DJANGO_ENV!r} is unknown; use development, test, production or build.")
PRODUCTION = DJANGO_ENV == "production"
BUILD = DJANGO_ENV == "build"

_DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"  # noqa: S105
SECRET_KEY = envsecret("SECRET_KEY", _DEV_SECRET_KEY) or _DEV_SECRET_KEY
# Off unless asked for (DEBUG=true), so the local demo looks like the product: no debug 404 page
# listing every URL; whitenoise serves the static files either way.
DEBUG = envbool("DEBUG", False)
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

# Keys that encrypt secrets stored in the database (the LVS authorisation keys), newest first;
# deliberately not SECRET_KEY, so either can be rotated alone (`manage.py rotate_field_keys`).
_DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZC0="
FIELD_ENCRYPTION_KEYS = [k.strip() for k in (envsecret("FIELD_ENCRYPTION_KEYS") or "").split(",") if k.strip()]
if PRODUCTION and (not FIELD_ENCRYPTION_KEYS or _DEV_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS):
    raise ImproperlyConfigured(
        "Set FIELD_ENCRYPTION_KEYS (or _FILE): comma-separated Fernet keys, newest first "
        "(make one with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)."
    )
FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [_DEV_FIELD_ENCRYPTION_KEY]

# Key of the keyed fingerprints (HMAC-SHA256) stored next to pupil login codes, so the import can
# compare codes without decrypting them; separate from the encryption keys. Changing it needs
# `manage.py rotate_field_keys`, which recomputes every fingerprint.
_DEV_FIELD_FINGERPRINT_KEY = "dev-only-fingerprint-key-not-for-production"
FIELD_FINGERPRINT_KEY = envsecret("FIELD_FINGERPRINT_KEY") or ""
if PRODUCTION and (
    len(FIELD_FINGERPRINT_KEY) < 32
    or FIELD_FINGERPRINT_KEY == _DEV_FIELD_FINGERPRINT_KEY
    # A key that also encrypts would let one leak open both the values and their fingerprints.
    or FIELD_FINGERPRINT_KEY.strip() in FIELD_ENCRYPTION_KEYS
):
    raise ImproperlyConfigured(
        "Set FIELD_FINGERPRINT_KEY (or _FILE): a random secret of at least 32 characters, not one of "
        "FIELD_ENCRYPTION_KEYS (make one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
    )
FIELD_FINGERPRINT_KEY = FIELD_FINGERPRINT_KEY or _DEV_FIELD_FINGERPRINT_KEY

if BUILD:
    # Nothing built here may be signed, encrypted or served: a throwaway key, no encryption key,
    # no host, no database (the dummy backend raises on use) and no broker.
    SECRET_KEY = secrets.token_urlsafe(50)
    DEBUG = False
    ALLOWED_HOSTS = []
    FIELD_ENCRYPTION_KEYS = []
    FIELD_FINGERPRINT_KEY = ""
    DATABASE_URL = REDIS_URL = None

INSTALLED_APPS = [
    # Django's admin, with the two-factor site of bingel_admin.back_office as admin.site.
    "bingel_admin.apps.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "django_htmx",
    "csp",
    "audit",
    "roster",
    "licenses",
    "integrations",
    "portal",
    "demo",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]

MIDDLEWARE = [
    "bingel_admin.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # After CSP's (so its answer is seen first): the identity provider's origin in form-action.
    "integrations.entree.EntreeFormActionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # NUL and other control characters in a query string or form: a 400 in Dutch, never a 500.
    "bingel_admin.input_guard.InvalidCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "bingel_admin.http_hygiene.BoundedSessionMiddleware",
    # Every page needs a login unless its view says otherwise (login_not_required); a page a portal
    # tile opened keeps that on its way to the login page (http_hygiene), and a form sent after the
    # session ended is answered with a message and the form's page as the way back (lost_action).
    "bingel_admin.lost_action.LoginRequiredUnlessLostMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "bingel_admin.http_hygiene.NoStoreMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# Serves the static files: in production the collected, hashed ones; elsewhere straight from
# the source folders (WHITENOISE_USE_FINDERS), so the demo needs neither DEBUG nor collectstatic.
MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
WHITENOISE_USE_FINDERS = not (PRODUCTION or BUILD)
WHITENOISE_AUTOREFRESH = DEBUG

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

if BUILD:
    DATABASES = {"default": {"ENGINE": "django.db.backends.dummy"}}
elif DATABASE_URL:
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
    # First, so a locked-out account or address is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
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
if not (PRODUCTION or BUILD) and not STATIC_ROOT.is_dir():
    # Nothing collected: the finders serve everything; pointing whitenoise at a missing
    # folder would only make it warn on every start.
    STATIC_ROOT = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION or BUILD
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# "default" stays in-process (rate limits of the login libraries); "pages" keeps the rendered
# licence cards (licenses.page_cache), shared by every worker through Redis where there is one.
# Each process also keeps the cards it served last, up to this many characters (about as many
# bytes; the largest school's cards are some hundreds of thousands).
PAGE_CACHE_LOCAL_CHARS = envint("PAGE_CACHE_LOCAL_CHARS", 16_000_000)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "pages"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"}
    ),
}

# Sessions and cookies: the session cookie is never readable from script and is not sent on
# cross-site sub-requests; "Lax" still lets the SSO provider redirect back to us.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# Every cookie we set is Secure in production: also the language choice (messages follow
# SESSION_COOKIE_SECURE).
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
# A session made before login (it holds only the single sign-on state) lives this long.
LOGIN_STATE_SESSION_SECONDS = envint("LOGIN_STATE_SESSION_SECONDS", 15 * 60)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Back office (Django admin): password plus a second factor, and lock-out ---------------
# django-otp: TOTP apps and one-time recovery codes; a device's wrong codes slow it down
# (each failure doubles the wait).
OTP_TOTP_ISSUER = "Bingel beheer"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# django-axes: after BACKOFFICE_LOGIN_FAILURE_LIMIT wrong passwords an account, and separately
# an address, is locked for BACKOFFICE_LOCKOUT_MINUTES; during the lock-out even the right
# password is refused. `manage.py axes_reset_username NAME` lifts it early.
AXES_FAILURE_LIMIT = envint("BACKOFFICE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=envint("BACKOFFICE_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "bingel_admin.back_office.client_ip"
# How many proxies in front append to X-Forwarded-For; 0 trusts only the peer address.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)

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
# Accounts are keyed on the provider's sub alone: e-mail is never unique, required or used to
# find, link or merge an account (integrations.sso never even stores it).
ACCOUNT_UNIQUE_EMAIL = False
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_ADAPTER = "integrations.sso.BasispoortSocialAccountAdapter"
ACCOUNT_ADAPTER = "integrations.sso.NoLocalAccountsAdapter"
ACCOUNT_USER_DISPLAY = "integrations.sso.user_display"
# The provider's issuer: its discovery document is <issuer>/.well-known/openid-configuration and
# must name exactly this issuer. In production it must be set, and be an https:// URL.
BASISPOORT_OIDC_SERVER_URL = envstr("BASISPOORT_OIDC_SERVER_URL", "" if PRODUCTION else "http://localhost:8001/o")
BASISPOORT_OIDC_CLIENT_ID = envstr("BASISPOORT_OIDC_CLIENT_ID", "" if PRODUCTION else "bingel-beheer-dev")
BASISPOORT_OIDC_CLIENT_SECRET = envsecret(
    "BASISPOORT_OIDC_CLIENT_SECRET", None if PRODUCTION or BUILD else "bingel-beheer-dev-secret"
)
# How we authenticate at the token endpoint (OIDC Core 9): HTTP Basic by default, or in the form.
BASISPOORT_OIDC_TOKEN_AUTH_METHOD = envstr("BASISPOORT_OIDC_TOKEN_AUTH_METHOD", "client_secret_basic")
# How long the discovery document and the key set are reused before they are fetched again.
BASISPOORT_OIDC_CACHE_SECONDS = envint("BASISPOORT_OIDC_CACHE_SECONDS", 3600)
if BASISPOORT_OIDC_TOKEN_AUTH_METHOD not in {"client_secret_basic", "client_secret_post"}:
    raise ImproperlyConfigured(
        f"BASISPOORT_OIDC_TOKEN_AUTH_METHOD={BASISPOORT_OIDC_TOKEN_AUTH_METHOD!r} is unknown; "
        "use client_secret_basic or client_secret_post."
    )
if PRODUCTION and not BASISPOORT_OIDC_SERVER_URL.startswith("https://"):
    raise ImproperlyConfigured(
        "Set BASISPOORT_OIDC_SERVER_URL to the provider's issuer, an https:// URL, for single sign-on."
    )
if PRODUCTION and not BASISPOORT_OIDC_CLIENT_ID:
    raise ImproperlyConfigured("Set BASISPOORT_OIDC_CLIENT_ID to this application's client id at the provider.")
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
                    "token_auth_method": BASISPOORT_OIDC_TOKEN_AUTH_METHOD,
                },
            }
        ],
    }
}

# --- Entree Federatie (SAML 2.0), integrations/entree.py ------------------------------------
# Off unless ENTREE_IDP_ENTITY_ID is set. Then the federation's metadata (an https:// URL, or a
# file), our SP entity id and our signing certificate and key are all needed: production refuses
# to start with only some of them. The certificate is public (it is in our SP metadata); the key
# is a secret and may come from ENTREE_SP_PRIVATE_KEY_FILE. ENTREE_SP_CERTIFICATE_NEW announces
# the next certificate in our metadata during a rollover (docs/ENTREE.md).
ENTREE_IDP_ENTITY_ID = envstr("ENTREE_IDP_ENTITY_ID", "")
ENTREE_IDP_METADATA_URL = envstr("ENTREE_IDP_METADATA_URL", "")
ENTREE_IDP_METADATA_FILE = envstr("ENTREE_IDP_METADATA_FILE", "")
ENTREE_SP_ENTITY_ID = envstr("ENTREE_SP_ENTITY_ID", "")
ENTREE_SP_CERTIFICATE = envsecret("ENTREE_SP_CERTIFICATE", "") or ""
ENTREE_SP_CERTIFICATE_NEW = envsecret("ENTREE_SP_CERTIFICATE_NEW", "") or ""
ENTREE_SP_PRIVATE_KEY = envsecret("ENTREE_SP_PRIVATE_KEY", "") or ""
# How far our clock and the identity provider's may differ when validity windows are checked.
ENTREE_CLOCK_SKEW_SECONDS = envint("ENTREE_CLOCK_SKEW_SECONDS", 60)
# How long the federation's metadata is reused before it is fetched again.
ENTREE_METADATA_CACHE_SECONDS = envint("ENTREE_METADATA_CACHE_SECONDS", 4 * 3600)
ENTREE_ENABLED = bool(ENTREE_IDP_ENTITY_ID)
if not 0 <= ENTREE_CLOCK_SKEW_SECONDS <= 300:
    raise ImproperlyConfigured("ENTREE_CLOCK_SKEW_SECONDS must be between 0 and 300.")
_entree_given = [
    name
    for name, value in {
        "ENTREE_IDP_ENTITY_ID": ENTREE_IDP_ENTITY_ID,
        "ENTREE_IDP_METADATA_URL or ENTREE_IDP_METADATA_FILE": ENTREE_IDP_METADATA_URL or ENTREE_IDP_METADATA_FILE,
        "ENTREE_SP_ENTITY_ID": ENTREE_SP_ENTITY_ID,
        "ENTREE_SP_CERTIFICATE (or _FILE)": ENTREE_SP_CERTIFICATE,
        "ENTREE_SP_PRIVATE_KEY (or _FILE)": ENTREE_SP_PRIVATE_KEY,
    }.items()
    if value
]
_entree_missing = [
    name
    for name in (
        "ENTREE_IDP_ENTITY_ID",
        "ENTREE_IDP_METADATA_URL or ENTREE_IDP_METADATA_FILE",
        "ENTREE_SP_ENTITY_ID",
        "ENTREE_SP_CERTIFICATE (or _FILE)",
        "ENTREE_SP_PRIVATE_KEY (or _FILE)",
    )
    if name not in _entree_given
]
if _entree_given and _entree_missing and (PRODUCTION or ENTREE_ENABLED):
    raise ImproperlyConfigured("Entree login is half configured: set " + ", ".join(_entree_missing) + ".")
if ENTREE_IDP_METADATA_URL and ENTREE_IDP_METADATA_FILE:
    raise ImproperlyConfigured("Set ENTREE_IDP_METADATA_URL or ENTREE_IDP_METADATA_FILE, not both.")
if PRODUCTION and ENTREE_IDP_METADATA_URL and not ENTREE_IDP_METADATA_URL.startswith("https://"):
    raise ImproperlyConfigured("ENTREE_IDP_METADATA_URL must be an https:// URL.")
SOCIALACCOUNT_PROVIDERS["saml"] = {
    "provider_class": "integrations.entree.EntreeProvider",
    "APPS": [
        {
            "provider_id": "entree",
            "name": "Entree",
            "client_id": "entree",
            "settings": {
                "idp": {
                    "entity_id": ENTREE_IDP_ENTITY_ID,
                    "metadata_url": ENTREE_IDP_METADATA_URL,
                    "metadata_file": ENTREE_IDP_METADATA_FILE,
                    "metadata_cache_timeout": ENTREE_METADATA_CACHE_SECONDS,
                },
                "sp": {"entity_id": ENTREE_SP_ENTITY_ID},
                "attribute_mapping": {"uid": "uid"},
                "advanced": {
                    "x509cert": ENTREE_SP_CERTIFICATE,
                    "x509cert_new": ENTREE_SP_CERTIFICATE_NEW,
                    "private_key": ENTREE_SP_PRIVATE_KEY,
                    # Set again, with the rest of the security settings, in integrations/entree.py.
                    "authn_request_signed": True,
                    "want_assertion_signed": True,
                    "reject_deprecated_algorithm": True,
                    "reject_idp_initiated_sso": True,
                },
            },
        }
    ],
}

# --- Content-Security-Policy ---------------------------------------------------------------
# No inline script or style anywhere; the only other origin is the SSO provider, which forms
# (login, logout) redirect to.
_SSO_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(BASISPOORT_OIDC_SERVER_URL))
# Where the Basispoort portal's tiles link from: a person arriving from there with a page to go
# to is signed in at Basispoort already, so the login page continues at once (integrations/sso.py
# still runs the whole code flow with state, nonce and PKCE).
BASISPOORT_PORTAL_ORIGINS = envlist("BASISPOORT_PORTAL_ORIGINS", [_SSO_ORIGIN])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", _SSO_ORIGIN],
    }
}

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# The project package is not an app, so its tasks are named here rather than autodiscovered.
CELERY_IMPORTS = ["bingel_admin.tasks"]
CELERY_TASK_ACKS_LATE = True
# A task whose worker process died (SIGKILL, out of memory) goes back on the queue instead of
# being acknowledged as failed: an import chunk is delivered again (docs/RUNBOOK.md).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A message taken by a worker that vanished as a whole (machine gone) is delivered again after
# this many seconds; it must exceed the longest task and the longest countdown (15 minutes).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE: dict = {
    # One entry per periodic job; each app's tasks.py holds the task itself.
    "nightly-roster-import": {
        "task": "roster.tasks.nightly_roster_import",
        # Basispoort delivers the night's changes after midnight; CELERY_TIMEZONE makes this Amsterdam time.
        "schedule": crontab(hour=2, minute=0),
    },
    "remember-year-levels": {
        "task": "licenses.tasks.remember_year_levels",
        # Before the import: the "Nieuw schooljaar" proposals need last year's levels of renamed groups.
        "schedule": crontab(hour=1, minute=30),
    },
    "retention-purge": {
        "task": "roster.tasks.purge_inactive_people",
        # After the import, so a pupil who came back last night is active again first.
        "schedule": crontab(hour=4, minute=30),
    },
    "roster-sweep-stale-runs": {"task": "roster.tasks.sweep_stale_runs", "schedule": 15 * 60},
    "lvs-export": {"task": "integrations.tasks.export_results", "schedule": 15 * 60},
    "clear-expired-sessions": {
        "task": "bingel_admin.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=0),
    },
    "lvs-export-nightly-catch-up": {
        "task": "integrations.tasks.export_results_catch_up",
        "schedule": crontab(hour=3, minute=30),
    },
    # After the roster import (02:00; it waits while the import still holds its lock).
    "licence-registry-reconcile": {
        "task": "integrations.tasks.reconcile_registry",
        "schedule": crontab(hour=3, minute=0),
    },
    "licence-registry-sweep": {"task": "integrations.tasks.sweep_registry", "schedule": 10 * 60},
    # After the import, the reconciliation and the purge, which all change what the cards show.
    "warm-school-cards": {"task": "portal.tasks.warm_school_cards", "schedule": crontab(hour=5, minute=0)},
}

# --- Result exchange with the pupil tracking systems (UWLR 2.2) ------------------------------
UWLR_BATCH_SIZE = min(envint("UWLR_BATCH_SIZE", 1000), 1000)
UWLR_CONNECT_TIMEOUT = envint("UWLR_CONNECT_TIMEOUT", 10)
UWLR_READ_TIMEOUT = envint("UWLR_READ_TIMEOUT", 60)
UWLR_TRIES_PER_BATCH = envint("UWLR_TRIES_PER_BATCH", 4)
UWLR_RETRY_BASE_SECONDS = float(envint("UWLR_RETRY_BASE_MS", 2000)) / 1000
UWLR_AUTEUR = envstr("UWLR_AUTEUR", "Bingel")
UWLR_EXPORT_THREADS = envint("UWLR_EXPORT_THREADS", 4)
# The authorisation key travels with every message: in production an LVS address must be https.
LVS_REQUIRE_HTTPS = envbool("LVS_REQUIRE_HTTPS", PRODUCTION)

# --- Licence registry (who may use which product; Basispoort "Lesmateriaal") ------------------
# Without LICENCE_REGISTRY_URL nothing is sent. Its paths are under rest/v1/; mutual TLS.
LICENCE_REGISTRY_URL = envstr("LICENCE_REGISTRY_URL", "")
LICENCE_REGISTRY_CLIENT_CERT = envstr("LICENCE_REGISTRY_CLIENT_CERT", "")
LICENCE_REGISTRY_CLIENT_KEY = envstr("LICENCE_REGISTRY_CLIENT_KEY", "")
LICENCE_REGISTRY_CA_BUNDLE = envstr("LICENCE_REGISTRY_CA_BUNDLE", "")
LICENCE_REGISTRY_CONNECT_TIMEOUT = envint("LICENCE_REGISTRY_CONNECT_TIMEOUT", 5)
LICENCE_REGISTRY_READ_TIMEOUT = envint("LICENCE_REGISTRY_READ_TIMEOUT", 30)
LICENCE_REGISTRY_DEBOUNCE_SECONDS = envint("LICENCE_REGISTRY_DEBOUNCE_SECONDS", 5)
LICENCE_REGISTRY_RETRIES = envint("LICENCE_REGISTRY_RETRIES", 8)
LICENCE_REGISTRY_RETRY_BASE_SECONDS = envint("LICENCE_REGISTRY_RETRY_BASE_SECONDS", 10)
LICENCE_REGISTRY_RECONCILE_TRIES = envint("LICENCE_REGISTRY_RECONCILE_TRIES", 10)
LICENCE_REGISTRY_WORKERS = envint("LICENCE_REGISTRY_WORKERS", 8)
LICENCE_REGISTRY_CHUNK_SIZE = envint("LICENCE_REGISTRY_CHUNK_SIZE", 200)
# The nightly reconciliation is queued as one task per part of this many schools, so the worker's
# pool processes (and any other worker) share it; each part is read in chunks of the size above.
LICENCE_REGISTRY_PART_SIZE = envint("LICENCE_REGISTRY_PART_SIZE", 600)
# 1: the nightly reconciliation asks the registry about every school every night. Above 1, a
# school whose sets are exactly what the registry last confirmed is asked once in that many nights.
LICENCE_REGISTRY_CHECK_EVERY_NIGHTS = envint("LICENCE_REGISTRY_CHECK_EVERY_NIGHTS", 1)
# Where this application is reached from outside: a portal tile links to <this>/school/<id>/.
BINGEL_PUBLIC_URL = envstr("BINGEL_PUBLIC_URL", "http://127.0.0.1:8000")
if PRODUCTION and LICENCE_REGISTRY_URL and not LICENCE_REGISTRY_CLIENT_CERT:
    raise ImproperlyConfigured("Set LICENCE_REGISTRY_CLIENT_CERT (and _KEY) for the licence registry.")

# --- Basispoort roster import ----------------------------------------------------------------
# Without BASISPOORT_API_URL the import reads the folder feed the demo writes.
BASISPOORT_API_URL = envstr("BASISPOORT_API_URL", "")
ROSTER_FOLDER = Path(envstr("ROSTER_FOLDER", str(VAR_DIR / "demo-feed")))
BASISPOORT_API_CLIENT_CERT = envstr("BASISPOORT_API_CLIENT_CERT", "")
BASISPOORT_API_CLIENT_KEY = envstr("BASISPOORT_API_CLIENT_KEY", "")
BASISPOORT_API_CA_BUNDLE = envstr("BASISPOORT_API_CA_BUNDLE", "")
BASISPOORT_API_CONNECT_TIMEOUT = envint("BASISPOORT_API_CONNECT_TIMEOUT", 10)
BASISPOORT_API_READ_TIMEOUT = envint("BASISPOORT_API_READ_TIMEOUT", 60)
BASISPOORT_API_RETRIES = envint("BASISPOORT_API_RETRIES", 3)
ROSTER_IMPORT_CHUNK_SIZE = envint("ROSTER_IMPORT_CHUNK_SIZE", 20)
# Schools per nightly Celery task: a task imports them chunk by chunk as sync_roster does
# (roster.importer.import_schools), reading the next chunks while its writers apply the last ones.
ROSTER_IMPORT_TASK_SCHOOLS = envint("ROSTER_IMPORT_TASK_SCHOOLS", 100)
ROSTER_FETCH_WORKERS = envint("ROSTER_FETCH_WORKERS", 4)
# Chunks written at the same time, each on its own connection; tests write in their own transaction.
ROSTER_IMPORT_WRITERS = envint("ROSTER_IMPORT_WRITERS", 1 if DJANGO_ENV == "test" else 2)
# Processes `manage.py sync_roster` shares a run's schools among on PostgreSQL (the nightly Celery
# run spreads its chunks over the workers instead): parsing, validating and comparing the schools
# is Python work, one CPU per process.
ROSTER_IMPORT_PROCESSES = envint("ROSTER_IMPORT_PROCESSES", 1 if DJANGO_ENV == "test" else 2)
ROSTER_TASK_RETRIES = envint("ROSTER_TASK_RETRIES", 3)
# A run still "running" after this many hours is closed as failed by the sweep (and its lock freed).
ROSTER_RUN_MAX_HOURS = envint("ROSTER_RUN_MAX_HOURS", 6)
# Seconds before the first retry of a chunk, doubling (with jitter) for each further one up to
# ROSTER_TASK_RETRY_BACKOFF_MAX. A chunk that cannot reach the database keeps waiting for it until
# its run is ROSTER_RUN_MAX_HOURS old (roster/tasks.py).
ROSTER_TASK_RETRY_BACKOFF = envint("ROSTER_TASK_RETRY_BACKOFF", 1 if DJANGO_ENV == "test" else 30)
ROSTER_TASK_RETRY_BACKOFF_MAX = envint("ROSTER_TASK_RETRY_BACKOFF_MAX", 600)
# Suspicious nights are held per school for the coordinator to decide (roster/holds.py,
# docs/ARCHITECTURE.md "Held nights"): more than ROSTER_HOLD_PUPILS_PERCENT % of the active pupils
# leaving (and at least ROSTER_HOLD_PUPILS_MINIMUM), a group with licence links or seats removed,
# more than ROSTER_HOLD_STAFF_PERCENT % of the staff removed, or every coordinator removed.
ROSTER_HOLD_ENABLED = envbool("ROSTER_HOLD_ENABLED", True)
ROSTER_HOLD_PUPILS_PERCENT = envint("ROSTER_HOLD_PUPILS_PERCENT", 10)
ROSTER_HOLD_PUPILS_MINIMUM = envint("ROSTER_HOLD_PUPILS_MINIMUM", 5)
ROSTER_HOLD_STAFF_PERCENT = envint("ROSTER_HOLD_STAFF_PERCENT", 50)
if PRODUCTION and BASISPOORT_API_URL and not (BASISPOORT_API_CLIENT_CERT and BASISPOORT_API_CLIENT_KEY):
    raise ImproperlyConfigured("Set BASISPOORT_API_CLIENT_CERT and BASISPOORT_API_CLIENT_KEY for the roster API.")

# --- Readiness details ----------------------------------------------------------------------
# /readyz answers every caller with only 200 or 503; which check failed is told to a caller
# that sends "Authorization: Bearer <READYZ_TOKEN>" or connects from READYZ_ALLOWED_NETWORKS.
READYZ_TOKEN = envsecret("READYZ_TOKEN") or ""
READYZ_ALLOWED_NETWORKS = envlist("READYZ_ALLOWED_NETWORKS", [])
for _network in READYZ_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"READYZ_ALLOWED_NETWORKS: {_network!r} is no network (e.g. 10.0.0.0/8).") from exc

# --- Retention (AVG) ----------------------------------------------------------------------
# Pupils who left and staff whose appointment ended are removed this many days later.
RETENTION_DAYS = envint("RETENTION_DAYS", 365)

# --- Product ------------------------------------------------------------------------------
PUPIL_NUMBER_CODE_LENGTH = envint("PUPIL_NUMBER_CODE_LENGTH", 4)
if not 4 <= PUPIL_NUMBER_CODE_LENGTH <= 6:
    raise ImproperlyConfigured("PUPIL_NUMBER_CODE_LENGTH must be 4, 5 or 6.")
PUPIL_LOGIN_URL = envstr("PUPIL_LOGIN_URL", "https://www.basispoort.nl")
HELPDESK_PHONE = envstr("HELPDESK_PHONE", "073 - 628 87 22")
HELPDESK_EMAIL = envstr("HELPDESK_EMAIL", "helpdesk.bao@malmberg.nl")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "bingel_admin.observability.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s school=%(school_id)s] %(message)s"},
        "json": {"()": "bingel_admin.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": envstr("LOG_FORMAT", "json" if PRODUCTION else "plain"),
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if DJANGO_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
