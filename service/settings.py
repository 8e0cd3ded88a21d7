"""Deployment settings: `BZRA_*` environment variables, optionally a YAML settings file.

Precedence (highest first): explicit arguments (the CLI), environment variables, the settings file
named by `BZRA_SETTINGS_FILE`, the defaults below. Every default lets the service run embedded,
with nothing to set up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The value the example configuration shows: public, so it keys nothing.
AUDIT_SECRET_PLACEHOLDER = "change-me-to-a-long-random-value"
AUDIT_SECRET_MIN_LENGTH = 16


class Coding(BaseModel):
    system: str
    code: str
    display: str | None = None


class HelpLink(BaseModel):
    label: str = Field(min_length=1)
    url: str = Field(min_length=1)


class TrustedIssuer(BaseModel):
    """A CDS client allowed to call the service, and where its public keys are."""

    iss: str = Field(min_length=1)
    jwks_url: str | None = None
    jwks_file: Path | None = None
    jku_prefixes: list[str] = Field(default=[], description="URL prefixes a token's jku header may point to.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BZRA_", extra="forbid", validate_default=True)

    insecure_dev: bool = Field(
        False, description="Accept hook calls without a JWT. For local trials only; logged loudly."
    )
    log_level: str = Field("INFO", description="Python log level name.")
    log_format: str = Field("json", description="`json` (one object a line) or `text`.")
    cors_origins: list[str] = Field(
        ["https://sandbox.cds-hooks.org"], description="Browser origins allowed to call the service (CORS)."
    )

    fhir_server_allowlist: list[str] = Field(
        [], description="FHIR base URLs (prefixes) the service may call, as a JSON list; empty: none (any in dev mode)."
    )
    fhir_allow_private: bool = Field(
        False, description="Allow FHIR servers on loopback, private or link-local addresses (e.g. an internal EHR)."
    )
    fhir_connect_timeout: float = Field(2.0, gt=0, description="Seconds to connect to the EHR's FHIR server.")
    fhir_read_timeout: float = Field(3.0, gt=0, description="Seconds to wait for one FHIR response.")
    fhir_total_timeout: float = Field(
        4.0, gt=0, description="Seconds all FHIR reads of one hook call may take together."
    )
    fhir_max_pages: int = Field(5, ge=1, description="Search result pages followed per search (`Bundle.link[next]`).")
    fhir_max_concurrency: int = Field(6, ge=1, description="FHIR requests in flight at once for one hook call.")
    fhir_max_response_bytes: int = Field(
        10_000_000, ge=10_000, description="Largest FHIR answer read (bytes), enforced while reading; a larger one is reported as not checked.",
    )
    fhir_page_count: int = Field(
        200, ge=1, le=1000, description="Results per page asked of FHIR searches (`_count`); a server may give fewer.",
    )
    fhir_history_months: int = Field(
        24, ge=0, description="Medication history asked of FHIR servers: the last this many months (a still-running period counts), newest first where the server can sort; 0: all of it.",
    )

    cache_ttl_seconds: float = Field(
        300.0, ge=0, description="How long a FHIR response is reused for the same server, patient and token."
    )
    cache_max_megabytes: float = Field(
        16.0, ge=0, description="Memory for cached FHIR responses (kept as the raw JSON received), in MB; 0 turns caching off. "
        "16 MB holds the reads of a few hundred recent calls.",
    )
    max_concurrent_requests: int = Field(
        64, ge=1, description="Requests and connections the server handles at once; beyond that it answers 503 at once, "
        "so an overload fails fast (the EHR shows the chart without advice) instead of queueing without bound.",
    )
    max_body_bytes: int = Field(10_000_000, ge=1024, description="Largest request body accepted (bytes); larger gets 413.")
    max_resources: int = Field(
        5000, ge=1, description="Resources read per prefetch key or search; the rest is left out and reported."
    )

    equivalence_table: str = Field(
        "ashton", description="Diazepam-equivalence table used for doses (see service/knowledge/data/equivalence_tables.yaml)."
    )
    exposure_gap_days: int = Field(
        14, ge=0, description="Days without supply that still count as continuous use when merging the history."
    )
    rules_dir: Path = Field(PROJECT_ROOT / "rules", description="Directory of the clinical rules (YAML).")
    rules_overrides_file: Path | None = Field(
        None, description="YAML file that enables/disables rules and overrides their parameters for this deployment."
    )
    rules_reload: bool = Field(True, description="Watch the rules directory and reload a valid new set without a restart.")
    language: str = Field("en", description="Language of card texts: en, nl or fr (a request may ask for another).")
    trusted_issuers: list[TrustedIssuer] = Field(
        [], description="CDS clients allowed to call, as a JSON list of {iss, jwks_url | jwks_file, jku_prefixes}."
    )
    jwt_leeway_seconds: float = Field(30, ge=0, le=300, description="Clock skew tolerated on exp and iat.")
    public_base_url: str | None = Field(
        None, description="The URL EHRs and browsers use to reach this service, for links in cards (default: taken from each request)."
    )
    taper_pace: str = Field("standard", description="Default pace of suggested taper plans: standard or slow.")
    market: str | None = Field(
        None, description="Country whose marketed tablet strengths taper plans use (e.g. NL, BE, US); default: any."
    )
    referral_code: Coding = Field(
        Coding(system="http://snomed.info/sct", code="3457005", display="Patient referral"),
        description="Code of the referral ServiceRequest (a JSON object: system, code, display).",
    )
    referral_text: str = Field(
        "Referral to specialised care for support with stopping a benzodiazepine or Z-drug",
        description="Text of the referral ServiceRequest's code.",
    )
    referral_performer: str | None = Field(
        None, description="Who receives referrals: a FHIR reference (Organization/123) or a name."
    )
    help_links: list[HelpLink] = Field(
        [], description="Local help for patients and prescribers (helpline, peer support), as a JSON list of {label, url}."
    )
    data_dir: Path = Field(PROJECT_ROOT / "var", description="Where the embedded database, the spool and the generated audit secret live.")
    database_url: str | None = Field(
        None,
        description="Audit and feedback database (sqlite+aiosqlite:///path or postgresql+asyncpg://…); default: SQLite in data_dir.",
    )
    audit_journal: bool = Field(
        True, description="Write each audit record to a local journal (fsynced every few ms) before the answer goes out, so a crash loses no record of an answered call.",
    )
    audit_secret: str | None = Field(
        None, description="Key of the patient hash in the audit trail, the same on every replica (at least 16 characters); required outside development mode, where it is generated once in data_dir.",
    )
    replay_store: Literal["database", "redis", "local"] = Field(
        "database", description="Where used token ids (jti) are shared by every process and replica: the store's database, Redis (BZRA_REDIS_URL), or local (this process only).",
    )
    replay_fallback: Literal["local", "refuse"] = Field(
        "local", description="While the shared store of used token ids is down: check against this process's memory only (local), or refuse every call (refuse).",
    )
    redis_url: str | None = Field(None, description="Redis for BZRA_REPLAY_STORE=redis, e.g. redis://redis:6379/0.")
    redis_key_prefix: str = Field(
        "bzra-cds:", min_length=1, description="Start of every Redis key the service writes (to share a Redis with others).",
    )
    shutdown_timeout_seconds: float = Field(
        20.0, gt=0, description="Longest clean shutdown: two thirds for open requests, the rest to write out the audit queue (the rest is spooled). Keep it below the pod's grace period (Kubernetes: 30 s).",
    )
    suppression_days: int = Field(
        90, ge=0, description="Days a rule stays silent for a patient after an override with a suppressing reason (CDC opioid CDS: snooze 3 months)."
    )
    suppression_cache_seconds: float = Field(
        10, ge=0, description="How long a patient's remembered suppressions stay fresh; then the next call refreshes them in the background. With PostgreSQL every replica hears of a change at once; without (SQLite, or while its listening connection is down) other processes see it after this time."
    )
    admin_token: str | None = Field(None, description="Bearer token for /admin endpoints; unset: they are disabled.")
    knowledge_dir: Path | None = Field(
        None, description="Directory of extra knowledge files (drugs, codes, classes) merged over the shipped ones."
    )
    demo: bool = Field(
        False, description="Serve the demo page (`/`) and synthetic demo patients; implies insecure_dev. For trials only."
    )
    smart_client_id: str | None = Field(
        None, description="OAuth client id of the taper planner (`/planner`) as a SMART app registered with the EHR; unset: it cannot write plans to the EHR."
    )

    @model_validator(mode="after")
    def _demo_is_development_mode(self) -> Settings:
        """The demo page calls the hooks without a JWT, so demo mode implies development mode."""
        if self.demo:
            self.insecure_dev = True
        return self

    @model_validator(mode="after")
    def _redis_needs_its_url(self) -> Settings:
        if self.replay_store == "redis" and not self.redis_url:
            raise ValueError("BZRA_REPLAY_STORE=redis needs BZRA_REDIS_URL")
        return self

    @field_validator("audit_secret")
    @classmethod
    def _usable_audit_secret(cls, value: str | None) -> str | None:
        """An empty, short or published secret would let anyone recompute patient hashes."""
        if value is None:
            return None
        if value.strip() == AUDIT_SECRET_PLACEHOLDER:
            raise ValueError("the example placeholder is public: set a long random value (e.g. `openssl rand -hex 32`)")
        if len(value.strip()) < AUDIT_SECRET_MIN_LENGTH:
            raise ValueError(f"must be at least {AUDIT_SECRET_MIN_LENGTH} characters (e.g. `openssl rand -hex 32`)")
        return value.strip()

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value not in ("json", "text"):
            raise ValueError("log_format must be 'json' or 'text'")
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("en", "nl", "fr"):
            raise ValueError("language must be en, nl or fr")
        return value

    @field_validator("taper_pace")
    @classmethod
    def _known_pace(cls, value: str) -> str:
        if value not in ("standard", "slow"):
            raise ValueError("taper_pace must be standard or slow")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        settings_file = os.environ.get("BZRA_SETTINGS_FILE")
        if settings_file:
            if not Path(settings_file).is_file():
                raise FileNotFoundError(f"BZRA_SETTINGS_FILE: no such file: {settings_file}")
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=settings_file))
        return tuple(sources)


def database_url(settings: Settings) -> str:
    return settings.database_url or f"sqlite+aiosqlite:///{settings.data_dir / 'bzra.db'}"


def describe_settings() -> list[dict[str, Any]]:
    """Name, environment variable, default and meaning of every setting (for the README and `--help`)."""
    rows = []
    for name, field in Settings.model_fields.items():
        rows.append(
            {
                "name": name,
                "env": f"BZRA_{name.upper()}",
                "default": field.default,
                "description": field.description or "",
            }
        )
    return rows
