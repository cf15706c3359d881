"""What one statement file gave: its credits, and the entries that could not be read."""

from __future__ import annotations

from dataclasses import dataclass, field

from connector.models import BankCredit


@dataclass
class Statement:
    file: str
    format: str
    credits: list[BankCredit] = field(default_factory=list)
    rejects: list[str] = field(default_factory=list)
    """"file:place: reason" for each entry that could not be read."""
