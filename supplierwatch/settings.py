"""supplierwatch settings, read from the environment.

Defaults are safe for development: SQLite under var/, Celery tasks run eagerly in-process (unless
BROKER_URL names a broker that needs no server, as `make run` does), e-mail printed to the console.
Production sets DEBUG off, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL; see the README
for every variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def env_bool(name: str, default: bool) -> bool:
    """A switch. Set but empty (`SECURE_COOKIES=` in an env file) counts as unset and takes the
    default: django-environ reads it as off, which would switch off a security setting that
    nobody meant to touch."""
    if not env.str(name, default="").strip():
        return default
    return env.bool(name)


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated variable; spaces around an item are not part of it."""
    return [item.strip() for item in env.list(name, default=default.split(",")) if item.strip()]


DEBUG = env_bool("DEBUG", False)

# Required when DEBUG is off. Left empty here so that management commands such as migrate run
# without it; the web and worker entry points refuse to start (supplierwatch.require_secret_key).
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-development-key-never-used-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    # Before the apps, so that the apps' admin modules may adjust its pages.
    "axes",
    "drf_spectacular_sidecar",
    "csp",
    "supplierwatch.api",
    "suppliers",
    "incidents",
    "integrations",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above WhiteNoise, so that static files carry the policies too.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "supplierwatch.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the "too many attempts" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "supplierwatch.urls"
WSGI_APPLICATION = "supplierwatch.wsgi.application"

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
                "supplierwatch.context_processors.viewer",
                "notifications.context_processors.bell",
                "incidents.context_processors.saved_views",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
DATABASES = {
    "default": {
        **env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'supplierwatch.sqlite3'}"),
        "CONN_MAX_AGE": env.int("DB_CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
    }
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while an eager task writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # A covering index's extra columns (Post's post_shown) serve PostgreSQL; SQLite keeps the
    # index without them, which is all the development database needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # PostgreSQL's JIT compiles a plan it expects to be costly, such as a search's over 100,000
    # incidents, and spends seconds compiling to save milliseconds (bench/bench_search.py); the
    # product's queries are short, so it is off for its connections.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sw",
            # A Redis that does not answer is soon taken for away: the rate limits then count in
            # the process (supplierwatch/counters.py) rather than hold the request.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Where tasks go: Redis when REDIS_URL is set; else BROKER_URL, whose one accepted value,
# `filesystem://`, keeps messages as files under VAR_DIR/broker/ for a worker on this machine
# (what `make run` starts, beside the web server); else nowhere: a task runs where it is queued.
BROKER_URL = env.str("BROKER_URL", default="").strip()
if BROKER_URL and BROKER_URL != "filesystem://":
    raise ImproperlyConfigured(
        f"BROKER_URL: only filesystem:// is supported (got {BROKER_URL.split(':', 1)[0]}:...); "
        "set REDIS_URL for Redis"
    )
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = REDIS_URL or BROKER_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not (REDIS_URL or BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
# The queue tasks go to unless routed elsewhere, those that tasks queue included.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# The processing of posts (and the nightly training) goes to a queue of its own, so that a backlog
# of millions of posts never delays the periodic and user-facing tasks of the default queue: the
# sweeps, spikes, SLA alerts, notifications, digests and webhooks (supplierwatch/queues.py).
SW_BULK_QUEUE = env.str("SW_BULK_QUEUE", default="bulk")
CELERY_TASK_ROUTES = ("supplierwatch.queues.route_task",)
# After a failed attempt to queue a task (or to reach the rate limits' cache), a process waits
# this long before trying the broker (or the cache) again; meanwhile the rows wait for the sweep.
SW_BROKER_RETRY_SECONDS = env.float("SW_BROKER_RETRY_SECONDS", default=5)
SW_CACHE_RETRY_SECONDS = env.float("SW_CACHE_RETRY_SECONDS", default=5)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
if BROKER_URL and not REDIS_URL:
    # One folder both ways: the web process writes a message file, the worker takes it. A file is
    # taken when read, not when acknowledged, so a killed worker loses the tasks it held; the
    # pending sweep queues their posts again. kombu expects the folders to exist.
    for folder in ("messages", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(BROKER_DIR / "messages"),
        "data_folder_out": str(BROKER_DIR / "messages"),
        "control_folder": str(BROKER_DIR / "control"),
    }
else:
    if REDIS_URL:
        # Workers that lose Redis while they hold tasks reconnect rather than stop (broker.py).
        CELERY_BROKER_TRANSPORT = "supplierwatch.broker:RedisTransport"
    # acks_late needs a visibility timeout longer than the longest task, or Redis redelivers it;
    # and longer than the longest retry countdown (a webhook's, an e-mail's), which a worker holds
    # unacknowledged meanwhile. So a message stranded by a killed worker comes back only after it
    # (20 minutes); the posts of such a message are queued again by the pending sweep, within
    # SW_PENDING_SWEEP_MINUTES, and the redelivered copy later finds them processed.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 4}
# Beat remembers when each periodic task last ran (the image's VAR_DIR is /app/var).
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Often, so that posts stranded by a broker outage or a killed worker wait a minute or two.
    "sweep-pending-posts": {"task": "incidents.tasks.sweep_pending_posts", "schedule": 30.0},
    "detect-spikes": {
        "task": "incidents.tasks.detect_spikes",
        "schedule": float(env.int("SW_SPIKE_CHECK_SECONDS", default=60)),
    },
    "check-monitor-volumes": {
        "task": "incidents.tasks.check_monitor_volumes",
        "schedule": float(env.int("SW_SPIKE_CHECK_SECONDS", default=60)),
    },
    # Nightly, when few posts arrive: learn from the day's reports and corrections.
    "retrain-classifier": {
        "task": "incidents.tasks.retrain_classifier",
        "schedule": crontab(hour=3, minute=17),
    },
    "dispatch-webhook-events": {
        "task": "integrations.tasks.dispatch_webhook_events",
        "schedule": 10.0,
    },
    "record-sla-alerts": {"task": "incidents.tasks.record_sla_alerts", "schedule": 60.0},
    # Hourly: a score that moved within the hour would date the evidence that moved it more
    # exactly than the hour anonymous evidence is shown to.
    "compute-scorecards": {
        "task": "incidents.tasks.compute_scorecards",
        "schedule": crontab(minute=7),
    },
    "sweep-notifications": {"task": "notifications.tasks.sweep_notifications", "schedule": 30.0},
    # Digests go out at a whole hour of each person's time zone: a run every quarter hour.
    "send-digests": {"task": "notifications.tasks.send_digests", "schedule": 900.0},
    "requeue-webhook-deliveries": {
        "task": "integrations.tasks.requeue_webhook_deliveries",
        "schedule": 300.0,
    },
    # Queues a poll of each feed that is due; each poll is a task of its own.
    "poll-due-feeds": {"task": "integrations.tasks.poll_due_feeds", "schedule": 30.0},
    "purge-idempotency-records": {
        "task": "supplierwatch.api.tasks.purge_idempotency_records",
        "schedule": 3600.0,
    },
}
CELERY_TIMEZONE = "UTC"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "suppliers.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The lockout check runs before the password check (supplierwatch/signin.py says how it counts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Brute force: login lockout and password-reset limits (supplierwatch/signin.py) ---------
# After SW_LOGIN_FAILURE_LIMIT wrong passwords for one address from one client, that pair is
# locked out for SW_LOGIN_COOLOFF_MINUTES after its last failure, the right password included.
AXES_FAILURE_LIMIT = env.int("SW_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SW_LOGIN_COOLOFF_MINUTES", default=15))
# Password-reset requests per address typed and per client, in each window; beyond them 429.
SW_PASSWORD_RESETS_PER_ADDRESS = env.int("SW_PASSWORD_RESETS_PER_ADDRESS", default=3)
SW_PASSWORD_RESETS_PER_CLIENT = env.int("SW_PASSWORD_RESETS_PER_CLIENT", default=10)
SW_PASSWORD_RESET_WINDOW_MINUTES = env.int("SW_PASSWORD_RESET_WINDOW_MINUTES", default=60)
# How many proxies in front of the web processes append to X-Forwarded-For (1 behind one load
# balancer). 0: the client is REMOTE_ADDR. More than there are lets clients choose their address.
SW_TRUSTED_PROXY_COUNT = env.int("SW_TRUSTED_PROXY_COUNT", default=0)
# Locked: the pair (address typed, client), never the account alone (signin.py says why).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "supplierwatch.signin.typed_address"
AXES_CLIENT_IP_CALLABLE = "supplierwatch.signin.client_ip"
AXES_LOCKOUT_CALLABLE = "supplierwatch.signin.lockout_response"
# A right password clears that pair's failures; a try while locked out does not prolong the lock.
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Lockouts are what operators need (admin: Axes > Access attempts); no log of every login.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds before a silent mail server counts as a failed attempt (a notification retries later).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="supplierwatch <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation and static files -------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Development serves static files straight from the source folders, without collectstatic.
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# --- Security (production) -----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Every page's scripts and styles come from the site itself; an inline <script> or <style> runs
# only with the response's nonce (the API documentation's start-up script), and no page may be
# framed, change its base URL or send a form elsewhere. Views that need more say so themselves
# (supplierwatch/api/docs.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page uses, switched off for the site and anything it might embed.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # The load balancer's health probe speaks plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # Off only for a plain-HTTP trial (docker compose on a LAN name); production keeps them on.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- REST framework ------------------------------------------------------------------------
# The API (/api/v1/, see docs/api.md): API keys first, so that a request without credentials is
# answered 401 with `WWW-Authenticate: Api-Key`; people signed in to the site may use it too.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "supplierwatch.api.permissions.HasParty",
        "supplierwatch.api.permissions.HasScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["supplierwatch.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "supplierwatch.api.pagination.ApiCursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["supplierwatch.api.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "supplierwatch.api.errors.ApiAutoSchema",
    "EXCEPTION_HANDLER": "supplierwatch.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "supplierwatch API",
    "DESCRIPTION": (
        "Supplier-quality incidents for ERP and procurement systems. Authenticate with "
        "`Authorization: Api-Key <key>`; errors, pagination and webhooks are described in "
        "docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # The documentation pages load Swagger UI and Redoc from the product's own static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "supplierwatch.api.schema.constrain_text",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AliasStateEnum": "suppliers.models.SupplierAlias.State",
        "IncidentStatusEnum": "incidents.models.Incident.Status",
        "SeverityEnum": ["low", "medium", "high", "critical"],
        "PostVisibilityEnum": "incidents.models.Post.Visibility",
        "ReportVisibilityEnum": ["private", "anonymous", "named"],
        "ResponseVisibilityEnum": "incidents.models.Response.Visibility",
        "WebhookEventEnum": "integrations.models.WebhookSubscription.Event",
    },
}
# Request bodies above this are refused (413); a bulk ingest of 1,000 posts fits in it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("SW_MAX_REQUEST_BYTES", default=5 * 1024 * 1024)

# --- Logging: to stdout, where containers and process managers collect it ------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # One line per finished task is noise in eager mode and at our batch rates.
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "celery.app.trace": {"level": "WARNING"},
        # A lockout is a warning; every login and failure would be noise.
        "axes": {"level": "WARNING"},
        # pikepdf announces at INFO that it started, in every process that reads a PDF.
        "pikepdf": {"level": "WARNING"},
    },
}

# --- Product settings ----------------------------------------------------------------------
# A resolved incident that gets new evidence within this window is reopened as a regression.
SW_REOPEN_WINDOW_DAYS = env.int("SW_REOPEN_WINDOW_DAYS", default=30)
# Complaints this many hours after an incident's last evidence are a new burst: a new incident.
SW_GROUPING_QUIET_HOURS = env.int("SW_GROUPING_QUIET_HOURS", default=48)
# Posts still pending this many minutes after they were stored, or last handed to the broker,
# are queued again by the sweep (every 30 seconds); one handed to the broker more recently is
# on its way and never queued twice. Those handed to the broker are queued again only while no
# batch waits in the bulk queue: in a backlog they are still on their way.
SW_PENDING_SWEEP_MINUTES = env.float("SW_PENDING_SWEEP_MINUTES", default=2)
# An SLA warning comes when this part of a promise's time is left (0.25: 1 hour before a 4-hour
# first answer is due); the breach at the due time. The check takes at most SW_SLA_CHECK_BATCH
# incidents per promise and stage a run (every minute); the next run takes the rest.
SW_SLA_WARNING_FRACTION = env.float("SW_SLA_WARNING_FRACTION", default=0.25)
if not 0 < SW_SLA_WARNING_FRACTION < 1:
    raise ImproperlyConfigured("SW_SLA_WARNING_FRACTION must lie between 0 and 1.")
SW_SLA_CHECK_BATCH = env.int("SW_SLA_CHECK_BATCH", default=500)
SW_DEMO_PASSWORD = env.str("SW_DEMO_PASSWORD", default="supplierwatch")

# --- API and webhooks ----------------------------------------------------------------------
# Requests per API key (DRF rate syntax, e.g. 600/min); beyond it 429 with Retry-After.
SW_API_RATE = env.str("SW_API_RATE", default="600/min")
# How long a process goes on accepting an API key it authenticated without reading it again
# (integrations/key_cache.py): a key revoked in another process stops working within this
# many seconds. 0: every request reads its key.
SW_API_KEY_CACHE_SECONDS = env.float("SW_API_KEY_CACHE_SECONDS", default=5)
# How long an Idempotency-Key's answer is replayed.
SW_IDEMPOTENCY_TTL_HOURS = env.int("SW_IDEMPOTENCY_TTL_HOURS", default=24)
# Calls to addresses others choose (webhook receivers, feeds) refuse loopback and private networks
# (SSRF) unless this one setting is on: development only, where it is on unless set off.
SW_OUTBOUND_ALLOW_PRIVATE = env_bool("SW_OUTBOUND_ALLOW_PRIVATE", DEBUG)
SW_WEBHOOKS_REQUIRE_HTTPS = env_bool("SW_WEBHOOKS_REQUIRE_HTTPS", not DEBUG)
SW_WEBHOOK_TIMEOUT_SECONDS = env.float("SW_WEBHOOK_TIMEOUT_SECONDS", default=5)
SW_WEBHOOK_MAX_ATTEMPTS = env.int("SW_WEBHOOK_MAX_ATTEMPTS", default=8)
SW_WEBHOOK_RETRY_BASE_SECONDS = env.int("SW_WEBHOOK_RETRY_BASE_SECONDS", default=30)
# Below the broker's visibility timeout, so a waiting retry is never delivered twice by Redis.
SW_WEBHOOK_RETRY_MAX_SECONDS = env.int("SW_WEBHOOK_RETRY_MAX_SECONDS", default=900)
# A subscription is switched off after this many deliveries in a row failed every retry.
SW_WEBHOOK_DISABLE_AFTER = env.int("SW_WEBHOOK_DISABLE_AFTER", default=5)

# --- Feeds ---------------------------------------------------------------------------------
# Polling: each fetch is bounded in time and size, and follows at most a few redirects.
SW_FEED_TIMEOUT_SECONDS = env.float("SW_FEED_TIMEOUT_SECONDS", default=10)
SW_FEED_MAX_BYTES = env.int("SW_FEED_MAX_BYTES", default=5 * 1024 * 1024)
SW_FEED_MAX_REDIRECTS = env.int("SW_FEED_MAX_REDIRECTS", default=3)
# Pages fetched in one poll of a paged API (Mastodon, Bluesky); the next poll goes on from there.
SW_FEED_MAX_PAGES = env.int("SW_FEED_MAX_PAGES", default=5)
SW_FEED_MIN_INTERVAL_SECONDS = env.int("SW_FEED_MIN_INTERVAL_SECONDS", default=60)
# A failing feed waits twice as long after each failure, up to this.
SW_FEED_BACKOFF_MAX_SECONDS = env.int("SW_FEED_BACKOFF_MAX_SECONDS", default=6 * 3600)
# After this many failed polls in a row a feed is disabled until someone clears it.
SW_FEED_DISABLE_AFTER = env.int("SW_FEED_DISABLE_AFTER", default=8)
# Bluesky's public AppView, which answers searches without an account.
SW_BLUESKY_APPVIEW_URL = env.str("SW_BLUESKY_APPVIEW_URL", default="https://public.api.bsky.app")
# Inbound webhook feeds: items per request, and how old a signed timestamp may be.
SW_FEED_INBOUND_MAX_ITEMS = env.int("SW_FEED_INBOUND_MAX_ITEMS", default=1000)
SW_FEED_SIGNATURE_TOLERANCE_SECONDS = env.int("SW_FEED_SIGNATURE_TOLERANCE_SECONDS", default=300)

# Spikes and keyword monitor jumps are found on the evidence's own times; one whose window ended
# within this many hours is news (notified, sent to webhooks, raises severity), an older one
# (an import of history) is recorded on the timeline as history only.
SW_SPIKE_NEWS_HOURS = env.int("SW_SPIKE_NEWS_HOURS", default=24)

# --- Notifications -------------------------------------------------------------------------
# A notification's e-mail is tried this many times (SMTP refused or timed out), then marked failed.
SW_NOTIFICATION_EMAIL_MAX_ATTEMPTS = env.int("SW_NOTIFICATION_EMAIL_MAX_ATTEMPTS", default=5)
# The first retry waits this long; each further one twice as long.
SW_NOTIFICATION_EMAIL_BACKOFF_SECONDS = env.int("SW_NOTIFICATION_EMAIL_BACKOFF_SECONDS", default=60)
# The sweep generates the notifications of events up to this old that were never told.
SW_NOTIFICATION_SWEEP_HOURS = env.int("SW_NOTIFICATION_SWEEP_HOURS", default=24)
# How long an e-mail's unsubscribe link works (notifications/unsubscribe.py).
SW_UNSUBSCRIBE_LINK_DAYS = env.int("SW_UNSUBSCRIBE_LINK_DAYS", default=365)
