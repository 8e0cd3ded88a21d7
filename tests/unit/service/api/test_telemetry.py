"""FastAPI's native OpenTelemetry is turned off only when nothing could record it."""

from __future__ import annotations

import pytest

from service.api import telemetry


def test_without_any_provider_the_signals_are_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FASTAPI_OTEL_AUTO_CONFIGURE", raising=False)
    assert telemetry.native_telemetry() == {"tracing": False, "metrics": False, "logs": False}


def test_auto_configuration_at_start_up_keeps_fastapis_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    assert telemetry.native_telemetry() is None


def test_a_configured_provider_keeps_fastapis_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    class SdkTracerProvider:  # anything but OpenTelemetry's own placeholder counts as configured
        pass

    monkeypatch.delenv("FASTAPI_OTEL_AUTO_CONFIGURE", raising=False)
    monkeypatch.setattr(telemetry.trace, "get_tracer_provider", SdkTracerProvider)
    assert telemetry.native_telemetry() is None
