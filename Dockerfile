# The Metaflow metadata service image: a drop-in for the reference image in the same task
# definition (it reads MF_METADATA_DB_HOST/_PORT/_USER/_PSWD/_NAME/_SSL_MODE, MF_METADATA_HOST
# and MF_METADATA_PORT). Build: docker build -t mfstack-metadata .
# Run:   docker run -p 8080:8080 -e MF_METADATA_DB_HOST=... -e MFSTACK_SERVICE_API_KEYS=... mfstack-metadata
# Only the service's own dependencies are installed (not the deploy tooling): slim and quick to pull.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
 && pip wheel --no-cache-dir --wheel-dir /wheels \
      "starlette>=0.37" "uvicorn>=0.30" "asyncpg>=0.29" "platformdirs>=4.2" "typer>=0.12" "rich>=13.7" \
      "httptools>=0.6" "uvloop>=0.19" "orjson>=3.8"

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MF_METADATA_HOST=0.0.0.0 \
    MF_METADATA_PORT=8080 \
    MF_MIGRATION_PORT=8082
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/mfstack mfstack
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --no-deps /wheels/*.whl && rm -rf /wheels
USER 10001:10001
WORKDIR /home/mfstack
EXPOSE 8080 8082
# /ping answers 200 when the service is up; it sends the first configured API key, if any.
HEALTHCHECK --interval=15s --timeout=3s --start-period=15s --retries=3 CMD ["python", "-c", "import os, urllib.request as u; k = os.environ.get('MFSTACK_SERVICE_API_KEYS', '').split(',')[0].strip(); r = u.Request('http://127.0.0.1:%s/ping' % os.environ.get('MF_METADATA_PORT', '8080'), headers={'x-api-key': k} if k else {}); u.urlopen(r, timeout=2)"]
# SIGTERM (docker stop, ECS) lets in-flight requests finish before exit.
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "mfstack.service"]
CMD []
