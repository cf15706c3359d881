"""The words of `relance rules check`'s findings: key → (French, English), named placeholders.

Kept beside lint.py, which builds each finding from these parts (its `text` is the English, for
logs and callers that read it), and merged into the CLI's catalogue (commands/catalogue.py), so
that `rules check` says them in the tenant's language with `say()`. A date placeholder takes a
`strftime` spec in French (`{due}`), the ISO form in English. No imports: the CLI's
catalogue loads this with every command.
"""

from __future__ import annotations

LINT: dict[str, tuple[str, str]] = {
    "rules.finding_error": ("erreur : {where} : {text}", "error: {where}: {text}"),
    "rules.finding_warning": ("avertissement : {where} : {text}", "warning: {where}: {text}"),
    "lint.sender": ("{missing} manquant(s) : le niveau {level} écrit des mises en demeure, qui "
                    "doivent les porter (ajoutez-les à [sender])",
                    "{missing} missing: level {level} writes formal notices, which must carry "
                    "them (add them to [sender])"),
    "lint.unreachable": ("ne peut jamais être atteint (aucune relance précédente à partir de "
                         "laquelle compter)",
                         "can never be reached (no previous reminder to count from)"),
    "lint.overlap": ("atteint le {when}, pas après le niveau {previous!r} "
                     "({previous_day}) pour une facture échue le {due} : les "
                     "deux se chevauchent et l'un serait sauté",
                     "reached on {when}, not after level {previous!r} ({previous_day}) for an "
                     "invoice due {due}: the two overlap and one would be skipped"),
    "lint.late_first": ("première relance plus d'un an après l'échéance",
                        "first reminder more than a year after the due date"),
    "lint.letter_first": ("une mise en demeure demande une relance d'impayé plus tôt dans "
                          "l'échelle (jamais la première que reçoit un client)",
                          "a formal notice needs an earlier overdue reminder in the ladder "
                          "(never the first one a customer gets)"),
    "lint.order": ("les niveaux partent dans l'ordre {order}, pas dans l'ordre écrit {written}",
                   "levels go out as {order}, not in the written order {written}"),
    "lint.order_none": ("aucun niveau ne part, au lieu de l'ordre écrit {written}",
                        "levels go out as nothing, not in the written order {written}"),
    "lint.skipped": (" : {skipped} serait sauté (donnez au niveau suivant `after = \"{first}\"` "
                     "ou déplacez-le)",
                     ": {skipped} would be skipped (give the later level `after = \"{first}\"` "
                     "or move it)"),
    "lint.templates_dir": ("{path} n'est pas un dossier (`relance templates copy` y écrit les "
                           "modèles par défaut)",
                           "{path} is not a directory (`relance templates copy` writes the "
                           "defaults there)"),
    "lint.no_template": ("pas de modèle {path!r} : les clients de langue « {language} » ne "
                         "recevraient rien",
                         "no template {path!r}: customers writing in {language} would get "
                         "nothing"),
    "lint.unknown_variables": ("{path} utilise des variables inconnues : {names} (voir "
                               "docs/templates.md)",
                               "{path} uses unknown variable(s): {names} (see "
                               "docs/templates.md)"),
    "lint.sample_fails": ("{path} échoue sur une relance d'exemple ({kind}) : {error}",
                          "{path} fails on a sample {kind} reminder: {error}"),
    "lint.segment_catches_all": ("n'a aucune condition : les segments suivants ne servent "
                                 "jamais",
                                 "has no condition: the segments after it are never used"),
    "lint.individual_fee": ("les frais de recouvrement ne peuvent être facturés à un "
                            "consommateur sans titre exécutoire (CPCE L111-8) ; l'indemnité de "
                            "40 € ne vaut qu'entre professionnels",
                            "recovery costs cannot be charged to a consumer without an "
                            "enforceable title (CPCE L111-8); the €40 indemnity is B2B only"),
    "lint.contract_floor": ("le taux contractuel de {rate} % est sous le plancher légal (3 × le "
                            "taux d'intérêt légal, art. L. 441-10 II C. com.) en {listed} : le "
                            "plancher s'applique pour ces semestres",
                            "the contract rate {rate} % is under the legal floor (3 × the legal "
                            "interest rate, art. L. 441-10 II C. com.) in {listed}: the floor "
                            "is applied for those half-years"),
    "lint.long_terms": ("{n} facture(s) ouverte(s) avec un délai de paiement au-delà de 60 jours "
                        "ou 45 jours fin de mois (art. L. 441-10 I C. com.) : {examples}",
                        "{n} open invoice(s) with payment terms over 60 days or 45 days end of "
                        "month (art. L. 441-10 I C. com.): {examples}"),
    "lint.long_terms_periodic": ("{n} facture(s) ouverte(s) avec un délai de paiement au-delà "
                                 "de 45 jours (factures périodiques, art. L. 441-10 I C. com.) "
                                 ": {examples}",
                                 "{n} open invoice(s) with payment terms over 45 days (periodic "
                                 "invoices) (art. L. 441-10 I C. com.): {examples}"),
}
