"""An accounting firm's directory: firm-wide defaults and one file per client company.

    firm/
      firm.toml            defaults for every client: state, timezone, language, sender, email,
                           policy, … and [schedule] (when `relance serve` runs each client);
                           `workers` (firm.toml only): how many clients run at the same time
      clients/acme.toml    one client: its [source] and whatever it overrides
      clients/acme/        files the client's source keeps besides the database (created on use)

A client file is deep-merged over the firm's defaults (tables merge key by key, everything else is
replaced) and validated by `connector.config.build_config`; an error names the file the key came
from. The tenant is the client file's name, so each client's rows are kept apart in a shared store.
Relative paths (`state`, `email.directory`) are relative to the firm directory; a client inheriting
the firm's `email.directory` writes into its own sub-folder of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connector.app.schedule import Schedule
from connector.config import Config, _line_of, build_config, read_toml
from connector.errors import ConfigError

FIRM_FILE = "firm.toml"
CLIENTS_DIR = "clients"
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
FIRM_ONLY = ("schedule",)
WORKERS = 4  # clients run side by side: one waiting on its source never delays another


@dataclass(frozen=True)
class Client:
    slug: str
    config: Config
    schedule: Schedule
    file: Path


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` wins; tables are merged recursively, lists and values are replaced whole."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _has(data: Mapping[str, Any], dotted: str) -> bool:
    node: Any = data
    for part in dotted.split("."):
        if part.isdigit() and isinstance(node, list):
            if int(part) >= len(node):
                return False
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return False
    return True


class Firm:
    """A firm directory, read on demand (a client file added while `serve` runs is picked up)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory).resolve()
        self.file = self.directory / FIRM_FILE
        if not self.file.is_file():
            raise ConfigError(f"not a firm directory: {FIRM_FILE} is missing", file=str(self.file))
        self.defaults, self.text = read_toml(self.file)
        allow = self.defaults.pop("allow_client_paths", False)
        if not isinstance(allow, bool):
            raise ConfigError("expected true or false", file=str(self.file),
                              key="allow_client_paths")
        self.allow_client_paths = allow
        workers = self.defaults.pop("workers", WORKERS)
        if not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= 64:
            raise ConfigError("expected a whole number of clients run at once, 1 to 64",
                              file=str(self.file), key="workers",
                              line=_line_of(self.text, "", "workers"))
        self.workers = workers
        """How many clients `serve` and `--firm DIR run|sync|plan` run at the same time."""
        for key in ("tenant",):
            if key in self.defaults:
                raise ConfigError("the tenant is each client file's name; remove this key",
                                  file=str(self.file), key=key)

    @property
    def clients_dir(self) -> Path:
        return self.directory / CLIENTS_DIR

    def slugs(self) -> list[str]:
        if not self.clients_dir.is_dir():
            return []
        return sorted(p.stem for p in self.clients_dir.glob("*.toml") if p.is_file())

    def client(self, slug: str) -> Client:
        path = self.clients_dir / f"{slug}.toml"
        if not path.is_file():
            known = ", ".join(self.slugs()) or "none yet"
            raise ConfigError(f"no client {slug!r} in this firm (clients: {known})",
                              file=str(path))
        if not SLUG.match(slug):
            raise ConfigError("a client file's name is its tenant id: letters, digits, '.', '_' "
                              "or '-' (at most 63)", file=str(path))
        data, text = read_toml(path)
        if "tenant" in data and data["tenant"] != slug:
            raise ConfigError(f"the tenant is the file's name ({slug!r}); remove this key",
                              file=str(path), key="tenant", line=_line_of(text, "", "tenant"))
        merged = deep_merge(self.defaults, data)
        schedule = self._schedule(merged.pop("schedule", {}), data, path, text)
        merged["tenant"] = slug
        merged = self._resolve_paths(merged, data, slug)
        try:
            config = build_config(merged, text=text, file=str(path),
                                  base_dir=self.clients_dir / slug)
        except ConfigError as exc:
            raise self._blame(exc, data, path) from None
        if not self.allow_client_paths:
            self._contain(config, data, path, text)
        return Client(slug=slug, config=config, schedule=schedule, file=path)

    def _contain(self, config: Config, client: Mapping[str, Any], path: Path, text: str) -> None:
        """A client file may not put its state, emails or letters outside its own folder (nor
        into another client's): only firm.toml may, with `allow_client_paths = true`."""
        slug = path.stem
        email_default = str((self.defaults.get("email") or {}).get("directory", "outbox"))
        roots = [(self.clients_dir / slug).resolve(), (self.directory / email_default / slug)
                 .resolve()]
        prefix = "sqlite:///"
        chosen: list[tuple[str, str, Path]] = []
        if _has(client, "state") and config.state.startswith(prefix):
            chosen.append(("", "state", Path(config.state_url[len(prefix):])))
        elif _has(client, "state"):
            raise ConfigError("a client file cannot choose its own state database (only "
                              "firm.toml can, or allow it with allow_client_paths = true)",
                              file=str(path), key="state", line=_line_of(text, "", "state"))
        if _has(client, "email.directory"):
            chosen.append(("email", "directory", config.outbox_dir))
        if _has(client, "letter.directory"):
            chosen.append(("letter", "directory", config.letters_dir))
        for section, key, target in chosen:
            resolved = target.resolve()
            if not any(resolved == root or root in resolved.parents for root in roots):
                dotted = f"{section}.{key}" if section else key
                raise ConfigError(f"{resolved} is outside this client's folder "
                                  f"{roots[0]}; firm.toml may allow it with "
                                  "allow_client_paths = true", file=str(path), key=dotted,
                                  line=_line_of(text, section, key))

    def config(self, slug: str) -> Config:
        return self.client(slug).config

    def clients(self) -> Iterator[tuple[str, Client | ConfigError]]:
        """Every client, or the error that keeps it from loading: one bad file stops no one."""
        for slug in self.slugs():
            try:
                yield slug, self.client(slug)
            except ConfigError as exc:
                yield slug, exc

    # -- helpers --------------------------------------------------------------------------------
    def _schedule(self, raw: Any, client: Mapping[str, Any], path: Path,
                  text: str) -> Schedule:
        try:
            return Schedule.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = [str(p) for p in first["loc"]]
            key = ".".join(("schedule", *loc))
            message = ("unknown key (check its spelling; unknown keys are refused)"
                       if first["type"] == "extra_forbidden" else first["msg"])
            from_firm = not _has(client, key) and _has(self.defaults, key)
            file, source = (self.file, self.text) if from_firm else (path, text)
            raise ConfigError(message, file=str(file), key=key,
                              line=_line_of(source, "schedule", loc[-1]) if loc else None) \
                from None

    def _resolve_paths(self, merged: dict[str, Any], client: Mapping[str, Any],
                       slug: str) -> dict[str, Any]:
        state = merged.get("state", "sqlite:///relance.db")
        prefix = "sqlite:///"
        if isinstance(state, str) and state.startswith(prefix) \
                and not state.startswith(prefix + "/") and state != prefix + ":memory:":
            merged["state"] = prefix + str(self.directory / state[len(prefix):])
        email = dict(merged.get("email") or {})
        directory = email.get("directory", "outbox")
        if isinstance(directory, str):
            inherited = not _has(client, "email.directory")
            path = self.directory / directory
            email["directory"] = str(path / slug if inherited else path)
            merged["email"] = email
        return merged

    def _blame(self, exc: ConfigError, client: Mapping[str, Any], path: Path) -> ConfigError:
        """Errors on keys the client file does not set come from firm.toml: say so."""
        if exc.key is None or _has(client, exc.key) or not _has(self.defaults, exc.key):
            return exc
        message = str(exc).split("] ", 1)[-1]
        section, _, name = exc.key.rpartition(".")
        return ConfigError(f"{message} (a firm default, used by client {path.stem})",
                           file=str(self.file), key=exc.key,
                           line=_line_of(self.text, section, name))
