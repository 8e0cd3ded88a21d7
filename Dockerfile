# bzra-cds service image: the package installed from its wheel (not editable), its dependencies pinned
# as tested (constraints.txt), run as an unprivileged numeric user, fit for a read-only root filesystem
# (it writes only to BZRA_DATA_DIR).
#   docker build -t bzra-cds:0.1.0 .
#   docker run --rm -p 127.0.0.1:8080:8080 -e BZRA_AUDIT_SECRET="$(openssl rand -hex 32)" bzra-cds:0.1.0
# The base image is the Python version CI tests on; change it deliberately, with a CI run.
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY cds_hooks ./cds_hooks
COPY service ./service
COPY rules ./rules
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BZRA_DATA_DIR=/var/lib/bzra-cds
COPY constraints.txt /tmp/constraints.txt
COPY --from=build /wheels /tmp/wheels
RUN pip install --constraint /tmp/constraints.txt /tmp/wheels/bzra_cds-*.whl \
    && rm -rf /tmp/wheels /tmp/constraints.txt \
    && groupadd --system --gid 10001 bzra \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin bzra \
    && mkdir -p /var/lib/bzra-cds \
    && chown 10001:10001 /var/lib/bzra-cds
USER 10001:10001
WORKDIR /var/lib/bzra-cds
VOLUME /var/lib/bzra-cds

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
CMD ["bzra-cds", "serve", "--host", "0.0.0.0", "--port", "8080"]
