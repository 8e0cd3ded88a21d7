"""The benchmark's baseline: a bare FastAPI endpoint on the same uvicorn settings as `bzra-cds serve`.

It reads the request body, parses the JSON and answers `{"cards": []}`: the least any CDS Hooks
service written with this stack can do. Every scenario is reported as a ratio to it, measured in the
same run on the same machine, so the numbers say what bzra-cds itself adds.

    .venv/bin/python -m bench.baseline_app --port 8099
"""

from __future__ import annotations

import argparse
import json
import logging

from fastapi import FastAPI, Request

app = FastAPI(title="bzra-cds benchmark baseline")


@app.post("/cds-services/{service_id}")
async def hook(service_id: str, request: Request) -> dict[str, list[object]]:
    json.loads(await request.body())
    return {"cards": []}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="bare FastAPI baseline for the benchmark")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # The same options as `bzra-cds serve` (service/serving.py): one worker, no access log, asyncio's
    # event loop, httptools when installed (as it is with uvicorn[standard]).
    from service.serving import UVICORN_OPTIONS

    uvicorn.run(app, host=args.host, port=args.port, **UVICORN_OPTIONS)


if __name__ == "__main__":
    main()
