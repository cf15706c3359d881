"""A dunning policy: ordered levels, each saying when, how and with which words to remind.

Declared, not scripted (DESIGN §5.1): a level is data. `days` counts from its `basis`: the due
date (default; negative means before it, a courtesy note; 0 is the due date itself, not late yet),
the end of the due month, or the day the previous level was planned for the same item; in calendar
days, or in business days with `business_days = true` ("J+7 ouvrés").

The levels are a ladder climbed in order (docs/escalation.md): `after = "<level>"` makes a level wait
until that earlier level went out for the invoice (and `after_days` more days). A level with a letter
(the formal notice) always needs an earlier overdue reminder; it and a level counted from the previous
reminder wait, unless `after` says otherwise, for the level just before them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connector.rules.calendar import CalendarName, parse_window
from connector.rules.channels import canonical

Basis = Literal["due_date", "end_of_month", "previous_reminder"]
Onboarding = Literal["gentle", "resume", "hold"]
Approval = Literal["auto", "review"]
Attachment = Literal["invoices", "statement"]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    days: int = Field(ge=-90, le=3650)
    basis: Basis = "due_date"
    business_days: bool = False
    channel: tuple[str, ...] = ("email",)
    """Channels by name (connector/rules/channels.py): email, source_email, letter, task."""
    template: str = Field(min_length=1)
    task_title: str | None = None
    after: str | None = None
    """An earlier level that must have gone out for the invoice before this one."""
    after_days: int = Field(default=0, ge=0, le=3650)
    """Minimum days between `after` (or, for a formal notice, the level before it) and this one."""
    approval: Approval | None = None
    """"review": a person approves each message (`relance review`); default: review for a level
    with a letter (the formal notice), auto otherwise."""
    task: Literal["call", "todo"] = "todo"
    """What the task of this level asks a person to do: a phone call or a to-do (in Odoo, a
    Call or a To-Do activity)."""
    attach: tuple[Attachment, ...] = ()
    """What the email carries besides its text: the PDFs of the invoices it lists ("invoices")
    and a statement of account ("statement")."""

    @field_validator("channel", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        if isinstance(value, str):
            return (value,)
        return value

    @property
    def overdue(self) -> bool:
        """False for a courtesy note (on or before the due date), True for a reminder."""
        return self.days > 0 or self.basis != "due_date"

    @property
    def needs_review(self) -> bool:
        if self.approval is not None:
            return self.approval == "review"
        return "letter" in self.channel

    @field_validator("channel")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        value = tuple(canonical(name) for name in value)
        if not value:
            raise ValueError("a level needs at least one channel")
        if len(set(value)) != len(value):
            raise ValueError("a channel is listed twice")
        return value

    @model_validator(mode="after")
    def _after_previous(self) -> Level:
        if self.basis == "previous_reminder" and self.days < 1:
            raise ValueError("a level based on the previous reminder needs days >= 1")
        return self


class Segment(BaseModel):
    """Route customers to a named policy. Every condition given must hold; the first match wins.

    `min_score`/`max_score` are the hook for a payment-behaviour score (0 = pays late, 1 = pays on
    time): evaluate() takes `scores` by customer id; a customer without a score never matches a
    segment that asks for one.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str = Field(min_length=1)
    tag: str | None = None
    kind: Literal["company", "individual", "public"] | None = None
    language: str | None = None
    min_amount_due: Decimal | None = None
    max_amount_due: Decimal | None = None
    min_days_late: int | None = None
    min_score: float | None = None
    max_score: float | None = None


class CustomerOverride(BaseModel):
    """`[customers."<external id>"]`: what the accounting system gets wrong or does not know."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Email | None = None
    cc: tuple[Email, ...] = ()
    language: Literal["fr", "en"] | None = None
    policy: str | None = None
    do_not_dun: bool | None = None
    address: str | None = None
    """Postal address for the formal notice (sources rarely have a usable one)."""
    owner: str | None = None
    """Who handles this customer's tasks (instead of `[tasks] owner`)."""

    @field_validator("cc", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value


DEFAULT_LEVELS: tuple[Level, ...] = (
    Level(name="courtesy", days=-3, channel=("email",), template="courtesy"),
    Level(name="first", days=1, channel=("email",), template="first"),
    Level(name="second", days=7, channel=("email", "task"), template="second",
          task_title="Appeler le client", task="call"),
    Level(name="final", days=20, channel=("email", "task"), template="final",
          task_title="Mise en demeure : préparer l'envoi recommandé"),
)


@dataclass(frozen=True)
class Steps:
    """What the ladder asks of a policy for every item, worked out once per policy (issue 18:
    planning asks it for each level of each of 100k items)."""

    required: tuple[str | None, ...]
    earlier_overdue: tuple[frozenset[str], ...]
    """Per level: the overdue levels before it."""
    letter: tuple[bool, ...]
    offset: tuple[dt.timedelta, ...]
    """Per level: `days` as a timedelta (calendar days)."""
    after: tuple[dt.timedelta, ...]
    first_overdue: int
    ranks: dict[str, int]
    letter_levels: tuple[str, ...]


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "standard"
    grouping: Literal["customer", "invoice"] = "customer"
    min_amount: Decimal = Decimal(0)
    min_gap_days: int = Field(default=5, ge=0, le=90)
    """No two reminders to one customer within this many days (and never two on one day).
    Only messages that went or may have gone out count (planned, sending, sent, uncertain), not
    failed or skipped ones nor the notes left in the source."""
    tolerance: Decimal = Field(default=Decimal(0), ge=0)
    """An item whose residual is at or under this amount is ignored (rounding, bank fees)."""
    calendar: CalendarName = "france"
    """Business days: "france", "alsace-moselle" (+ Good Friday, 26 Dec), "none" (every day)."""
    send_window: str | None = None
    """Hours when messages may leave, "08:30-18:00" in the tenant's time zone; None = any time."""
    segments: tuple[Segment, ...] = ()
    """Only read on the default `[policy]`: which named policy a customer gets."""
    levels: tuple[Level, ...] = Field(default_factory=lambda: DEFAULT_LEVELS, min_length=1)
    """Without `levels`, a policy uses the standard escalation below."""
    onboarding: Onboarding = "gentle"
    """An invoice never chased before: "gentle" starts at the first overdue level however late it
    is, then climbs at the ladder's pace; "resume" goes straight to the level its lateness reached;
    "hold" is gentle, and a customer's first message waits for approval."""
    new_invoices: Literal["join", "own_pace"] = "join"
    """A customer in escalation gets a new late invoice: "join" lists it in the next message at
    the customer's stage; "own_pace" waits until its own lateness reaches that stage."""
    start_date: dt.date | None = None
    """Invoices due before this day are left alone (a clean start on an old ledger)."""
    max_messages_per_run: int | None = Field(default=None, ge=1)
    """Only read on the default `[policy]`: at most this many messages per run; the rest wait."""

    @field_validator("send_window")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        return parse_window(value)

    @model_validator(mode="after")
    def _ordered_and_unique(self) -> Policy:
        names = [level.name for level in self.levels]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"level names must be unique, repeated: {', '.join(duplicates)}")
        # Levels counted from the same kind of date must come in order; mixed bases are checked
        # by `relance rules check`, which simulates them.
        same_basis = {level.basis for level in self.levels} == {"due_date"}
        days = [level.days for level in self.levels]
        if same_basis and (days != sorted(days) or len(set(days)) != len(days)):
            raise ValueError("levels must be listed in strictly increasing order of days")
        if self.levels[0].basis == "previous_reminder":
            raise ValueError("the first level cannot be based on a previous reminder")
        for index, level in enumerate(self.levels):
            if level.after is not None and level.after not in names[:index]:
                raise ValueError(f"levels.{level.name}.after: no earlier level named "
                                 f"{level.after!r} (a level can only wait for one before it)")
        return self

    @cached_property
    def steps(self) -> Steps:
        levels = self.levels
        return Steps(
            required=tuple(self._required(i) for i in range(len(levels))),
            earlier_overdue=tuple(frozenset(lv.name for lv in levels[:i] if lv.overdue)
                                  for i in range(len(levels))),
            letter=tuple("letter" in lv.channel for lv in levels),
            offset=tuple(dt.timedelta(days=lv.days) for lv in levels),
            after=tuple(dt.timedelta(days=lv.after_days) for lv in levels),
            first_overdue=next((i for i, lv in enumerate(levels) if lv.overdue), -1),
            ranks={lv.name: i for i, lv in reversed(list(enumerate(levels)))},
            letter_levels=tuple(lv.name for lv in levels if "letter" in lv.channel))

    def required(self, index: int) -> str | None:
        return self.steps.required[index]

    def _required(self, index: int) -> str | None:
        """The level that must have gone out before level `index`: `after`, or the level just
        before it for a level with a letter or one counted from the previous reminder (so that
        "10 days after the previous reminder" never overtakes the levels in between)."""
        level = self.levels[index]
        if level.after is not None:
            return level.after
        if index > 0 and ("letter" in level.channel or level.basis == "previous_reminder"):
            return self.levels[index - 1].name
        return None

    def first_overdue(self) -> int:
        """Index of the first level that is a reminder, not a courtesy note (-1 if none)."""
        return self.steps.first_overdue

    def rank(self, level_name: str) -> int:
        """Position of a level (0 = first); unknown names (a level removed since) rank lowest."""
        return self.steps.ranks.get(level_name, -1)


def default_policy() -> Policy:
    """The escalation a careful credit controller follows; what `relance init` writes."""
    return Policy(levels=DEFAULT_LEVELS)
