"""Configuration: safe defaults for development, every setting overridable from the environment."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"


class ConfigError(RuntimeError):
    """Raised when the app is asked to start with settings unsafe for production."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the config mapping from defaults, environment variables and explicit overrides."""
    env = os.environ
    sqlite_path = Path(instance_path) / "marketplace.sqlite3"
    config: dict = {
        "ENV_NAME": env.get("MARKETPLACE_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            env.get("DATABASE_URL", f"sqlite:///{sqlite_path}")
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "REDIS_URL": env.get("REDIS_URL", ""),
        "RATELIMIT_STORAGE_URI": (env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL")
                                  or "memory://"),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        # Redis unreachable: count in this process's memory (and log it) rather than refuse
        # every sign-in; give up on a dead Redis quickly.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        # failed password checks per account, summed over every sign-in route
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "20 per hour"),
        "LOGIN_IP_RATE_LIMIT": env.get("LOGIN_IP_RATE_LIMIT", "200 per hour"),
        # registration attempts (web and API together) per phone number and per address
        "REGISTER_RATE_LIMIT": env.get("REGISTER_RATE_LIMIT", "10 per hour"),
        "REGISTER_IP_RATE_LIMIT": env.get("REGISTER_IP_RATE_LIMIT", "30 per hour"),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "PROXY_FIX_HOPS": int(env.get("PROXY_FIX_HOPS", "0")),
        # Strict-Transport-Security max-age sent on every response in production.
        "HSTS_MAX_AGE": int(env.get("HSTS_MAX_AGE", str(365 * 24 * 3600))),
        # A dropped database connection answers 503 with this Retry-After (GET/HEAD are
        # retried once first, see marketplace/dbfaults.py).
        "DB_RETRY_AFTER_SECONDS": int(env.get("DB_RETRY_AFTER_SECONDS", "5")),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh_CN", "en"],
        # Shandong 2025 first-tier hourly minimum for part-time work: 22.0 yuan.
        "MIN_HOURLY_WAGE_FEN": int(env.get("MIN_HOURLY_WAGE_FEN", "2200")),
        "API_TOKEN_TTL_DAYS": int(env.get("API_TOKEN_TTL_DAYS", "30")),
        "LATE_CANCEL_HOURS": int(env.get("LATE_CANCEL_HOURS", "24")),
        "CHECK_IN_EARLY_MINUTES": int(env.get("CHECK_IN_EARLY_MINUTES", "120")),
        # Largest request body accepted (bytes); a larger one answers 413.
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(1024 * 1024))),
        # Complaints one firm or worker may file about agencies in 24 hours (then 429).
        "COMPLAINTS_PER_DAY": int(env.get("COMPLAINTS_PER_DAY", "5")),
        "PER_PAGE_DEFAULT": 20,
        "PER_PAGE_MAX": 100,
        "MODEL_DIR": env.get("MODEL_DIR", str(Path(instance_path) / "models")),
        "PII_HMAC_KEY": env.get("PII_HMAC_KEY", ""),
        # Share of the first feed page given to exploration (logged as source "explore").
        "FEED_EXPLORATION_SHARE": float(env.get("FEED_EXPLORATION_SHARE", "0.1")),
        # How long a worker's ranked feed is reused (0 = never); it is recomputed at once when
        # the worker's applications, profile, availability or the promoted model change.
        "FEED_CACHE_SECONDS": int(env.get("FEED_CACHE_SECONDS", "60")),
        # The public list of open shifts is the same for everyone: serve it from a cache
        # for a few seconds (a new shift shows within that time).
        "PUBLIC_LIST_CACHE_SECONDS": int(env.get("PUBLIC_LIST_CACHE_SECONDS", "5")),
        # How long a process reuses the firms' history counts behind the model's features.
        "FIRM_STATS_TTL_SECONDS": int(env.get("FIRM_STATS_TTL_SECONDS", "300")),
        # how long each process keeps the shift facts scores are computed from
        "SHIFT_STORE_SECONDS": int(env.get("SHIFT_STORE_SECONDS", "300")),
    }
    if overrides:
        config.update(overrides)
        if "REMEMBER_COOKIE_SECURE" not in overrides:  # the remember-me cookie follows
            config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    # Bound parameters (phone numbers, password hashes) never go into exception text or echo
    # logs, in every environment: tests run what production runs, and development databases
    # often hold copies of real data. The SQL itself is still shown.
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"hide_parameters": True,
                                           **config["SQLALCHEMY_ENGINE_OPTIONS"]}
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"timeout": 30, "check_same_thread": False},
            **config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    else:
        # pre-ping: a pooled connection the server dropped (restart, idle kill) is replaced
        # at checkout instead of failing the request that drew it.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            "pool_size": 10,
            "max_overflow": 20,
            **config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    if not config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        config["RATELIMIT_STORAGE_OPTIONS"] = {}
    if not config["PII_HMAC_KEY"]:
        config["PII_HMAC_KEY"] = config["SECRET_KEY"]
    if config["ENV_NAME"] == "production":
        refuse_weak_production_settings(config)
    return config


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and route them to psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def refuse_weak_production_settings(config: dict) -> None:
    secret = config["SECRET_KEY"]
    if secret == DEFAULT_SECRET_KEY or len(secret) < 32:
        raise ConfigError("SECRET_KEY must be set to a random value of at least 32 characters")
    if config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        raise ConfigError("production needs REDIS_URL so rate limits hold across processes")
    if not (config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]):
        raise ConfigError("production needs SESSION_COOKIE_SECURE=1: session and remember-me "
                          "cookies are sent over HTTPS only")
    if not config["SQLALCHEMY_ENGINE_OPTIONS"].get("hide_parameters"):
        raise ConfigError("production keeps hide_parameters on: SQL parameters hold personal data")
