"""The plain-address shortcut gives exactly email-validator's answer (connector/emails.py)."""

from __future__ import annotations

import random
import string

import pytest
from email_validator import EmailNotValidError, validate_email

from connector.emails import _plain, check

ALPHABET = string.ascii_letters[:6] + "AZ09._%+-@" + "-" * 3 + "." * 3 + "!#'\"é "
TLDS = ["fr", "com", "c", "f1", "test", "local", "arpa", "FR", "xn--p1ai", "onion", "Local", "a" * 64]


def corpus(seed: int, size: int) -> list[str]:
    rng = random.Random(seed)
    values = []
    for _ in range(size):
        local = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 8)))
        labels = ["".join(rng.choice("abcXY09-") for _ in range(rng.randint(0, 5)))
                  for _ in range(rng.randint(1, 3))]
        domain = ".".join(labels + [rng.choice(TLDS)])
        values.append(f"{local}@{domain}" if rng.random() < 0.9 else local + domain)
    return values + ["compta@exemple.fr", "Compta.X@Exemple.FR", "a@b.fr", "x" * 65 + "@a.fr",
                     "a@" + "b" * 64 + ".fr", "a@exemple.test", "a@sub.localhost",
                     "a..b@exemple.fr", ".a@exemple.fr", "a@-b.fr", "a@b-.fr", "a@xn--bcher-kva.ch"]


def test_the_shortcut_agrees_with_the_library() -> None:
    answered = 0
    for value in corpus(18, 60_000):
        fast = _plain(value)
        if fast is None:
            continue  # the library answers these
        answered += 1
        result = validate_email(value, check_deliverability=False, allow_smtputf8=True)
        assert (fast.normalized, fast.ascii) == (result.normalized, result.ascii_email), value
    assert answered > 1000  # the corpus does exercise the shortcut


@pytest.mark.parametrize("value", ["a..b@exemple.fr", "a@exemple.test", "voir Mme Martin",
                                   "a@b-.fr", "a@" + "b" * 64 + ".fr"])
def test_what_the_library_refuses_is_still_refused(value: str) -> None:
    assert _plain(value) is None
    with pytest.raises((EmailNotValidError, ValueError)):
        check(value)
