"""Settings of the development OpenID Connect provider that stands in for Basispoort.

Everything comes from DEVIDP_* environment variables; the defaults work with nothing set.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from devidp_site.keys import ensure_private_key

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parents[1]


def _env(name, default):
    return os.environ.get(name) or default


def _env_flag(name, default):
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


DEVIDP_DATA_DIR = Path(_env("DEVIDP_DATA_DIR", REPO_DIR / "var" / "devidp")).resolve()
DEVIDP_FEED_DIR = Path(_env("DEVIDP_FEED_DIR", REPO_DIR / "var" / "demo-feed")).resolve()
DEVIDP_KEY_FILE = DEVIDP_DATA_DIR / "oidc-key.pem"

DEVIDP_CLIENT_ID = _env("DEVIDP_CLIENT_ID", "bingel-beheer-dev")
DEVIDP_CLIENT_SECRET = _env("DEVIDP_CLIENT_SECRET", "bingel-beheer-dev-secret")
DEVIDP_REDIRECT_URIS = _env(
    "DEVIDP_REDIRECT_URIS",
    "http://127.0.0.1:8000/accounts/oidc/basispoort/login/callback/",
).split()
DEVIDP_POST_LOGOUT_REDIRECT_URIS = _env("DEVIDP_POST_LOGOUT_REDIRECT_URIS", "http://127.0.0.1:8000/").split()

# The licence registry the "Lesmateriaal" tab reads (like the Basispoort portal does), over mutual TLS.
# The people the README names (the demo's coordinator, teacher and teacher-coordinator): shown
# first on the login page, before the rest of the feed's staff.
DEVIDP_PERSONAS = _env("DEVIDP_PERSONAS", "200001 200002 200003").split()
# The app the portal's tiles lead to; a coordinator's "Bingel beheer" tile opens its Beheer.
DEVIDP_APP_URL = _env("DEVIDP_APP_URL", "http://127.0.0.1:8000").rstrip("/")
DEVIDP_REGISTRY_URL = _env("DEVIDP_REGISTRY_URL", "")
DEVIDP_REGISTRY_CLIENT_CERT = _env("DEVIDP_REGISTRY_CLIENT_CERT", "")
DEVIDP_REGISTRY_CA_BUNDLE = _env("DEVIDP_REGISTRY_CA_BUNDLE", "")

# Deliberately broken ID tokens, only so the main app's tests can prove it refuses them.
DEVIDP_TAMPER_CHOICES = {"iss", "aud", "key"}
DEVIDP_TAMPER = os.environ.get("DEVIDP_TAMPER", "").strip().lower()
if DEVIDP_TAMPER and DEVIDP_TAMPER not in DEVIDP_TAMPER_CHOICES:
    # A typo must not quietly produce valid tokens in a test that expects a refusal.
    raise ImproperlyConfigured(
        f"DEVIDP_TAMPER={DEVIDP_TAMPER!r}; expected one of {sorted(DEVIDP_TAMPER_CHOICES)} or empty"
    )

SECRET_KEY = _env("DEVIDP_SECRET_KEY", "devidp-insecure-development-key-do-not-use-in-production")
DEBUG = _env_flag("DEVIDP_DEBUG", True)
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    # DOT's logout confirmation template loads its stylesheet through {% static %}.
    "django.contrib.staticfiles",
    "oauth2_provider",
    "devidp_site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# As the real portal and browsers by default: another site learns which site a link came from
# (the app continues a login that a portal tile started), never the page.
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

ROOT_URLCONF = "devidp_site.urls"
WSGI_APPLICATION = "devidp_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DEVIDP_DATA_DIR / "db.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The main app runs on 127.0.0.1:8000 and the IdP on localhost:8001. Browsers do not separate
# cookies by port, so Django's default names would let the two apps overwrite each other's session.
SESSION_COOKIE_NAME = "devidp_sessionid"
CSRF_COOKIE_NAME = "devidp_csrftoken"

LOGIN_URL = "login"

LANGUAGE_CODE = "nl"
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    # Created on first import so that the server also works when devidp_setup was skipped.
    "OIDC_RSA_PRIVATE_KEY": ensure_private_key(DEVIDP_KEY_FILE),
    "PKCE_REQUIRED": True,
    # S256 only, so the main app cannot pass its tests with the weaker "plain" challenge.
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    # The client is registered for the code flow only; discovery should not promise more.
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Naam",
        "email": "E-mailadres",
    },
    "OAUTH2_VALIDATOR_CLASS": "devidp_site.validators.DevIdpValidator",
}
