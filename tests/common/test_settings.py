from __future__ import annotations

import pytest
from pydantic import ValidationError

from tracking_system.common.settings import DEV_INTERNAL_SECRET, CommonSettings, Environment
from tracking_system.gateway.settings import GatewaySettings


def test_development_accepts_the_default_internal_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERNAL_SECRET", raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    assert CommonSettings().internal_secret == DEV_INTERNAL_SECRET


def test_production_refuses_the_default_internal_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERNAL_SECRET", raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ValidationError, match="INTERNAL_SECRET must be set"):
        CommonSettings()


def test_production_refuses_a_short_internal_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("INTERNAL_SECRET", "short")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        CommonSettings()


def test_production_accepts_a_long_private_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("INTERNAL_SECRET", "s" * 40)
    settings = CommonSettings()
    assert settings.app_env is Environment.PRODUCTION
    assert "s" * 40 not in repr(settings)


def test_cors_origins_are_read_as_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example/")
    assert GatewaySettings().cors_origins == ("https://a.example", "https://b.example")


def test_service_ports_come_from_their_own_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "9100")
    monkeypatch.setenv("USERS_URL", "http://127.0.0.1:9101/")
    settings = GatewaySettings()
    assert settings.port == 9100
    assert settings.users_url == "http://127.0.0.1:9101"
