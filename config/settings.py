"""Licensa settings. Everything that differs between machines comes from the environment.

With nothing set, the app runs for development: SQLite in the project folder, Celery tasks run in-process,
e-mail printed to the console. `DATABASE_URL` switches to PostgreSQL (psycopg 3), `REDIS_URL` to a real broker.
Without DEBUG the settings refuse to start unless SECRET_KEY is given.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("LICENSA_TESTING", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development only: a key made once per checkout and kept out of git, so sessions survive restarts.
    key_file = BASE_DIR / "var" / "dev-secret-key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(get_random_secret_key())
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    # Not for models (it has none) but for its catalogues: country names in the reader's language.
    "django_countries",
    "accounts",
    "audit",
    "cases",
    "screening",
    "parties",
    "permits",
    "review",
    "timelimits",
    "rfis",
    "rechecks",
    "imports",
    "search",
    "dashboard",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database that cannot be reached answers 503 (templates/503.html, or JSON under /api/), not a 500.
    "config.middleware.DatabaseUnavailableMiddleware",
    # The Content-Security-Policy header on every response (policy below): django-csp's middleware, building the
    # header once rather than per response (config/csp.py).
    "config.csp.CachedPolicyCSPMiddleware",
    # A body over MAX_REQUEST_BYTES answers 413 before anything reads it; after the security and CSP middleware,
    # so that answer carries their headers too.
    "config.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's LocaleMiddleware, without its URL-prefix lookups when no i18n_patterns are in use (config/middleware.py).
    "config.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.roles",
            ],
        },
    },
]

# The embedded default's database file; SQLITE_PATH moves it (CI boots a throwaway copy this way).
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH") or BASE_DIR / "var" / "licensa.sqlite3")
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
elif env_bool("DATABASE_PREPARED_STATEMENTS", True):
    # Parameters bound by the server, and a statement the connection has run twice prepared once: the same few
    # statements run for every request, so PostgreSQL stops parsing and planning them anew and psycopg stops
    # quoting values into SQL text. A pooler that cannot keep prepared statements (PgBouncer in transaction
    # mode before 1.21) needs DATABASE_PREPARED_STATEMENTS=0.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout: five failed logins for one username from one address lock that pair out for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The footer's language switch remembers the choice for a year (Django's default is the browser session only).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
# WhiteNoise serves from STATIC_ROOT once collectstatic has filled it; in development and tests the finders serve
# the files and the folder may not exist yet, so make it rather than warn on every request.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
if DEBUG or TESTING:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "media/"  # never served directly: documents go through a permission-checked view
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads: a document may be this large; the form and the API refuse anything bigger.
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# The largest request body taken at all, refused with 413 before it is read (config.middleware). An answer to a
# request for information may carry ten documents (rfis.services.MAX_ATTACHMENTS), so the default lets ten
# documents of the largest size through, plus a megabyte for the form's fields and the multipart framing.
MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_BYTES", str(10 * DOCUMENT_MAX_BYTES + 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Licensa <licensa@localhost>")

# Celery: with REDIS_URL a real broker and worker; without it tasks run in-process (the embedded default).
REDIS_URL = os.environ.get("REDIS_URL", "")
# memory:// names a host because kombu warns, in every process, of a URL without one.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Periodic tasks (`celery -A config beat`, or `worker --beat` on one machine; see docs/rechecks.md).
CELERY_BEAT_SCHEDULE = {
    # Shortly after midnight: a rule or suspension window that starts or ends today re-checks permits in force.
    "rechecks-daily-date-check": {"task": "rechecks.tasks.recheck_daily", "schedule": crontab(hour=0, minute=20)},
    # Early morning, before the working day: reminders of requests for information due soon, then the cases whose
    # requests lapsed closed.
    "rfis-remind": {"task": "rfis.tasks.remind_information_requests", "schedule": crontab(hour=1, minute=0)},
    "rfis-lapse": {"task": "rfis.tasks.lapse_information_requests", "schedule": crontab(hour=1, minute=10)},
    # Just after midnight: permits whose validity ended yesterday become expired.
    "permits-expire": {"task": "permits.tasks.expire_permits", "schedule": crontab(hour=0, minute=5)},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token authentication, loading the user's organisation and roles with the token.
        "accounts.authentication.UserTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # JSON read strictly (config.api.StrictJSONParser); forms and uploads as DRF reads them.
    "DEFAULT_PARSER_CLASSES": [
        "config.api.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Licensa API",
    "DESCRIPTION": "Export-licence cases, screening and permits.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # OpenAPI 3.1 takes JSON Schema 2020-12 as it is, so the screening contract's schemas can describe the
    # screening endpoint without translation (3.0 rejects their ["string", "null"] types).
    "OAS_VERSION": "3.1.0",
    # Cases and permits both have a "status": name each enum after its own vocabulary, so the schema generates
    # without a collision warning (and `check --deploy` stays clean).
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.vocab.CaseStatus",
        "PermitStatusEnum": "permits.models.PermitStatus",
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Content-Security-Policy (django-csp): scripts only from our own static files, never inline, so an injected
# <script> or on*= attribute does not run. tests/test_security.py keeps templates free of inline scripts. Inline
# style attributes stay allowed: they cannot run code, and Bootstrap's own components set them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        # Bootstrap draws form-select arrows and toggler icons as data: SVGs in its CSS.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Case references: LIC-<year>-<six digits>.
CASE_REFERENCE_PREFIX = "LIC"

# Review time limits (timelimits): the calendar that decides working days, the limit when the rule set names
# none, and how many working days before the due date a case counts as due soon.
TIMELIMITS_CALENDAR = os.environ.get("TIMELIMITS_CALENDAR", "CN")
TIMELIMITS_DEFAULT_WORKING_DAYS = 45
TIMELIMITS_DUE_SOON_WORKING_DAYS = 5

# Requests for information (rfis): the default deadline (days from today), the reminder (working days before the
# deadline), and how many days after the deadline an unanswered request closes the case.
RFIS_DEFAULT_DEADLINE_DAYS = 20
RFIS_REMINDER_WORKING_DAYS = 3
RFIS_LAPSE_GRACE_DAYS = 10
