"""A dunning policy: ordered levels, each saying when, how and with which words to remind.

Declared, not scripted (DESIGN §5.1): a level is data. `days` counts from the due date; negative
means before it (a courtesy note), 0 is the due date itself (not late yet).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Channel = Literal["email", "task", "letter", "odoo_email"]


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    days: int = Field(ge=-90, le=3650)
    channel: tuple[Channel, ...] = ("email",)
    template: str = Field(min_length=1)
    task_title: str | None = None

    @field_validator("channel", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        if isinstance(value, str):
            return (value,)
        return value

    @field_validator("channel")
    @classmethod
    def _not_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("a level needs at least one channel")
        if len(set(value)) != len(value):
            raise ValueError("a channel is listed twice")
        return value


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "standard"
    grouping: Literal["customer", "invoice"] = "customer"
    min_amount: Decimal = Decimal("0")
    min_gap_days: int = Field(default=5, ge=0, le=90)
    """No two reminders to one customer within this many days (and never two on one day)."""
    levels: tuple[Level, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered_and_unique(self) -> Policy:
        names = [level.name for level in self.levels]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"level names must be unique, repeated: {', '.join(duplicates)}")
        days = [level.days for level in self.levels]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("levels must be listed in strictly increasing order of days")
        return self

    def rank(self, level_name: str) -> int:
        """Position of a level (0 = first); unknown names (a level removed since) rank lowest."""
        for position, level in enumerate(self.levels):
            if level.name == level_name:
                return position
        return -1


def default_policy() -> Policy:
    """The escalation a careful credit controller follows; what `relance init` writes."""
    return Policy(levels=(
        Level(name="courtesy", days=-3, channel=("email",), template="courtesy"),
        Level(name="first", days=1, channel=("email",), template="first"),
        Level(name="second", days=7, channel=("email", "task"), template="second",
              task_title="Appeler le client"),
        Level(name="final", days=20, channel=("email", "task"), template="final",
              task_title="Mise en demeure : préparer l'envoi recommandé"),
    ))
