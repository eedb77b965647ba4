"""Settings of the test suite: the product's own settings (read from the environment as in
production, DATABASE_URL and REDIS_URL included), plus what tests need and nothing else.

pytest-django loads this module (pyproject.toml); the product never asks whether it runs under test.
"""

from supplierwatch.settings import *  # noqa: F403
from supplierwatch.settings import STORAGES

SECRET_KEY = "tests-only-secret-key-never-used-anywhere-else"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

# Tasks run where they are queued; the tests of a real worker switch this off (tests/workers.py).
CELERY_TASK_ALWAYS_EAGER = True
# Fast hashing and an in-memory outbox.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Plain HTTP on the test client and the live server; static files from the source folders.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS = True

# Receivers in the tests listen on loopback, over plain HTTP.
SW_OUTBOUND_ALLOW_PRIVATE = True
SW_WEBHOOKS_REQUIRE_HTTPS = False

# Password-reset counters live in the cache, which outlives a test (and Redis outlives the run):
# out of the way here; the tests of the limits set their own, on addresses and clients of their own.
SW_PASSWORD_RESETS_PER_ADDRESS = SW_PASSWORD_RESETS_PER_CLIENT = 1000

# Tests change keys, their users and parties between requests and expect the next request to see
# it: each request reads its key. tests/api/test_key_cache.py switches the cache on.
SW_API_KEY_CACHE_SECONDS = 0
