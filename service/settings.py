"""Deployment settings: `BZRA_*` environment variables, optionally a YAML settings file.

Precedence (highest first): explicit arguments (the CLI), environment variables, the settings file
named by `BZRA_SETTINGS_FILE`, the defaults below. Every default lets the service run embedded,
with nothing to set up. `load_settings` turns every bad value into one line naming its variable.

Closed sets are `Literal` types (the language from `service.language`, the pace from
`service.taper.vocabulary`). Values that travel together are read as one: `fhir_limits` (the
`BZRA_FHIR_*` limits the FHIR client takes) and `database_url_in_use` (the configured URL, else SQLite
in `data_dir`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from service.fhir.limits import FhirLimits
from service.language import Language
from service.settings_sources import (
    EnvironmentSource,
    InvalidSettings,
    SettingProblem,
    problem_lines,
    settings_file_source,
)
from service.taper.vocabulary import Pace

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGED_RULES = Path(__file__).resolve().parent / "shipped_rules"  # written by setup.py's build step
# Published in earlier versions of this project's compose file: a secret everyone knows is no secret.
PUBLIC_PLACEHOLDER_SECRETS = frozenset({"change-me-to-a-long-random-value"})
AUDIT_SECRET_MIN_LENGTH = 16  # shorter is guessable: the hashes could be recomputed from patient ids
DATABASE_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}


def _upper(value: Any) -> Any:
    """`info` and ` nl ` as an operator may write them: INFO, NL."""
    return value.strip().upper() if isinstance(value, str) else value


def _two_letters(code: str) -> str:
    if len(code) != 2 or not code.isalpha():
        raise ValueError("must be a two-letter country code such as BE or NL")
    return code


# Closed sets and shapes, declared as types rather than checked by hand.
LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], BeforeValidator(_upper)]
LogFormat = Literal["json", "text"]  # one JSON object a line, or text
CountryCode = Annotated[str, BeforeValidator(_upper), AfterValidator(_two_letters)]
ReplayStore = Literal["database", "redis", "local"]
ReplayFallback = Literal["local", "refuse"]


def default_rules_dir() -> Path:
    """The rules shipped inside the installed package; in an editable install, the checkout's `rules/`."""
    return PACKAGED_RULES if PACKAGED_RULES.is_dir() else PROJECT_ROOT / "rules"


def default_data_dir() -> Path:
    """`var/` of the checkout when running from one, else `var/` of the working directory (never
    inside site-packages)."""
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / "var"
    return Path.cwd() / "var"


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

    host: str = Field("127.0.0.1", min_length=1, description="Address `bzra-cds serve` listens on (or `--host`).")
    port: int = Field(8080, description="Port `bzra-cds serve` listens on (or `--port`).")
    workers: int = Field(
        1, ge=1, description="Worker processes of `bzra-cds serve` sharing the port (or `--workers`)."
    )
    insecure_dev: bool = Field(
        False, description="Accept hook calls without a JWT. For local trials only; logged loudly."
    )
    log_level: LogLevel = Field("INFO", description="Python log level name.")
    log_format: LogFormat = Field("json", description="`json` (one object a line) or `text`.")
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
    rules_dir: Path = Field(
        default_factory=default_rules_dir,
        description="Directory of the clinical rules (YAML); default: the rules shipped in the package.",
    )
    rules_overrides_file: Path | None = Field(
        None, description="YAML file that enables/disables rules and overrides their parameters for this deployment."
    )
    rules_reload: bool = Field(True, description="Watch the rules directory and reload a valid new set without a restart.")
    language: Language = Field("en", description="Language of card texts: en, nl or fr (a request may ask for another).")
    trusted_issuers: list[TrustedIssuer] = Field(
        [], description="CDS clients allowed to call, as a JSON list of {iss, jwks_url | jwks_file, jku_prefixes}."
    )
    jwt_leeway_seconds: float = Field(30, ge=0, le=300, description="Clock skew tolerated on exp and iat.")
    public_base_url: str | None = Field(
        None, description="The URL EHRs and browsers use to reach this service, for links in cards (default: taken from each request)."
    )
    taper_pace: Pace = Field("standard", description="Default pace of taper plans: standard or slow.")
    taper_protocol: str = Field(
        "deprescribing_org",
        description="Default taper protocol (service/knowledge/data/taper/protocols.yaml): deprescribing_org, cks_ashton, "
        "nhg_lumc, riziv_inami or asam_2025.",
    )
    market: CountryCode = Field(
        "BE", description="Country whose products taper plans and small packs use (a file in service/knowledge/data/markets/: BE, NL, US)."
    )
    referral_code: Coding = Field(
        Coding(system="http://snomed.info/sct", code="3457005", display="Patient referral"),
        description="Code of the referral ServiceRequest (a JSON object: system, code, display).",
    )
    referral_text: str | None = Field(
        None,
        description="Text of the referral ServiceRequest's code, the same in every language; default: the card's "
        "language's words for a referral to specialised care for support with stopping a benzodiazepine or Z-drug.",
    )
    referral_performer: str | None = Field(
        None, description="Who receives referrals: a FHIR reference (Organization/123) or a name."
    )
    help_links: list[HelpLink] = Field(
        [], description="Local help for patients and prescribers (helpline, peer support), as a JSON list of {label, url}."
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the embedded database, the spool and the generated audit secret live.",
    )
    database_url: str | None = Field(
        None,
        description="Audit and feedback database (sqlite+aiosqlite:///path or postgresql+asyncpg://…); default: SQLite in data_dir.",
    )
    migrate_on_start: bool = Field(
        True, description="Bring the database schema up to date at start; false when `bzra-cds migrate` runs first (a Kubernetes init container)."
    )
    shutdown_timeout_seconds: float = Field(
        20.0, gt=0, description="On SIGTERM, how long open requests may finish before the server closes them (keep it below the pod's grace period)."
    )
    audit_journal: bool = Field(
        True, description="Write each audit record to a local journal (fsynced every few ms) before the answer goes out, so a crash loses no record of an answered call.",
    )
    audit_secret: str | None = Field(
        None, description="Key of the patient hash in the audit trail, the same on every replica (at least 16 characters); required outside development mode, where it is generated once in data_dir.",
    )
    replay_store: ReplayStore = Field(
        "database", description="Where used token ids (jti) are shared by every process and replica: the store's database, Redis (BZRA_REDIS_URL), or local (this process only).",
    )
    replay_fallback: ReplayFallback = Field(
        "local", description="While the shared store of used token ids is down: check against this process's memory only (local), or refuse every call (refuse).",
    )
    redis_url: str | None = Field(None, description="Redis for BZRA_REPLAY_STORE=redis, e.g. redis://redis:6379/0.")
    redis_key_prefix: str = Field(
        "bzra-cds:", min_length=1, description="Start of every Redis key the service writes (to share a Redis with others).",
    )
    suppression_days: int = Field(
        90, ge=0, description="Days a rule stays silent for a patient after an override with a suppressing reason (CDC opioid CDS: snooze 3 months)."
    )
    history_cache_resources: int = Field(
        2_000, ge=0, description="History resources kept parsed, with the facts drawn from them, between calls that carry the same history (order-select, then order-sign), keyed by the history's content; 0 turns this off. Each costs about 8 kB, parsed and summarised (measured after the benchmark's select-then-sign traffic: 2,000 held 16 MB of Python objects)."
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

    @field_validator(
        "public_base_url", "market", "referral_performer", "database_url", "audit_secret", "admin_token",
        "smart_client_id", "rules_overrides_file", "knowledge_dir", mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        """`BZRA_ADMIN_TOKEN=` (as compose writes an unset `${VAR:-}`) means unset, not an empty value."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("port", mode="before")
    @classmethod
    def _port_number(cls, value: Any) -> Any:
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or not 0 < int(text) < 65536:
            raise ValueError(f"not a port number: '{text[:20]}'")
        return int(text)

    @property
    def fhir_limits(self) -> FhirLimits:
        """The `fhir_*` limits as the one value the FHIR client and each session take."""
        return FhirLimits(
            connect_timeout=self.fhir_connect_timeout,
            read_timeout=self.fhir_read_timeout,
            total_timeout=self.fhir_total_timeout,
            max_pages=self.fhir_max_pages,
            max_concurrency=self.fhir_max_concurrency,
            max_response_bytes=self.fhir_max_response_bytes,
            page_count=self.fhir_page_count,
        )

    @property
    def database_url_in_use(self) -> str:
        """`database_url` when set, else the embedded SQLite database in `data_dir`."""
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'bzra.db'}"

    @field_validator("audit_secret")
    @classmethod
    def _not_a_public_placeholder(cls, value: str | None) -> str | None:
        if value is not None and value.strip() in PUBLIC_PLACEHOLDER_SECRETS:
            raise ValueError("is the public placeholder from an example file; set a long random value (openssl rand -hex 32)")
        if value is not None and len(value.strip()) < AUDIT_SECRET_MIN_LENGTH:
            raise ValueError(f"must be at least {AUDIT_SECRET_MIN_LENGTH} characters (openssl rand -hex 32)")
        return value

    @field_validator("fhir_server_allowlist")
    @classmethod
    def _allowlist_urls(cls, value: list[str]) -> list[str]:
        from service.security.fhir_servers import ServerPrefix

        for index, url in enumerate(value):
            try:
                ServerPrefix.parse(url)
            except ValueError:
                raise ValueError(f"entry {index} is not an http(s) URL with a host") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        if value is None:
            return value
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("not a database URL; expected sqlite+aiosqlite:///path or postgresql+asyncpg://user:password@host/db") from None
        driver = DATABASE_DRIVERS.get(url.get_backend_name())
        if driver is None or url.get_driver_name() != driver:
            raise ValueError("supported: sqlite+aiosqlite:///path or postgresql+asyncpg://user:password@host/db") from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, EnvironmentSource(settings_cls)]
        settings_file = os.environ.get("BZRA_SETTINGS_FILE")
        if settings_file:
            sources.append(settings_file_source(settings_cls, settings_file))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """The settings, or `InvalidSettings` with one line per bad setting (never a traceback)."""
    try:
        return Settings(**{name: value for name, value in overrides.items() if value is not None})
    except ValidationError as error:
        raise InvalidSettings(problem_lines(error)) from None
    except SettingProblem as error:
        raise InvalidSettings([str(error)]) from None


def path_problems(settings: Settings, *, serving: bool) -> list[str]:
    """What the file system says about the path settings, checked at start rather than failing later."""
    problems = []
    try:
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        if not os.access(settings.data_dir, os.W_OK):
            problems.append(f"BZRA_DATA_DIR: not writable: {settings.data_dir}")
    except OSError as error:
        problems.append(f"BZRA_DATA_DIR: cannot create {settings.data_dir}: {error.strerror}")
    if not serving:
        return problems
    if not Path(settings.rules_dir).is_dir():
        problems.append(f"BZRA_RULES_DIR: no such directory: {settings.rules_dir}")
    if settings.rules_overrides_file and not Path(settings.rules_overrides_file).is_file():
        problems.append(f"BZRA_RULES_OVERRIDES_FILE: no such file: {settings.rules_overrides_file}")
    if settings.knowledge_dir and not Path(settings.knowledge_dir).is_dir():
        problems.append(f"BZRA_KNOWLEDGE_DIR: no such directory: {settings.knowledge_dir}")
    for index, issuer in enumerate(settings.trusted_issuers):
        if issuer.jwks_file and not Path(issuer.jwks_file).is_file():
            problems.append(f"BZRA_TRUSTED_ISSUERS: [{index}].jwks_file: no such file: {issuer.jwks_file}")
    return problems
