# bzra-cds service image. Build: docker build -t bzra-cds .   Run: docker run -p 8080:8080 bzra-cds
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY cds_hooks ./cds_hooks
COPY service ./service
COPY rules ./rules
RUN pip install -e . && useradd --system --no-create-home bzra && mkdir -p /app/var && chown bzra /app/var
USER bzra
VOLUME /app/var

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
CMD ["bzra-cds", "serve", "--host", "0.0.0.0", "--port", "8080"]
