"""What the routes get from the running application."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

from service.api import deps


def test_every_dependency_is_a_coroutine_so_fastapi_calls_it_in_the_event_loop() -> None:
    """FastAPI runs a plain-function dependency in its thread pool: a thread hop per dependency per call."""
    getters = [value for name, value in vars(deps).items() if name.startswith("get_")]
    assert getters and all(inspect.iscoroutinefunction(getter) for getter in getters)


def test_a_hook_call_gets_the_settings_the_verifier_and_the_pipeline_of_the_application() -> None:
    state = SimpleNamespace(settings="settings", verifier="verifier", pipeline="pipeline")
    request = SimpleNamespace(app=SimpleNamespace(state=state))
    assert deps.hook_services(request) == ("settings", "verifier", "pipeline")  # type: ignore[arg-type]
