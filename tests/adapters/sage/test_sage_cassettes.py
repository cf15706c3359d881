"""Recorded Sage conversations (vcrpy), replayed offline with record_mode="none".

The cassettes were recorded against the fake server (`RELANCE_RECORD_CASSETTES=1 pytest
tests/adapters/test_sage_cassettes.py` records them again). Matching is on method, path and query,
never host or port; the Authorization header is dropped and token bodies are scrubbed on the way in.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import vcr

from connector.adapters.base import AdapterContext
from connector.adapters.sage import SageAdapter, SageConfig
from connector.adapters.sage.auth import TOKENS
from connector.secrets import SecretStore
from tests.adapters.contract import drain
from tests.adapters.sage.fixtures import (  # noqa: F401
    N_BULK,
    TODAY,
    make_adapter,
    needs_sage_spec,
    sage,
    seed,
)
from tests.fakes.sage_server import RunningSage

CASSETTES = Path(__file__).resolve().parent.parent.parent / "cassettes" / "sage"
SCRUBBED = "SCRUBBED"
TOKEN_KEYS = ("access_token", "refresh_token", "id_token")
RECORD = bool(os.environ.get("RELANCE_RECORD_CASSETTES"))
# what a credential looks like in a cassette: the fake's token shapes, bearer headers, token JSON
LEAKS = [re.compile(p) for p in (
    r"\b(?:at|rt|cs|code)-[A-Za-z0-9_-]{12,}", r"(?i)bearer\s+[A-Za-z0-9._-]{8,}",
    r"(?i)(?:access_token|refresh_token|client_secret)[\"']?\s*[:=]\s*[\"']?(?!SCRUBBED)[A-Za-z0-9._-]{8,}",
)]


def _scrub_request(request: Any) -> Any:
    body = request.body or b""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    if any(word in text for word in ("refresh_token", "client_secret", "code=")):
        request.body = SCRUBBED.encode()
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    raw = response["body"]["string"]
    try:
        data = json.loads(raw)
    except (ValueError, TypeError):
        return response
    if isinstance(data, dict) and any(key in data for key in TOKEN_KEYS):
        for key in TOKEN_KEYS:
            if key in data:
                data[key] = SCRUBBED
        body = json.dumps(data).encode()
        response["body"]["string"] = body
        for name in list(response["headers"]):
            if name.lower() == "content-length":
                response["headers"][name] = [str(len(body))]
    return response


def recorder(mode: str) -> vcr.VCR:
    return vcr.VCR(cassette_library_dir=str(CASSETTES), record_mode=mode,
                   match_on=["method", "path", "query"], filter_headers=["authorization"],
                   before_record_request=_scrub_request,
                   before_record_response=_scrub_response, decode_compressed_response=True)


def _scenario(adapter: SageAdapter) -> tuple[int, int, list[str]]:
    """What the cassette holds: a check, a full read, and the freshness gate on three invoices."""
    info = adapter.check()
    customers, _ = drain(adapter.customers(None))
    invoices, _ = drain(adapter.invoices(None))
    fresh = adapter.refresh(sorted(i.external_id for i in invoices)[:3])
    return len(customers), len(invoices), [info.user or ""] + [i.number for i in fresh]


@pytest.mark.skipif(not RECORD, reason="set RELANCE_RECORD_CASSETTES=1 to record again")
def test_record(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    seed(sage)
    adapter = make_adapter(sage, tmp_path, expired=True)  # the recording includes a refresh
    CASSETTES.mkdir(parents=True, exist_ok=True)
    (CASSETTES / "full_read.yaml").unlink(missing_ok=True)
    with recorder("all").use_cassette("full_read.yaml"):
        result = _scenario(adapter)
    (CASSETTES / "full_read.expected.json").write_text(json.dumps(result, ensure_ascii=False),
                                                       encoding="utf-8")


def test_replay_without_a_server(tmp_path: Path) -> None:
    """Nothing listens on port 9: every answer comes from the cassette, the refresh included."""
    expected = json.loads((CASSETTES / "full_read.expected.json").read_text(encoding="utf-8"))
    recorded = (CASSETTES / "full_read.yaml").read_text(encoding="utf-8")
    business = re.search(r"X-Business:\s*\n\s*- ([0-9a-f]{32})", recorded).group(1)
    secrets = SecretStore("replay")
    secrets.set("source", "not-the-recorded-secret")
    secrets.set(TOKENS, json.dumps({"access_token": "expired-access",
                                    "refresh_token": "old-refresh", "expires_at": 0,
                                    "refresh_issued_at": "2026-11-20T08:00:00"}))
    nowhere = "http://127.0.0.1:9"
    config = SageConfig(business_id=business, client_id="relance-test-app",
                        base_url=f"{nowhere}/v3.1", token_url=f"{nowhere}/oauth/token",
                        requests_per_minute=10_000)
    adapter = SageAdapter(config, AdapterContext("replay", secrets, TODAY, tmp_path,
                                                 sleep=lambda s: None))
    with recorder("none").use_cassette("full_read.yaml") as cassette:
        result = _scenario(adapter)
    assert list(result) == [expected[0], expected[1], expected[2]]
    assert result[0] == 3 and result[1] == N_BULK + 4
    assert cassette.all_played
    assert adapter.tokens.refresh_count == 1


def test_no_token_in_any_cassette() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert files, "no cassette recorded"
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "authorization" not in text.lower(), path.name
        for pattern in LEAKS:
            assert not pattern.search(text), f"{path.name}: {pattern.search(text).group(0)[:12]}…"
