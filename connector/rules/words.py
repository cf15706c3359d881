"""The words a person reads for the ladder's levels and the channels, French and English.

One list for every reader: the messages and tasks (delivery/messages.py), the cockpit's
`|label` (web/), and the plan table (commands/catalogue.py). A level the accountant named
otherwise has no words here and is shown by its own name. No imports: the CLI's catalogue loads
this with every command.
"""

from __future__ import annotations

LEVEL_WORDS: dict[str, tuple[str, str]] = {
    "courtesy": ("rappel avant échéance", "courtesy note"),
    "first": ("première relance", "first reminder"),
    "second": ("deuxième relance", "second reminder"),
    "final": ("dernière relance avant mise en demeure", "final reminder"),
    "formal_notice": ("mise en demeure", "formal notice"),
    "escalate": ("recouvrement", "collection"),
}
CHANNEL_WORDS: dict[str, tuple[str, str]] = {
    "email": ("e-mail", "email"),
    "letter": ("lettre recommandée", "registered letter"),
    "task": ("tâche", "task"),
    "note": ("note dans la source", "note in the source"),
    "source_email": ("e-mail par la source", "email through the source"),
}
STAGE_WORDS: dict[str, dict[str, str]] = {
    language: {level: pair[n] for level, pair in LEVEL_WORDS.items()}
    for n, language in enumerate(("fr", "en"))}
"""LEVEL_WORDS by language: {"fr": {"first": "première relance", …}, "en": {…}}."""
