"""Static pages and their files, served from the package (no build step, nothing from a CDN) with a
strict Content-Security-Policy: scripts and styles from this service only.

A page names the files it may load (a `Shelf`); anything else under its static prefix is a 404, so a
path like `../routes.py` never reaches the file system.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi.responses import FileResponse

from service.api.errors import ApiError

SHARED_DIR = Path(__file__).resolve().parent / "static"
# Files the planner and the demo page both load (the look, the texts in three languages, HTTP, DOM).
SHARED_FILES = frozenset({"style.css", "i18n.js", "http.js", "dom.js"})
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8"}

BASE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)


@dataclass(frozen=True)
class Shelf:
    """Files a page may load from one directory."""

    directory: Path
    names: frozenset[str]


SHARED = Shelf(SHARED_DIR, SHARED_FILES)


def page(path: Path, policy: str) -> FileResponse:
    """An HTML page with its Content-Security-Policy; no Referer, so launch parameters never leave."""
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[".html"],
        headers={
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",  # launch and code parameters never leave in a Referer
            "Cache-Control": "no-cache",
        },
    )


def static_file(name: str, *shelves: Shelf) -> FileResponse:
    """The file `name` from the first shelf that holds it; a 404 when no shelf lists it."""
    for shelf in shelves:
        if name in shelf.names:
            path = shelf.directory / name
            return FileResponse(
                path,
                media_type=MEDIA_TYPES[path.suffix],
                headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
            )
    raise ApiError(404, "not_found", f"no file '{name}' here")
