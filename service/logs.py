"""Structured logging: one JSON object a line, tagged with the hookInstance being answered.

Log lines carry ids, counts, timings and reasons; never access tokens or resource contents.
"""

from __future__ import annotations

import contextvars
import logging
import sys

from pythonjsonlogger.json import JsonFormatter

hook_instance: contextvars.ContextVar[str | None] = contextvars.ContextVar("hook_instance", default=None)


class _HookInstanceFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.hookInstance = hook_instance.get()
        record.__dict__.pop("color_message", None)  # uvicorn's ANSI-coloured duplicate of the message
        return True


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_HookInstanceFilter())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(hookInstance)s", rename_fields={"levelname": "level"})
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(hookInstance)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # httpx logs full URLs at INFO
