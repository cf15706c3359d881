"""Why an invoice gets, or does not get, a reminder today: the rules' trace for one invoice.

Shared by `relance rules explain` and the web cockpit's rules page (one implementation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connector.rules.engine import Decision, evaluate
from connector.store import outbox
from connector.store import pauses as pause_store

if TYPE_CHECKING:
    from connector.app.tenant import Tenant


@dataclass
class Explanation:
    number: str
    external_id: str
    customer_id: str
    is_open: bool
    history: list[tuple[str, str]] = field(default_factory=list)
    """(item id, "level on day, …"): the levels already used on each of its items."""
    decisions: list[tuple[str, str]] = field(default_factory=list)
    """(topic, text) of the engine's trace for this invoice."""
    outcome: list[tuple[str, str]] = field(default_factory=list)
    """(level, channel) of what goes out today for it; empty: nothing today."""


def explain(tenant: Tenant, invoice: str) -> Explanation:
    """`invoice`: its number or id (ConfigError when unknown)."""
    found = pause_store.find_invoice(tenant.store, tenant.name, tenant.source, invoice)
    prefix = str(found["external_id"])
    result = Explanation(str(found["number"]), prefix, str(found["customer_id"]), False)
    ledger = [(c, invs) for c, invs in tenant.store.open_ledger(tenant.name, tenant.source)
              if c.external_id == found["customer_id"]]
    if not any(i.external_id == prefix for _c, invs in ledger for i in invs):
        return result
    result.is_open = True
    history = outbox.history(tenant.store, tenant.name, tenant.source, tenant.config.timezone)
    trace: list[Decision] = []
    intents = list(evaluate(tenant.config.rulebook, ledger, history, tenant.today,
                            tenant=tenant.name, source=tenant.source,
                            pauses=pause_store.unresolved(tenant.store, tenant.name,
                                                          tenant.source), trace=trace))
    for item_id, levels in sorted(history.dates.items()):
        if item_id == prefix or item_id.startswith(prefix + "#"):
            result.history.append((item_id, ", ".join(
                f"{lv} on {day.isoformat()}" for lv, day in
                sorted(levels.items(), key=lambda kv: kv[1]))))
    for decision in trace:
        if decision.item_id is None or decision.item_id == prefix \
                or decision.item_id.startswith(prefix + "#"):
            result.decisions.append((decision.topic, decision.text))
    result.outcome = [(i.level, i.channel) for i in intents
                      if any(x.invoice_id == prefix for x in i.items)]
    return result
