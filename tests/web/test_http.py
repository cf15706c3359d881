"""The cockpit's security at the HTTP level, over a real socket: sessions, CSRF, roles, who sees
which client, throttling, escaping, first start (issue 20)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import httpx

from connector.app import users as users_app
from connector.store import users as user_store
from connector.store.store import Store
from tests.helpers import NOW
from tests.web.server import PASSWORD, PATIENCE, company, csrf_of, firm, log_in, serving


def test_pages_need_a_session_and_a_wrong_password_opens_none(tmp_path: Path) -> None:
    site, _ = company(tmp_path)
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        assert client.get("/c/demo/queue").status_code == 303  # to the login page
        assert client.get("/c/demo/queue").headers["location"].startswith("/login")
        refused = log_in(client, "marie", "pas-le-bon-mot")
        assert refused.status_code == 401 and "incorrect" in refused.text
        assert client.get("/c/demo/queue").status_code == 303
        ok = log_in(client, "marie")
        assert ok.status_code == 303
        cookie = ok.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        page = client.get("/c/demo/queue")
        assert page.status_code == 200 and "en attente de validation" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "script-src 'none'" in page.headers["content-security-policy"]


def test_a_form_without_the_sessions_csrf_token_is_refused_and_does_nothing(
        tmp_path: Path) -> None:
    site, _ = company(tmp_path)
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        log_in(client, "marie")
        before = client.get("/c/demo/queue").text
        keys = re.findall(r'data-key="([0-9a-f]{32})"', before)
        assert keys
        forged = client.post("/c/demo/approve", data={"key": keys[0], "csrf": "forged"})
        assert forged.status_code == 403 and "rechargez la page" in forged.text
        missing = client.post("/c/demo/approve", data={"key": keys[0]})
        assert missing.status_code == 403
        assert keys[0] in client.get("/c/demo/queue").text  # still waiting
        done = client.post("/c/demo/approve", data={"key": keys[0], "csrf": csrf_of(before)})
        assert done.status_code == 303
        assert f'data-key="{keys[0]}"' not in client.get("/c/demo/queue").text


def test_login_form_needs_its_csrf_cookie(tmp_path: Path) -> None:
    site, _ = company(tmp_path)
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        refused = client.post("/login", data={"login": "marie", "password": PASSWORD,
                                              "csrf": "x"})
        assert refused.status_code == 403 and "relance_session" not in refused.headers.get(
            "set-cookie", "")


def test_each_firm_user_sees_only_the_clients_granted(tmp_path: Path) -> None:
    site = firm(tmp_path)
    with serving(site) as url:
        with httpx.Client(base_url=url, timeout=PATIENCE) as paul:
            log_in(paul, "paul")
            portfolio = paul.get("/portfolio")
            assert portfolio.status_code == 200
            assert 'data-client="garage-durand"' in portfolio.text
            assert "boulangerie-martin" not in portfolio.text
            assert "imprimerie-roux" not in portfolio.text
            own = paul.get("/c/garage-durand/customers")
            assert own.status_code == 200 and "/c/garage-durand/customers/" in own.text
            for page in ("queue", "customers", "dashboard", "tasks", "letters", "pauses",
                         "aging?bucket=d91_plus"):
                other = paul.get(f"/c/boulangerie-martin/{page}")
                assert other.status_code == 404, page
                assert "boulangerie" not in other.text.replace("/c/boulangerie-martin", "")
            # a customer of another client, by its direct address: nothing of it is shown
            names = re.findall(r'/c/garage-durand/customers/([^"]+)"', own.text)
            assert paul.get(f"/c/boulangerie-martin/customers/{names[0]}").status_code == 404
            forged = paul.post("/c/boulangerie-martin/hold",
                               data={"kind": "dispute", "invoice": "x", "reason": "x",
                                     "csrf": csrf_of(own.text)})
            assert forged.status_code == 404
        with httpx.Client(base_url=url, timeout=PATIENCE) as ines:
            log_in(ines, "ines")
            page = ines.get("/c/imprimerie-roux/customers")
            assert page.status_code == 200
            assert ines.get("/c/garage-durand/customers").status_code == 404
            first = re.findall(r'/c/imprimerie-roux/customers/([^"]+)"', page.text)[0]
            detail = ines.get(f"/c/imprimerie-roux/customers/{first}")
            assert 'id="promise-form"' not in detail.text  # a reader gets no forms
            posted = ines.post("/c/imprimerie-roux/hold",
                               data={"kind": "pause", "customer": first, "until": "2027-01-01",
                                     "csrf": csrf_of(detail.text)})
            assert posted.status_code == 403
        with httpx.Client(base_url=url, timeout=PATIENCE) as anne:
            log_in(anne, "anne")
            every = anne.get("/portfolio").text
            assert all(f'data-client="{c}"' in every
                       for c in ("boulangerie-martin", "garage-durand", "imprimerie-roux"))


def test_login_is_throttled_after_repeated_failures(tmp_path: Path) -> None:
    moment = [NOW]
    site, _ = company(tmp_path, clock=lambda: moment[0])
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        for _ in range(5):
            assert log_in(client, "marie", "mauvais-mot-de-passe").status_code == 401
        blocked = log_in(client, "marie")  # even the right password waits
        assert blocked.status_code == 429 and "réessayez dans quelques minutes" in blocked.text
        moment[0] = NOW + dt.timedelta(minutes=16)
        assert log_in(client, "marie").status_code == 303


def test_names_with_html_or_template_syntax_are_shown_as_text(tmp_path: Path) -> None:
    site, workdir = company(tmp_path)
    store = Store(site.configs["demo"].state_url)
    hostile = '<script>alert(1)</script>{{ 7*7 }}<b>Acme</b>'
    with store.engine.begin() as conn:
        cid = conn.exec_driver_sql("SELECT customer_id FROM outbox LIMIT 1").scalar()
        conn.exec_driver_sql("UPDATE customers SET name = ? WHERE external_id = ?",
                             (hostile, cid))
    store.close()
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        log_in(client, "marie")
        for path in ("/c/demo/customers", f"/c/demo/customers/{cid}", "/c/demo/dashboard"):
            page = client.get(path).text
            assert "<script>alert(1)</script>" not in page and "<b>Acme</b>" not in page
            assert "{{ 7*7 }}" in page  # never evaluated as a template
        detail = client.get(f"/c/demo/customers/{cid}").text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}&lt;b&gt;Acme&lt;/b&gt;" in detail


def test_no_password_hash_or_secret_is_rendered(tmp_path: Path) -> None:
    site, _ = company(tmp_path)
    stored = user_store.by_login(site.users, "marie")
    assert stored is not None and stored.password_hash.startswith("$argon2")
    assert PASSWORD not in stored.password_hash
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        log_in(client, "marie")
        for path in ("/c/demo/queue", "/c/demo/customers", "/c/demo/dashboard", "/c/demo/tasks"):
            text = client.get(path).text
            assert "$argon2" not in text and PASSWORD not in text
            assert "relance_session" not in text  # the session token stays in its cookie


def test_first_start_token_creates_one_admin_once(tmp_path: Path) -> None:
    site, _ = company(tmp_path)
    user_store.set_disabled(site.users, "marie")
    with site.users.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM user_grants")
        conn.exec_driver_sql("DELETE FROM users")
    token = site.first_start()
    assert token
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        assert client.get("/setup?token=wrong").status_code == 404
        form = client.get(f"/setup?token={token}")
        assert form.status_code == 200
        made = client.post(f"/setup?token={token}", data={
            "login": "chef", "password": PASSWORD, "csrf": csrf_of(form.text)})
        assert made.status_code == 303
        assert client.get(f"/setup?token={token}").status_code == 404  # one time only
        assert log_in(client, "chef").status_code == 303
    assert [(u.login, u.role) for u in user_store.listing(Store(site.users.url))] == \
        [("chef", "admin")]


def test_a_disabled_user_is_logged_out_at_once(tmp_path: Path) -> None:
    site, _ = company(tmp_path)
    users_app.add(site.users, "lea", PASSWORD, role="collector", clients=["demo"], now=NOW)
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        log_in(client, "lea")
        assert client.get("/c/demo/queue").status_code == 200
        user_store.set_disabled(site.users, "lea")
        assert client.get("/c/demo/queue").status_code == 303
        assert log_in(client, "lea").status_code == 401


def test_cookies_are_secure_behind_a_tls_proxy_that_is_trusted(tmp_path: Path) -> None:
    site, _ = company(tmp_path)
    site.secure = True
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        page = client.get("/login")
        assert "Secure" in page.headers["set-cookie"]
