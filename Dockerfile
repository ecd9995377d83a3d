# The Alfred API and worker image: one image, the command picks the role (serve | worker).
FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH=/app/.venv/bin:$PATH

# uv from PyPI (pinned): the same tool the Makefile bootstraps.
RUN pip install --no-cache-dir "uv==0.13.9" \
    && useradd --create-home --uid 10001 alfred

WORKDIR /app
# Dependencies first (cached layer), then the sources.
COPY pyproject.toml uv.lock ./
COPY packages/alfred-crm-core/pyproject.toml packages/alfred-crm-core/README.md packages/alfred-crm-core/
COPY packages/alfred-automation/pyproject.toml packages/alfred-automation/README.md packages/alfred-automation/
COPY packages/alfred-ai/pyproject.toml packages/alfred-ai/README.md packages/alfred-ai/
COPY apps/reference-api/pyproject.toml apps/reference-api/README.md apps/reference-api/
RUN uv sync --locked --no-dev --no-install-workspace --package alfred-reference-api
COPY packages packages
COPY apps apps
RUN uv sync --locked --no-dev --package alfred-reference-api \
    && mkdir -p /data && chown alfred /data

# The app's folder: `alembic upgrade head` and `python scripts/seed_demo.py` run from here.
WORKDIR /app/apps/reference-api
USER alfred
ENV HOST=0.0.0.0 PORT=8000 ALFRED_DATA_DIR=/data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
    CMD python -c "import urllib.request,os;urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"8000\")}/api/v1/health', timeout=2)"
CMD ["alfred-api", "serve", "--no-migrate"]
