"""`bzra-cds serve`: run the HTTP service (one process, or several workers sharing the port).

Host, port and workers are settings (`BZRA_HOST`, `BZRA_PORT`, `BZRA_WORKERS`) the options override.
"""

from __future__ import annotations

import argparse
import os

from service.cli.loading import command_settings
from service.cli.usage import Commands


def add_commands(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="address to listen on (default: BZRA_HOST, else 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: BZRA_PORT, else 8080)")
    serve.add_argument("--workers", type=int, help="worker processes sharing the port (default: BZRA_WORKERS, else 1)")
    serve.add_argument(
        "--insecure-dev",
        action="store_true",
        help="accept hook calls without authentication (local trials only; same as BZRA_INSECURE_DEV=1)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="also serve the demo page at / with synthetic patients; implies --insecure-dev (same as BZRA_DEMO=1)",
    )
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    settings = command_settings(
        serving=True, host=args.host, port=args.port, workers=args.workers,
        insecure_dev=True if args.insecure_dev else None, demo=True if args.demo else None,
    )

    import uvicorn

    from service.app import create_app
    from service.logs import configure_logging
    from service.serving import run_workers, server_options

    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)  # also checks the configuration before any worker starts
    if settings.workers > 1:
        os.environ.update({"BZRA_INSECURE_DEV": "1"} if settings.insecure_dev else {})  # workers read the environment
        os.environ.update({"BZRA_DEMO": "1"} if settings.demo else {})
        run_workers(settings)
        return 0
    uvicorn.run(app, host=settings.host, port=settings.port, **server_options(settings))  # overload: see service/serving.py
    return 0
