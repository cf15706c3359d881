"""The customers of the moves changed since a mark, in one grouped read whatever their number.

An increment must find new customers (posting a first invoice raises `customer_rank` with raw
SQL and leaves the partner's write_date alone), so it asks which commercial partners the moves
changed since the last run belong to. Listing those moves costs one call per page; grouping them
by `commercial_partner_id` costs one call, with the newest write_date as the next mark.

Odoo's grouped read changed shape across versions (odoo/models.py, addons/web/models/models.py):
- 16.0-18.0: `read_group(domain, fields, groupby, offset, limit, orderby, lazy)`; each group a
  dict with the many2one as [id, name], `<groupby>_count`, and a `'field:agg'` aggregate under
  the field's own name (`'write_date:max'` → `write_date`).
- 19.0+: `read_group` is deprecated (on master it takes `(domain, groupby, aggregates, …)` and
  answers tuples); the public call is `formatted_read_group(domain, groupby, aggregates, having,
  offset, limit, order)`, each group a dict keyed by the groupby and aggregate specs
  (`commercial_partner_id`: [id, name], `write_date:max`: the stamp).
Datetimes come back as Odoo's "YYYY-MM-DD HH:MM:SS" strings on both transports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.adapters.odoo import mapping as om

FORMATTED_SINCE = 19
GROUPBY = "commercial_partner_id"
NEWEST = "write_date:max"


def call(serie: int, domain: list[Any]) -> tuple[str, list[Any], dict[str, Any]]:
    """(method, positional arguments, keyword arguments) of the grouped read for this serie."""
    if serie >= FORMATTED_SINCE:
        return "formatted_read_group", [domain], {"groupby": [GROUPBY], "aggregates": [NEWEST]}
    return "read_group", [domain, [NEWEST], [GROUPBY]], {"lazy": True}


def partners(serie: int, groups: list[Mapping[str, Any]]) -> tuple[list[int], str | None]:
    """The commercial partners' ids (sorted) and the newest write_date among the groups (None
    when no group carries a readable one: the caller then takes its mark another way)."""
    key = NEWEST if serie >= FORMATTED_SINCE else "write_date"
    ids = sorted({i for i in (om.m2o_id(g.get(GROUPBY)) for g in groups) if i})
    stamps = [_stamp(g.get(key)) for g in groups]
    known = [s for s in stamps if s is not None]
    return ids, (max(known) if known and len(known) == len(stamps) else None)


def _stamp(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("T", " ")[:19]
    try:
        moment = om.parse_datetime(text)
    except ValueError:
        return None
    return om.format_datetime(moment) if moment is not None else None
