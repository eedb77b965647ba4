# One image for every supplierwatch process: the web process (the default command), Celery workers
# (`celery -A supplierwatch worker`) and the single Celery beat (`celery -A supplierwatch beat`).
# Configure it with the environment variables listed in the README; SECRET_KEY is required.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DEBUG=0

# Dependencies first, from pyproject.toml alone, so a code change does not reinstall them. The
# project itself runs from /app: settings find templates/ and static/ beside the source tree, which
# an installed wheel would not carry, so the empty distribution built here is removed again.
COPY pyproject.toml README.md /tmp/deps/
RUN pip install /tmp/deps \
    && pip uninstall -y supplierwatch \
    && rm -rf /tmp/deps

RUN useradd --system --user-group --home-dir /app --no-create-home \
    --shell /usr/sbin/nologin supplierwatch

WORKDIR /app
COPY . .

# Static files are collected into the image; whitenoise serves them from every web process.
# Management commands need no SECRET_KEY, so none is baked in. The code stays owned by root;
# only var/ (VAR_DIR: media, Celery beat's schedule file) is writable by the process.
RUN python manage.py collectstatic --noinput \
    && mkdir -p var \
    && chown supplierwatch:supplierwatch var

USER supplierwatch
EXPOSE 8000

# No curl in the slim image. The probe sends the first ALLOWED_HOSTS name as Host, because Django
# answers 400 to a Host it does not allow.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request as u; hosts = [h.strip().lstrip('.') for h in os.environ.get('ALLOWED_HOSTS', '').split(',')]; host = next((h for h in hosts if h and h != '*'), '127.0.0.1'); u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=4)"

CMD ["sh", "-c", "exec gunicorn supplierwatch.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --worker-class gthread --threads ${WEB_THREADS:-4} --keep-alive 0 --access-logfile -"]
