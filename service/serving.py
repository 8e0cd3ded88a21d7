"""How uvicorn runs the service: the options `bzra-cds serve` and the benchmark's baseline share.

The event loop is asyncio's own, not uvloop. Under overload a newcomer must be accepted and answered
(a 503 if need be) within a second. asyncio accepts every connection waiting in the listen queue at
each turn of the loop; the libuv under uvloop accepts one a turn (libuv pull request 3696), so with
hundreds of callers and turns of 100 ms, new connections waited for seconds in the kernel's queue
(issue 17; `tests/overload_probe.py` measures it). Overload itself is handled in the app
(`service.api.limits.AdmissionControl`), not by uvicorn's `limit_concurrency`, which counts
connections (idle keep-alive ones too) and would refuse `/healthz` with them.
"""

from __future__ import annotations

from typing import Any

UVICORN_OPTIONS: dict[str, Any] = {
    "loop": "asyncio",
    "workers": 1,
    "log_config": None,
    "access_log": False,
}
