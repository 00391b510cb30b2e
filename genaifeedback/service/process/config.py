"""The service's configuration: one typed object, read from flags, then environment, then defaults.

Every field is a flag (`--listen-address`) and an environment variable
(`FEEDBACK_SERVICE_LISTEN_ADDRESS`); flags win.
"""

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, CliExplicitFlag, SettingsConfigDict

from genaifeedback.service.domain import rate_limits

ENV_PREFIX = "FEEDBACK_SERVICE_"
JwtAlgorithm = Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        cli_prog_name="feedback-service",
        cli_kebab_case=True,
        cli_implicit_flags=True,
        cli_hide_none_type=True,
        frozen=True,
    )

    # --- the gRPC server
    listen_address: str = Field("127.0.0.1:50051", description="host:port the gRPC server listens on")
    shutdown_grace_seconds: float = Field(
        10.0, gt=0, description="on SIGTERM/Ctrl-C, how long open calls may run on before they are cancelled"
    )
    shutdown_pause_seconds: float = Field(
        1.0, ge=0, description="on SIGTERM, how long health says NOT_SERVING before the server stops taking calls"
    )
    metrics_address: str = Field(
        "", description="host:port to serve Prometheus /metrics on (empty: off); worker i serves on port + i"
    )
    health_address: str = Field(
        "",
        description="host:port of a plaintext server answering grpc.health.v1 only, for probes that cannot "
        "present a client certificate (the kubelet's gRPC probe); empty: off",
    )
    # --- transport security: TLS when a certificate is given, mutual TLS when a client CA is given too
    tls_cert_file: Path | None = Field(
        None, description="PEM certificate chain to serve TLS with (leaf first); re-read for new connections on change"
    )
    tls_key_file: Path | None = Field(None, description="PEM private key of --tls-cert-file (unencrypted)")
    tls_client_ca_file: Path | None = Field(
        None, description="PEM CA certificates: clients must present a certificate signed by one (mutual TLS)"
    )
    # --- who is calling (docs/security.md): one identity mode, and a policy granting scopes
    identity_mode: Literal["none", "mtls", "mesh-xfcc", "mesh-linkerd", "jwt"] = Field(
        "none",
        description="how callers are identified: none, mtls (client certificate), mesh-xfcc (the last "
        "x-forwarded-client-cert element), mesh-linkerd (l5d-client-id) or jwt (bearer token)",
    )
    allow_unauthenticated_network: bool = Field(
        False, description="let --identity-mode none serve on a non-loopback address (anyone reaching it may call)"
    )
    policy_file: Path | None = Field(
        None, description="TOML file granting scopes to principals; once given, what it does not grant is refused"
    )
    jwt_jwks_file: Path | None = Field(
        None, description="--identity-mode jwt: JWKS file of the token issuer's public keys (re-read on change)"
    )
    jwt_issuer: str = Field("", description="--identity-mode jwt: the required `iss`")
    jwt_audience: str = Field("", description="--identity-mode jwt: the required `aud`")
    jwt_algorithms: list[JwtAlgorithm] = Field(
        ["RS256", "ES256"], min_length=1, description="--identity-mode jwt: the signature algorithms accepted"
    )
    jwt_leeway_seconds: float = Field(
        30.0, ge=0, le=300, description="--identity-mode jwt: clock difference tolerated on exp and nbf"
    )
    reflection: CliExplicitFlag[bool] = Field(True, description="serve gRPC server reflection (--reflection false)")
    # --- transport limits (per connection; gRPC itself refuses what exceeds them)
    max_receive_message_bytes: int = Field(
        4 * 1024 * 1024,
        gt=0,
        description="largest request message accepted (RESOURCE_EXHAUSTED beyond, with ErrorInfo "
        "REQUEST_TOO_LARGE up to a quarter over)",
    )
    max_send_message_bytes: int = Field(16 * 1024 * 1024, gt=0, description="largest reply message sent")
    max_concurrent_streams: int = Field(
        1000, gt=0, description="calls open at once on one connection (a client queues further calls)"
    )
    # --- rate limits (docs/security.md): none by default; counted per replica unless stored in Redis
    rate_limit_per_principal: str = Field(
        "",
        description="calls each principal may make per window under each scope, e.g. 100/minute (the policy file may "
        "set its own per principal and scope); empty: no limit",
    )
    rate_limit_per_token_user: str = Field(
        "", description="feedback writes per window by each feedback token user, e.g. 10/minute; empty: no limit"
    )
    rate_limit_per_trace: str = Field(
        "", description="feedback writes per window on each trace (Submit*, Correct), e.g. 30/minute; empty: no limit"
    )
    max_open_streams_per_principal: int = Field(
        0, ge=0, description="Chat and WatchFeedback streams one principal may hold open on a replica (0: no cap)"
    )
    rate_limit_storage_uri: str = Field(
        "memory://",
        description="where rate limit counts live: memory:// (each replica counts its own calls) or redis://host:port "
        "(rediss://, redis+unix://) shared by the replicas, for exact cluster-wide limits",
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="server processes sharing the listen address (SO_REUSEPORT), each with its own exporter and "
        "journal (worker 0 in --data-dir, worker i in --data-dir/worker-i); one per core is the most that pays",
    )

    # --- the journal: what MLflow has not confirmed yet, on this replica's disk or shared in PostgreSQL
    data_dir: Path = Field(
        Path(".genaifeedback-data"), description="this replica's folder (its journal); one live replica per folder"
    )
    journal_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL", description="SQLite synchronous mode: NORMAL survives a killed process, FULL also a power loss"
    )
    journal_url: str = Field(
        "",
        description="a PostgreSQL database every replica shares as its journal (postgresql://user:password@host/db); "
        "empty: SQLite in --data-dir, this replica's own",
    )
    journal_lease_seconds: float = Field(
        30.0,
        ge=1,
        description="shared journal: how long a replica's hold on a pending entry outlives its last renewal; "
        "a dead replica's work is taken over by the others after at most this long",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = Field(
        "text", description="text lines, or json: one object per line for every record, and an access line per call"
    )

    # --- MLflow
    mlflow_tracking_uri: str = Field("http://127.0.0.1:5000", description="the MLflow tracking server (http/https)")
    experiment_name: str = Field("genai-chat-feedback", description="MLflow experiment that receives the traces")
    mlflow_request_timeout_seconds: int = Field(10, gt=0, description="timeout of one MLflow REST call")
    mlflow_max_concurrent_calls: int = Field(
        64, gt=0, description="MLflow REST calls in flight at once (threads and pooled connections)"
    )
    mlflow_startup_timeout_seconds: float = Field(60.0, gt=0, description="how long to wait for MLflow at start-up")
    trace_export_batch_size: int = Field(200, gt=0, le=1000, description="most traces sent in one OTLP request")
    trace_export_batch_max_bytes: int = Field(
        4 * 1024 * 1024, gt=0, description="most bytes of spans sent in one OTLP request"
    )
    trace_export_max_pending: int = Field(
        20000, gt=0, description="traces waiting for export before new chats are refused (UNAVAILABLE)"
    )
    feedback_attach_window_seconds: float = Field(
        600.0, gt=0, description="how long journaled feedback waits for its trace to appear in MLflow before EXPIRED"
    )
    max_wait_until_stored_seconds: float = Field(
        20.0,
        gt=0,
        description="wait_until_stored without a deadline waits at most this long for MLflow, then answers PENDING"
        " (below the shipped service config's 30 s, which gRPC Python does not send to the server)",
    )
    feedback_schemas_file: Path | None = Field(
        None, description="TOML file of feedback schemas (see the README); default: the built-in schemas only"
    )
    feedback_status_retention_hours: float = Field(
        24.0, gt=0, description="how long GetFeedbackStatus remembers settled feedback"
    )
    max_chat_seconds: float = Field(600.0, gt=0, description="a chat generating for longer is stopped")
    # --- feedback tokens (docs/security.md): signed, expiring, bound to one answer and its end user
    feedback_token_keys_file: Path | None = Field(
        None,
        description="TOML or JSON file of the keys feedback tokens are signed with ([[keys]] id, secret, not_after;"
        " the first signs, all verify), shared by the replicas and re-read on change; unset: no tokens issued, and"
        " token-bearing feedback refused (FEEDBACK_TOKEN_INVALID)",
    )
    feedback_token_ttl_seconds: float = Field(
        24 * 3600.0, gt=0, le=30 * 24 * 3600, description="how long a feedback token is accepted after it is issued"
    )
    feedback_token_names: list[str] = Field(
        default_factory=list,
        description="feedback names a token allows by default (empty: every name with a schema, built-ins included)",
    )
    analytics_timeout_seconds: float = Field(
        120.0, gt=0, description="timeout of one MLflow aggregation query (QueryTraceMetrics) of the analytics"
    )
    watch_poll_seconds: float = Field(
        2.0, gt=0, description="WatchFeedback: how often each open watch asks MLflow for new feedback"
    )

    # --- the embedded MLflow server (`make run`, `make run-postgres`)
    embedded_mlflow: bool = Field(
        False, description="also start a local `mlflow server` (SQLite) at --mlflow-tracking-uri, and stop it on exit"
    )
    embedded_mlflow_command: str = Field("mlflow", description="the `mlflow` executable (full mlflow package)")
    embedded_mlflow_data_dir: Path = Field(Path(".mlflow-data"), description="where the embedded server keeps data")
    embedded_mlflow_workers: int = Field(
        1, ge=1, le=64, description="the embedded server's worker processes (1 suits SQLite; 2+ need PostgreSQL)"
    )
    embedded_mlflow_backend_store_uri: str = Field(
        "",
        description="the embedded server's store, e.g. postgresql+psycopg://user:password@host:5432/db "
        "(empty: SQLite in --embedded-mlflow-data-dir)",
    )
    embedded_postgres: bool = Field(
        False,
        description="store the embedded server's data in a throwaway PostgreSQL started beside it "
        "(the embedded-postgres package in its environment), deleted on exit",
    )

    # --- where tokens come from
    generator: Literal["demo", "openai", "callable"] = Field("demo", description="the token source")
    demo_token_delay_ms: float = Field(25.0, ge=0, description="demo model: pause between tokens")
    demo_response_tokens: int = Field(64, gt=0, le=8192, description="demo model: length of an answer in tokens")
    max_tokens_limit: int = Field(8192, gt=0, description="cap on any request's max_tokens")
    openai_base_url: str = Field(
        "http://127.0.0.1:8000/v1", description="OpenAI-compatible endpoint (vLLM, Ollama, OpenAI, LiteLLM)"
    )
    openai_model: str = Field("", description="model name sent to the OpenAI-compatible endpoint")
    openai_api_key: SecretStr = Field(SecretStr("unused"), description="API key for the OpenAI-compatible endpoint")
    openai_timeout_seconds: float = Field(60.0, gt=0, description="connect/read timeout of the OpenAI endpoint")
    callable: str = Field("", description="`module:function` yielding text chunks, for --generator callable")

    @field_validator("rate_limit_per_principal", "rate_limit_per_token_user", "rate_limit_per_trace")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        if value:
            rate_limits.parse_limit(value)
        return value

    @field_validator("rate_limit_storage_uri")
    @classmethod
    def _check_storage_uri(cls, value: str) -> str:
        return rate_limits.check_storage_uri(value)

    @model_validator(mode="after")
    def _check_consistency(self) -> "Settings":
        if urlsplit(self.mlflow_tracking_uri).scheme not in ("http", "https"):
            raise ValueError("mlflow_tracking_uri must be an http(s) URL of an MLflow tracking server")
        if self.journal_url and urlsplit(self.journal_url).scheme not in (
            "postgresql",
            "postgres",
            "postgresql+psycopg",
        ):
            raise ValueError("journal_url must be a postgresql:// URL (empty: the SQLite journal in --data-dir)")
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("--tls-cert-file and --tls-key-file go together")
        if self.tls_client_ca_file is not None and self.tls_cert_file is None:
            raise ValueError("--tls-client-ca-file (mutual TLS) needs --tls-cert-file and --tls-key-file")
        if self.embedded_postgres and self.embedded_mlflow_backend_store_uri:
            raise ValueError("--embedded-postgres starts its own store: drop --embedded-mlflow-backend-store-uri")
        if (self.embedded_postgres or self.embedded_mlflow_backend_store_uri) and not self.embedded_mlflow:
            raise ValueError("--embedded-postgres and --embedded-mlflow-backend-store-uri need --embedded-mlflow")
        if self.identity_mode == "mtls" and self.tls_client_ca_file is None:
            raise ValueError("--identity-mode mtls needs --tls-client-ca-file (client certificates)")
        if self.identity_mode == "jwt" and not (self.jwt_jwks_file and self.jwt_issuer and self.jwt_audience):
            raise ValueError("--identity-mode jwt needs --jwt-jwks-file, --jwt-issuer and --jwt-audience")
        if self.generator == "openai" and not self.openai_model:
            raise ValueError("--generator openai needs --openai-model")
        if self.generator == "callable" and ":" not in self.callable:
            raise ValueError("--generator callable needs --callable module:function")
        return self

    @classmethod
    def from_command_line(cls, argv: list[str] | None = None) -> "Settings":
        """Flags (argv, default sys.argv[1:]) over environment over defaults."""
        return cls(_cli_parse_args=argv if argv is not None else True)
