"""TOML configuration → validated pydantic models. Unknown keys are refused.

Every error names the file, the key and, where it can be found, the line, so that the person who
wrote the file can fix it without reading a traceback. Secrets are never read from this file.
"""

from __future__ import annotations

import re
import string
import tomllib
import zoneinfo
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from connector.adapters.bank.csvfile import CsvMapping
from connector.adapters.base import SourceConfig, adapter_class
from connector.clock import DEFAULT_TIMEZONE
from connector.errors import ConfigError
from connector.rules.penalties import PenaltyTerms, tables_for
from connector.rules.policy import CustomerOverride, Policy, default_policy
from connector.rules.segments import Rulebook


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


PAYMENT_LINK_FIELDS = frozenset({"number", "amount", "currency", "customer"})


class SenderConfig(_Section):
    """Who writes: the identity French law requires on business letters (C. com. R123-237:
    SIREN, RCS city, legal form, address), how to pay, and who signs the formal notice."""

    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    reply_to: str | None = None
    legal_name: str | None = None
    legal_form: str | None = None
    """"SAS au capital de 10 000 €", "SARL", "EI"."""
    address: str | None = None
    """Postal address, lines separated by "\\n"."""
    siren: str | None = None
    siret: str | None = None
    rcs_city: str | None = None
    """The registry (greffe) city: "RCS Lyon"."""
    signatory_name: str | None = None
    signatory_title: str | None = None
    phone: str | None = None
    iban: str | None = None
    bic: str | None = None
    payment_link: str | None = None
    """A link, or a per-invoice template: "https://pay.example/{number}?amount={amount}"."""
    bcc: str | None = None

    @field_validator("siren", "siret")
    @classmethod
    def _company_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        from stdnum.fr import siren, siret  # python-stdnum: Luhn check of French numbers
        name = str(info.field_name)
        module = siren if name == "siren" else siret
        compact = str(module.compact(value))
        if not module.is_valid(compact):
            raise ValueError(f"{value!r} is not a valid {name.upper()} "
                             f"({9 if name == 'siren' else 14} digits, checksum)")
        return compact

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from schwifty import IBAN
        from schwifty.exceptions import SchwiftyException
        try:
            return IBAN(value).formatted
        except SchwiftyException as exc:
            raise ValueError(f"not a valid IBAN: {exc}") from None

    @field_validator("bic")
    @classmethod
    def _bic(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from schwifty import BIC
        from schwifty.exceptions import SchwiftyException
        try:
            return str(BIC(value))
        except SchwiftyException as exc:
            raise ValueError(f"not a valid BIC: {exc}") from None

    @field_validator("payment_link")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https://[^\s]+$", value):
            raise ValueError("the payment link must be an https:// address")
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name}
        except ValueError as exc:
            raise ValueError(f"cannot read the link template: {exc}") from None
        unknown = names - PAYMENT_LINK_FIELDS
        if unknown:
            raise ValueError(f"unknown placeholder(s) {', '.join(sorted(unknown))} (known: "
                             f"{', '.join(sorted(PAYMENT_LINK_FIELDS))})")
        return value

    def missing_for_letters(self) -> list[str]:
        """What a formal notice cannot go without (C. com. R123-237 and a signature)."""
        missing = [key for key in ("address", "rcs_city", "legal_form", "signatory_name",
                                   "signatory_title") if not getattr(self, key)]
        if not (self.siren or self.siret):
            missing.insert(1, "siren")
        return missing


class EmailConfig(_Section):
    transport: Literal["smtp", "file"] = "file"
    directory: str = "outbox"
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    secret_env: str | None = None
    timeout: float = Field(default=30.0, gt=0)
    ca_file: str | None = None
    """A PEM bundle to trust instead of the system's (an internal relay with a private CA)."""
    allow_plaintext_auth: bool = False
    """Log in over `security = "none"` (the password crosses the network in clear): refused
    unless set, e.g. for a relay on localhost."""

    def model_post_init(self, _context: Any) -> None:
        if self.transport == "smtp" and not self.host:
            raise ValueError("host is required when transport = \"smtp\"")
        if self.transport == "smtp" and self.username and self.security == "none" \
                and not self.allow_plaintext_auth:
            raise ValueError("the SMTP password would cross the network in clear text with "
                             "security = \"none\": use starttls or ssl, or set "
                             "allow_plaintext_auth = true (a relay on this machine)")


class LetterConfig(_Section):
    """The formal notice (mise en demeure) written by the `letter` channel."""

    deadline_days: int = Field(default=15, ge=1, le=60)
    """Days to pay, counted from receipt (posting + penalties.notice_delivery_days)."""
    directory: str = "letters"
    court: str | None = None
    """Old single court, used for companies only when `courts` names none."""
    courts: dict[str, str] = Field(default_factory=dict)
    """Competent court per debtor kind, optionally per département: {"company:69" =
    "tribunal de commerce de Lyon", individual = "tribunal judiciaire de Lyon"}. Unmatched:
    "la juridiction compétente" (rules/legal.py)."""


class DeliveryConfig(_Section):
    """When a run stops delivering to a failing destination (the source, the SMTP relay) and
    leaves the rest planned for a later run: so many transient failures in a row, or so much
    time spent in failed attempts (read on the tenant's clock)."""

    max_failures: int = Field(default=3, ge=1, le=1000)
    max_failing_minutes: float = Field(default=5.0, gt=0, le=1440)


class TasksConfig(_Section):
    """Tasks for a person (calls, registered letters): who gets them."""

    owner: str | None = None
    """Default owner of new tasks; `[customers."<id>"] owner` overrides it per customer."""


class BankCsvConfig(_Section):
    """The columns of a bank's CSV export (names as in its header line)."""

    # The defaults are the reader's own (adapters/bank/csvfile.py CsvMapping), stated once.
    date: str = CsvMapping.date
    label: str = CsvMapping.label
    credit: str = CsvMapping.credit
    debit: str = CsvMapping.debit
    amount: str = CsvMapping.amount
    """One signed amount column instead of `credit`/`debit`."""
    payer: str = CsvMapping.payer
    value_date: str = CsvMapping.value_date
    date_format: str = CsvMapping.date_format
    decimal: Literal[",", "."] = ","
    delimiter: Literal["", ";", ",", "\t"] = ""
    encoding: str = ""
    currency: str = "EUR"
    account: str = ""

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        from connector.models import check_currency
        return check_currency(value)

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        import codecs
        if value:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r} (e.g. utf-8, cp1252)") from None
        return value

    def mapping(self) -> CsvMapping:
        return CsvMapping(**self.model_dump())


class BankConfig(_Section):
    """Bank statements (CAMT.053, OFX, CSV) whose credits hold the reminders of the invoices they
    pay until the books catch up."""

    folder: str | None = None
    """Where statements are dropped; read at each `relance run` (files are left in place)."""
    hold_days: int = Field(default=10, ge=1, le=90)
    """Days, from the credit's booking, an invoice matched to it is treated as paid."""
    min_score: int = Field(default=80, ge=60, le=100)
    """Score a match needs to hold reminders (rules/bank.py explains the points)."""
    csv: BankCsvConfig = BankCsvConfig()

    def folder_path(self, base_dir: Path) -> Path | None:
        return (base_dir / self.folder).resolve() if self.folder else None


class Config(_Section):
    tenant: str = Field(default="default", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    timezone: str = DEFAULT_TIMEZONE
    state: str = "sqlite:///relance.db"
    language: Literal["fr", "en"] = "fr"
    source: SourceConfig
    sender: SenderConfig
    email: EmailConfig = EmailConfig()
    policy: Policy = Field(default_factory=default_policy)
    policies: dict[str, Policy] = Field(default_factory=dict)
    customers: dict[str, CustomerOverride] = Field(default_factory=dict)
    penalties: PenaltyTerms = PenaltyTerms()
    letter: LetterConfig = LetterConfig()
    umask: str = Field(default="0077", pattern=r"^0?[0-7]{3}$")
    """The umask of the files relance creates; "0027" lets the owner's group read them."""
    templates_dir: str | None = None
    """Your own templates (fr/first.j2, en/_text.j2, _subject.j2...): a file there overrides the
    packaged one of the same name; `relance templates copy` fills it with the defaults."""
    tasks: TasksConfig = TasksConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    bank: BankConfig | None = None
    """Absent: no bank statements are read."""
    # Where the file lives: relative paths (state, email.directory) are resolved against it.
    base_dir: Path = Field(default=Path("."), exclude=True)
    file: str = Field(default="<memory>", exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris)") from None
        return value

    @model_validator(mode="after")
    def _known_policies(self) -> Config:
        known = set(self.policies) | {self.policy.name, "default"}
        for number, segment in enumerate(self.policy.segments):
            if segment.policy not in known:
                raise ValueError(f"policy.segments[{number}]: no policy named "
                                 f"{segment.policy!r} (define it under [policies.{segment.policy}])")
        for customer_id, override in self.customers.items():
            if override.policy and override.policy not in known:
                raise ValueError(f"customers.{customer_id}.policy: no policy named "
                                 f"{override.policy!r}")
        return self

    @property
    def rulebook(self) -> Rulebook:
        """The default policy, the named ones (named after their table) and the overrides."""
        named = {name: p.model_copy(update={"name": name}) for name, p in self.policies.items()}
        return Rulebook(self.policy, named, self.customers)

    def task_owner(self, customer_id: str) -> str | None:
        """Who handles this customer's tasks: its override, else `[tasks] owner`."""
        override = self.customers.get(customer_id)
        if override is not None and override.owner:
            return override.owner
        return self.tasks.owner

    @property
    def letters_dir(self) -> Path:
        return (self.base_dir / self.letter.directory).resolve()

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        """Searched before the packaged templates (relative to the config file)."""
        return ((self.base_dir / self.templates_dir).resolve(),) if self.templates_dir else ()

    @property
    def state_url(self) -> str:
        """The SQLAlchemy URL, with a relative SQLite path made relative to the config file."""
        prefix = "sqlite:///"
        if self.state.startswith(prefix) and not self.state.startswith(prefix + "/"):
            relative = self.state[len(prefix):]
            if relative and relative != ":memory:":
                return prefix + str((self.base_dir / relative).resolve())
        return self.state

    @property
    def outbox_dir(self) -> Path:
        return (self.base_dir / self.email.directory).resolve()


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError naming the key, file and line."""
    path = Path(path)
    data, text = read_toml(path, missing="no such file; create one with `relance init`")
    return build_config(data, text=text, file=str(path), base_dir=path.resolve().parent)


def parse_config(text: str, *, file: str = "<memory>", base_dir: Path | None = None) -> Config:
    return build_config(parse_toml(text, file=file), text=text, file=file,
                        base_dir=base_dir or Path("."))


def read_toml(path: Path, *, missing: str = "no such file") -> tuple[dict[str, Any], str]:
    """A TOML file's data and its text (kept for the line numbers of later errors)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(missing, file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file: {exc}", file=str(path)) from None
    return parse_toml(text, file=str(path)), text


def parse_toml(text: str, *, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"not valid TOML: {exc}", file=file,
                          line=int(match.group(1)) if match else None) from None


def build_config(data: dict[str, Any], *, text: str = "", file: str = "<memory>",
                 base_dir: Path = Path(".")) -> Config:
    """Validate already-parsed TOML data (a firm merges defaults into it first)."""
    data = dict(data)
    source = data.get("source")
    if not isinstance(source, dict):
        raise ConfigError("a [source] table with a `kind` is required", file=file, key="source")
    kind = source.get("kind")
    if not isinstance(kind, str):
        raise ConfigError("`kind` is required (demo, odoo, pennylane or sage)", file=file,
                          key="source.kind", line=_line_of(text, "source", "kind"))
    try:
        model = adapter_class(kind).config_model
    except ConfigError as exc:
        raise ConfigError(str(exc).split("] ", 1)[-1], file=file, key="source.kind",
                          line=_line_of(text, "source", "kind")) from None
    try:
        data["source"] = model.model_validate(source)
        config = Config.model_validate({**data, "base_dir": base_dir, "file": file})
    except ValidationError as exc:
        raise _config_error(exc, text, file, prefix=("source",) if _is_source_error(exc, model)
                            else ()) from None
    if config.penalties.rates_file is not None:
        tables_for(config.penalties, base_dir)  # a bad rates file is refused like a bad config
    return config


def _is_source_error(exc: ValidationError, model: type[BaseModel]) -> bool:
    return exc.title == model.__name__


def _config_error(exc: ValidationError, text: str, file: str, prefix: tuple[str, ...]) -> ConfigError:
    first = exc.errors()[0]
    loc = prefix + tuple(str(p) for p in first["loc"] if not str(p).startswith("function-"))
    key = ".".join(loc) or None
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key (check its spelling; unknown keys are refused)"
    elif first["type"] == "missing":
        message = "this key is required"
    more = len(exc.errors()) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    section = [p for p in loc[:-1] if not p.isdigit()]
    return ConfigError(message, file=file, key=key,
                       line=_line_of(text, ".".join(section), loc[-1]) if loc else None)


def _line_of(text: str, section: str, key: str) -> int | None:
    """Best-effort line of `key` inside table `section` (or its array-of-tables entries)."""
    if not text or key.isdigit():
        return None
    current = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            current = header.group(1)
            if not section and current == key:
                return number
            continue
        if current == section and re.match(rf"^\"?{re.escape(key)}\"?\s*=", line):
            return number
    return None
