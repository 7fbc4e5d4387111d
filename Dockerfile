# dunning-connector: `dunning serve` in a container.
#
# The image installs the same wheel the test suite checks
# (tests/system/serve/test_docker_package.py): built from this tree with `pip wheel . --no-deps`,
# then installed over the locked dependencies.
# Configuration is mounted at /config (connector.yaml, clients/, secret.key); the SQLite
# database (when no DATABASE_URL is given) lives in the /data volume.

# The base image is pinned by tag only: no registry was reachable where this was written, and a
# digest must come from the registry, never be made up. Pin it where Docker runs, and again
# whenever the tag moves (security updates):
#   docker buildx imagetools inspect python:3.11-slim --format '{{json .Manifest.Digest}}'
# then write both stages as FROM python:3.11-slim@sha256:<that digest>.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY connector ./connector
COPY adapters ./adapters
# sandboxes/ (the fake platforms for the demo and the tests) is its own distribution: not copied,
# so the image holds no sandbox code (.dockerignore leaves it out too).
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DUNNING_CONFIG=/config \
    DATABASE_URL=sqlite:////data/dunning.db \
    DUNNING_TOKEN_SPOOL=/data/token-spool \
    DUNNING_HEALTH_URL=http://127.0.0.1:8089/healthz
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin dunning \
    && mkdir -p /config /data && chown dunning:dunning /data
# Dependencies exactly as locked (versions and hashes, requirements.lock: runtime + postgres),
# then the project's own wheel without resolving anything again.
COPY requirements.lock /tmp/requirements.lock
COPY --from=build /wheels/ /tmp/wheels/
RUN set -e; pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock; \
    whl="$(ls /tmp/wheels/dunning_connector-*.whl)"; \
    pip install --no-cache-dir --no-deps "${whl}"; rm -rf /tmp/wheels /tmp/requirements.lock
USER dunning
WORKDIR /data
VOLUME ["/config", "/data"]
EXPOSE 8089
# /healthz answers while serve's main loop is alive (http.listen, loopback by default).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['DUNNING_HEALTH_URL'], timeout=4)"]
# `dunning serve` by default; any other command as `docker run IMAGE status`, `... report X`.
# The entrypoint first checks that this user (uid 10001) can read /config and write /data, and
# otherwise says what to chown (connector/serve/container.py): `dunning init` writes 0600/0700 files
# for the host user who ran it.
ENTRYPOINT ["python", "-m", "connector.serve.container"]
CMD ["serve"]
