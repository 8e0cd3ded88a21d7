"""Several real `bzra-cds serve` processes sharing one PostgreSQL schema, as replicas behind a load
balancer, called with real RS384 JWTs signed by a key made here (the EHR's), as hospitals run them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.service_process import free_port, wait_alive

ISSUER = "https://ehr.hospital.example"
PUBLIC_BASE = "https://cds.hospital.example"  # the load balancer's URL: the `aud` every replica checks
SIGN = "/cds-services/bzra-order-sign"
ADMIN_TOKEN = "replica-test-admin-token"


class Ehr:
    """The CDS client: its RSA key, its JWKS file, and tokens signed as the CDS Hooks spec asks."""

    def __init__(self, directory: Path):
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        self.jwks_file = directory / "ehr-jwks.json"
        self.jwks_file.write_text(json.dumps({"keys": [{**public, "kid": "ehr-1", "alg": "RS384", "use": "sig"}]}))

    def token(self, endpoint: str = SIGN, jti: str | None = None) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": "ehr-client", "aud": f"{PUBLIC_BASE}{endpoint}", "iat": now,
                  "exp": now + 300, "jti": jti or str(uuid.uuid4())}
        return jwt.encode(claims, self._key, algorithm="RS384", headers={"kid": "ehr-1", "typ": "JWT"})

    def headers(self, endpoint: str = SIGN, jti: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(endpoint, jti)}"}

    def environment(self) -> dict[str, str]:
        return {
            "BZRA_TRUSTED_ISSUERS": json.dumps([{"iss": ISSUER, "jwks_file": str(self.jwks_file)}]),
            "BZRA_PUBLIC_BASE_URL": PUBLIC_BASE,
        }


@dataclass
class Replica:
    base: str
    process: subprocess.Popen
    log: Path

    def log_lines(self) -> list[str]:
        return [line for line in self.log.read_text(errors="replace").splitlines() if line.strip()]

    def ready(self) -> httpx.Response:
        return httpx.get(f"{self.base}/readyz", timeout=5)


@contextmanager
def replicas(envs: list[dict[str, str]], logs: Path, *args: str, timeout: float = 90.0) -> Iterator[list[Replica]]:
    """Starts one `bzra-cds serve` per environment, all at once, and waits until each answers /healthz.
    Logs go to files (a pipe nobody reads would fill up and stall the process)."""
    logs.mkdir(parents=True, exist_ok=True)
    started: list[Replica] = []
    try:
        for number, env in enumerate(envs):
            port = free_port()
            log = logs / f"replica-{number}-{port}.log"
            command = [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
            with open(log, "wb") as output:
                process = subprocess.Popen(command, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT)
            started.append(Replica(f"http://127.0.0.1:{port}", process, log))
        for replica in started:
            wait_alive(replica.base, replica.process, timeout, lambda: replica.log.read_text(errors="replace")[-3000:])
        yield started
    finally:
        for replica in started:
            replica.process.terminate()
        for replica in started:
            try:
                replica.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                replica.process.kill()


def wait_ready(replica: Replica, timeout: float = 30.0) -> dict:
    """The /readyz body once the replica is ready (its database is reached and migrated)."""
    deadline = time.monotonic() + timeout
    while True:
        response = replica.ready()
        if response.status_code == 200:
            return response.json()
        if time.monotonic() > deadline:
            raise TimeoutError(f"not ready: {response.json()}")
        time.sleep(0.1)


def poll_until(condition, timeout: float, pause: float = 0.02) -> float | None:
    """Seconds until `condition()` held, calling it again and again; None if it did not within `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(pause)
    return None


def redis_reachable(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
