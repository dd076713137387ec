"""Keep personal data and secrets out of every log line (PIPL; issue 8 item 4).

Two layers, both installed by `install()` (called from `create_app` and gunicorn.conf.py):

* `RedactingFormatter` wraps the formatter of every handler of the root, app, werkzeug,
  gunicorn and SQLAlchemy loggers and redacts the *formatted* line, exception text and
  traceback included, so nothing that reaches those handlers escapes, whichever logger
  emitted it.
* `RedactingFilter` sits on the loggers our code and servers log to and rewrites the record
  itself (message and exception text) before any handler sees it, so handlers added later
  (pytest's caplog, a handler an operator adds) get the redacted record too.

`redact(text)` is the single place that knows what is secret: phone numbers (11-digit CN
mobiles, with or without +86, with spaces or dashes, inside longer text), ID numbers, password
hashes (argon2, werkzeug scrypt/pbkdf2, bcrypt), bearer and basic credentials, session and
remember-me cookies, signed itsdangerous/JWT values and `password=` / `token:` style pairs.
`find_secrets(text)` reports what `redact` would have changed; `python -m marketplace.logredact
FILE...` scans log files with it and exits 1 when any secret is found (CI runs it on server logs).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from marketplace.privacy import ID_NUMBER_RE, mask_id_number, mask_phone

MASK = "[REDACTED]"

# A mainland mobile number anywhere in text: optional +86 / 0086 / 86, optional single space or
# dash between the 3-4-4 groups, not part of a longer run of digits. `\d` on purpose matches
# look-alike digits (full-width, Arabic-Indic) too: in logs, over-masking is the safe side.
PHONE_RE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
_VALUE = r"[^\s'\"\],);}&]+"  # a value runs until whitespace, a quote or a delimiter
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("argon2 hash", re.compile(r"\$argon2(?:id|i|d)\$[A-Za-z0-9+/=$,.-]+"), "$argon2id$" + MASK),
    ("password hash", re.compile(r"\b(?:scrypt|pbkdf2):[\w:]+\$" + _VALUE), MASK),
    ("bcrypt hash", re.compile(r"\$2[abyx]?\$\d\d\$[./A-Za-z0-9]{50,}"), MASK),
    ("bearer token", re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*"),
     r"\1 " + MASK),
    ("session cookie", re.compile(r"(?i)\b(session|remember_token)=[^;\s'\",&]+"),
     r"\1=" + MASK),
    ("signed value", re.compile(r"(?<![\w.-])\.?ey?J[\w-]{8,}(?:\.[\w-]{4,}){2}"), MASK),
    ("credential", re.compile(
        r"(?i)([\"']?\b\w*(?:password|passwd|token|secret|api_key)\w*[\"']?\s*[:=]\s*[\"']?)"
        r"(?![^\s'\"]*\[REDACTED\])" + _VALUE), r"\1" + MASK),
)


def _mask_phone_match(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return mask_phone(digits[-11:])


def redact(text: str) -> str:
    """`text` with every secret masked and every phone and ID number shortened to its ends."""
    for _kind, pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    text = ID_NUMBER_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return PHONE_RE.sub(_mask_phone_match, text)


@dataclass(frozen=True)
class Finding:
    """A secret seen in a log: what kind and where (never the secret itself)."""

    kind: str
    line: int

    def __str__(self) -> str:
        return f"line {self.line}: {self.kind}"


def find_secrets(text: str) -> list[Finding]:
    """Every unredacted phone, ID number, hash, token or cookie in `text`, by line."""
    checks = [(kind, pattern) for kind, pattern, _ in SECRET_PATTERNS]
    checks += [("ID number", ID_NUMBER_RE), ("phone number", PHONE_RE)]
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in checks:
            if any(MASK not in m.group(0) for m in pattern.finditer(line)):
                findings.append(Finding(kind, number))
    return findings


def scan_files(paths: Iterable[str | Path]) -> dict[str, list[Finding]]:
    """`find_secrets` over each file; only files with findings are in the result."""
    report = {}
    for path in paths:
        found = find_secrets(Path(path).read_text(encoding="utf-8", errors="replace"))
        if found:
            report[str(path)] = found
    return report


class RedactingFormatter(logging.Formatter):
    """Formats with the handler's own formatter, then redacts the whole output, exception
    text and traceback included."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message and exception text, so every later handler sees them
    redacted (the traceback is rendered once here, the way `logging.Formatter` renders it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


LOGGER_NAMES = ("", "werkzeug", "gunicorn", "gunicorn.error", "gunicorn.access", "sqlalchemy",
                "sqlalchemy.engine", "sqlalchemy.engine.Engine", "sqlalchemy.pool")
_FILTER = RedactingFilter()


def install_on_handler(handler: logging.Handler) -> None:
    """Wrap the handler's formatter in a `RedactingFormatter` (once)."""
    if not isinstance(handler.formatter, RedactingFormatter):
        handler.setFormatter(RedactingFormatter(handler.formatter))


def install(*extra_loggers: logging.Logger) -> None:
    """Redact on every handler of the root, werkzeug, gunicorn and SQLAlchemy loggers and of
    `extra_loggers` (the app's), and filter the records of those loggers themselves."""
    loggers = [logging.getLogger(name) for name in LOGGER_NAMES] + list(extra_loggers)
    for logger in loggers:
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            install_on_handler(handler)
    if logging.lastResort is not None:
        install_on_handler(logging.lastResort)


def main(argv: list[str] | None = None) -> int:
    """`python -m marketplace.logredact FILE...`: exit 1 and list findings when a log holds a
    phone, ID number, hash, token or cookie in clear."""
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m marketplace.logredact LOGFILE...", file=sys.stderr)
        return 2
    report = scan_files(paths)
    for path, findings in report.items():
        for finding in findings:
            print(f"{path}: {finding}")
    if not report:
        print(f"no secrets in {len(paths)} log file(s)")
    return 1 if report else 0


if __name__ == "__main__":
    raise SystemExit(main())
