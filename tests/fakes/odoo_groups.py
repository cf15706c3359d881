"""Grouped reads of the fake Odoo, in the shape each version answers (odoo/models.py,
addons/web/models/models.py; see connector/adapters/odoo/groups.py for the facts):

- 16-18 `read_group(domain, fields, groupby, offset, limit, orderby, lazy)`: dicts, the
  many2one as [id, name], `<groupby>_count` when lazy (`__count` otherwise), each
  `'field:agg'` of `fields` under the field's name, and `__domain`;
- 19+ `formatted_read_group(domain, groupby, aggregates, having, offset, limit, order)`: dicts
  keyed by the specs, and `__extra_domain`; `read_group` there takes the newer signature
  `(domain, groupby, aggregates, having, offset, limit, order)` and answers tuples.
Only what a grouping by one stored field needs: no granularities, no `having`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.odoo_data import M2O, SCHEMA, fault

if TYPE_CHECKING:
    from tests.fakes.odoo_data import OdooData

AGGREGATES = ("max", "min", "sum", "count")


def _groups(data: OdooData, model: str, domain: list[Any], groupby: str,
            context: dict[str, Any] | None) -> dict[Any, list[dict[str, Any]]]:
    if groupby not in SCHEMA[model]:
        raise fault(1, f"ValueError: Invalid field {groupby!r} on model {model!r}")
    groups: dict[Any, list[dict[str, Any]]] = {}
    for row in data.search(model, domain, context=context):
        groups.setdefault(data.raw_value(model, row, groupby) or False, []).append(row)
    return dict(sorted(groups.items(), key=lambda kv: (kv[0] is False, kv[0])))


def _aggregate(data: OdooData, model: str, rows: list[dict[str, Any]], spec: str) -> Any:
    if spec == "__count":
        return len(rows)
    name, _, func = spec.partition(":")
    if func not in AGGREGATES:
        raise fault(1, f"ValueError: Invalid aggregate method {func!r} for {spec!r}.")
    values = [data.raw_value(model, r, name) for r in rows]
    if func == "count":
        return len([v for v in values if v not in (None, False)])
    if func == "sum":
        return sum(values)
    value = (max if func == "max" else min)(values)
    return value[:19] if isinstance(value, str) and len(value) > 19 else value  # seconds only


def _m2o(data: OdooData, model: str, groupby: str, value: Any) -> Any:
    kind = SCHEMA[model].get(groupby)
    if isinstance(kind, tuple) and kind[0] == M2O:
        return [value, data.display_name(kind[1], value)] if value else False
    return value


def read_group(data: OdooData, model: str, domain: list[Any], fields: list[str],
               groupby: str | list[str], *, lazy: bool = True,
               context: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """16-18's public read_group, grouped by the first groupby (lazy)."""
    name = groupby if isinstance(groupby, str) else groupby[0]
    specs = [f for f in fields if ":" in f]
    out: list[dict[str, Any]] = []
    for value, rows in _groups(data, model, domain, name, context).items():
        group = {name: _m2o(data, model, name, value),
                 f"{name}_count" if lazy else "__count": len(rows),
                 "__domain": [[name, "=", value], *domain]}
        group.update({s.partition(":")[0]: _aggregate(data, model, rows, s) for s in specs})
        out.append(group)
    return out


def read_group_tuples(data: OdooData, model: str, domain: list[Any], groupby: list[str],
                      aggregates: list[str], *, context: dict[str, Any] | None = None
                      ) -> list[list[Any]]:
    """The newer read_group (master): tuples of the groupby ids, then the aggregates."""
    name = groupby[0]
    return [[value, *(_aggregate(data, model, rows, s) for s in aggregates)]
            for value, rows in _groups(data, model, domain, name, context).items()]


def formatted_read_group(data: OdooData, model: str, domain: list[Any], groupby: list[str],
                         aggregates: list[str], *, context: dict[str, Any] | None = None
                         ) -> list[dict[str, Any]]:
    name = groupby[0]
    out: list[dict[str, Any]] = []
    for value, rows in _groups(data, model, domain, name, context).items():
        group = {name: _m2o(data, model, name, value),
                 **{s: _aggregate(data, model, rows, s) for s in aggregates},
                 "__extra_domain": [[name, "=", value]]}
        out.append(group)
    return out
