"""The CLI's messages for the collector's desk commands (see catalogue.py and words.py)."""

from __future__ import annotations

DESK: dict[str, tuple[str, str]] = {
    # history.py
    "history.did_you_mean": (" ; vouliez-vous dire : {names} ?", "; did you mean: {names}?"),
    "history.no_customer": ("aucun client « {customer} »{hint}", "no customer “{customer}”{hint}"),
    "history.none": ("Aucun événement.", "No event."),
    "event.message": ("message", "message"),
    "event.note": ("note", "note"),
    "event.task": ("tâche", "task"),
    "event.task_done": ("tâche faite", "task done"),
    "event.dispute": ("litige", "dispute"),
    "event.promise": ("promesse", "promise"),
    "event.pause": ("pause", "pause"),
    "event.payment": ("paiement", "payment"),
    "event.bank": ("virement reçu", "bank credit"),
    # pauses.py
    "pause.disputed": ("facture {number} en litige : plus de relance jusqu'à "
                       "`relance resume {number}`",
                       "invoice {number} disputed: no reminder until `relance resume {number}`"),
    "pause.past": ("--until {day} est déjà passé", "--until {day} is already past"),
    "pause.promised": ("facture {number} : paiement promis pour le {day} ; toujours impayée "
                       "après, le niveau suivant part",
                       "invoice {number}: payment promised by {day}; if still unpaid after it, "
                       "the next level goes out"),
    "pause.no_customer": ("pas de client unique {customer!r} dans l'état local (code ou nom "
                          "exact)",
                          "no single customer {customer!r} in the local state (id or exact "
                          "name)"),
    "pause.paused": ("client {customer} : pas de relance jusqu'au {day} inclus",
                     "customer {customer}: no reminder until {day} included"),
    "pause.banked": (" (suspendue par un crédit bancaire : {reason} ; levez-la avec "
                     "`relance bank reject ID`, voir `relance bank matches`)",
                     " (held by a bank credit: {reason}; end it with `relance bank reject ID`, "
                     "see `relance bank matches`)"),
    "pause.nothing": ("rien n'était en pause pour {target}{hint}",
                      "nothing was paused for {target}{hint}"),
    "pause.resumed": ("{target} repris : {n} pause(s) close(s) ; les relances reprennent au "
                      "niveau atteint",
                      "resumed {target}: {n} pause(s) closed; reminders start again from the "
                      "level reached"),
    # letters.py
    "letters.none": ("Aucune lettre à poster.", "No letter to post."),
    "letters.waiting": ("en attente de l'adresse postale (tâche créée)",
                        "waiting for the postal address (task created)"),
    "letters.received_on": (", reçue le {day}", ", received {day}"),
    "letters.tracking": (" n° {number}", " no. {number}"),
    "letter.to_post": ("à poster", "to post"),
    "letter.posted": ("postée", "posted"),
    "letters.none_on": ("Aucune lettre à poster pour le {day}.", "No letter to post on {day}."),
    "letters.batch": ("{file} : {n} lettre(s) à poster", "{file}: {n} letter(s) to post"),
    "letters.missing": ("{file} manque (listé sur la page de garde)",
                        "{file} is missing (listed on the cover)"),
    "letters.no_letter": ("aucune lettre unique dont la clé commence par {key!r} (voir "
                          "`relance letters --all`)",
                          "no single letter whose key starts with {key!r} (see `relance letters "
                          "--all`)"),
    "letters.future": ("{day} est dans le futur", "{day} is in the future"),
    "letters.bad_tracking": ("--tracking doit faire de 1 à 64 caractères",
                             "--tracking must be 1 to 64 characters"),
    "letters.posted_on": ("{file} : postée le {day}", "{file}: posted on {day}"),
    "letters.tracking_sent": (", n° {number}", ", no. {number}"),
    "letters.late": ("lettre postée {late} jour(s) après sa date ; le délai qu'elle fixe "
                     "(jusqu'au {deadline}) laisse {late} jour(s) de moins que les {days} jours "
                     "prévus après réception",
                     "letter posted {late} day(s) after its date; the deadline it sets (until "
                     "{deadline}) leaves {late} day(s) fewer than the {days} days planned after "
                     "receipt"),
    "letters.no_posted": ("aucune lettre postée unique dont la clé commence par {key!r} "
                          "(enregistrez d'abord l'envoi : `relance letters posted`)",
                          "no single posted letter whose key starts with {key!r} (record the "
                          "posting first: `relance letters posted`)"),
    "letters.bad_received": ("{day} doit se situer entre le jour d'envoi {posted} et aujourd'hui",
                             "{day} must be between the posting day {posted} and today"),
    "letters.received_done": ("{file} : reçue le {day}", "{file}: received on {day}"),
    # review.py
    "review.none": ("Aucun message en attente de validation.", "No message waits for approval."),
    "review.head": ("{n} message(s) en attente de validation :",
                    "{n} message(s) wait for approval:"),
    "review.how": ("relance review CLÉ (voir), relance approve CLÉ… | --all, relance reject CLÉ "
                   "--reason …",
                   "relance review KEY (show), relance approve KEY… | --all, relance reject KEY "
                   "--reason …"),
    "review.no_key": ("aucun message de clé {key}", "no message with key {key}"),
    "review.subject": ("Objet : {subject}  ({channel})", "Subject: {subject}  ({channel})"),
    "review.text": ("--- texte ---", "--- text ---"),
    "review.attachment": ("pièce jointe : {name} ({size} octets)",
                          "attachment: {name} ({size} bytes)"),
    "review.approve_usage": ("donnez CLÉ… ou --all", "give KEY… or --all"),
    "review.approved": ("{n} message(s) validé(s) ; le prochain `relance run` les envoie.",
                        "{n} message(s) approved; the next `relance run` sends them."),
    "review.not_waiting": ("{n} clé(s) ne sont pas en attente de validation",
                           "{n} key(s) are not waiting for approval"),
    "review.no_pending": ("aucun message en attente de validation de clé {key}",
                          "no message waiting for approval with key {key}"),
    "review.rejected": ("Message rejeté ; il ne partira pas.",
                        "Message rejected; it will not go out."),
    # tasks.py
    "tasks.none_open": ("Aucune tâche ouverte.", "No open task."),
    "tasks.none": ("Aucune tâche.", "No task."),
    "tasks.unassigned": ("non attribuée", "unassigned"),
    "tasks.done_by": ("  [faite le {day} par {by}{note}]", "  [done on {day} by {by}{note}]"),
    "tasks.note": (" : {note}", ": {note}"),
    "tasks.no_task": ("pas de tâche #{id}", "no task #{id}"),
    "tasks.closed": ("Tâche #{id} close.", "Task #{id} closed."),
    "tasks.not_in_source": ("La source ne permet pas de la clore : faites-le aussi dans la "
                            "source{problem}.",
                            "The source does not let it be closed: close it there too{problem}."),
    "tasks.assigned": ("Tâche #{id} attribuée à {user}.", "Task #{id} assigned to {user}."),
    # users.py, web.py
    "users.exclusive": ("--admin et --reader s'excluent", "--admin and --reader exclude each other"),
    "users.password": ("Mot de passe", "Password"),
    "users.created": ("Utilisateur {login} créé ({role}{clients}).",
                      "User {login} created ({role}{clients})."),
    "users.clients": (" : {names}", ": {names}"),
    "users.none": ("Aucun utilisateur : relance users add LOGIN --admin",
                   "No user: relance users add LOGIN --admin"),
    "users.all_clients": ("tous les clients", "every client"),
    "users.disabled_mark": ("  [désactivé]", "  [disabled]"),
    "users.no_user": ("pas d'utilisateur {login!r}", "no user {login!r}"),
    "users.disabled": ("Utilisateur {login} désactivé ; ses sessions sont closes.",
                       "User {login} disabled; its sessions are closed."),
    "web.first_start": ("Aucun utilisateur : créez l'administrateur (lien à usage unique) sur "
                        "{url}  (ou : relance users add LOGIN --admin)",
                        "No user: create the admin (single-use link) at {url}  (or: relance "
                        "users add LOGIN --admin)"),
    "web.listening": ("relance web : {url}", "relance web: {url}"),
    # tenants.py, auth.py
    "tenants.nothing": ("rien à renommer : la base d'état n'a pas de dossier {old!r}",
                        "nothing to rename: the state database has no tenant {old!r}"),
    "tenants.renamed": ("le dossier {old} devient {new} : {reminders} relance(s), {invoices} "
                        "facture(s) déplacée(s)",
                        "tenant {old} is now {new}: {reminders} reminder(s), {invoices} "
                        "invoice(s) moved"),
    "auth.not_sage": ("le type de [source] est {kind!r}, pas \"sage\"",
                      "[source] kind is {kind!r}, not \"sage\""),
    "auth.open": ("Ouvrez cette adresse pour permettre à relance de lire vos comptes Sage :\n"
                  "  {url}", "Open this address to let relance read your Sage books:\n  {url}"),
    "auth.which": ("Quelle entreprise ?", "Which business?"),
    "auth.granted": ("Accès Sage accordé ; jetons enregistrés dans le trousseau du système.",
                     "Sage access granted; tokens stored in the system keyring."),
    "auth.business": ("Indiquez business_id = \"{id}\" dans [source] de {file}.",
                      "Set business_id = \"{id}\" in [source] of {file}."),
    # imports.py
    "import.columns": ("Colonnes reconnues :", "Columns recognised:"),
    "import.unused": ("Colonnes non utilisées : {names}", "Columns not used: {names}"),
    "import.missing": ("Introuvable : {fields}. Renommez la colonne ou complétez "
                       "[source.columns] à la main.",
                       "Not found: {fields}. Rename the column or fill in [source.columns] by "
                       "hand."),
    "import.rows": ("Les {n} premières lignes (sur {total}) telles que relance les comprend :",
                    "The first {n} rows (of {total}) as relance reads them:"),
    "import.refused": ("  {line:>4}  refusée : {reason}", "  {line:>4}  refused: {reason}"),
    "import.row": ("  {line:>4}  {number} · {reason} · {issued} · échéance {due} · {total} · "
                   "reste {left} · {status}",
                   "  {line:>4}  {number} · {reason} · {issued} · due {due} · {total} · left "
                   "{left} · {status}"),
    "import.block": ("Bloc [source] à mettre dans relance.toml :",
                     "[source] block for relance.toml:"),
    "import.written": ("Bloc ajouté à {file}.", "Block added to {file}."),
    "import.has_source": ("{file} a déjà une table [source] : rien n'est écrit.",
                          "{file} already has a [source] table: nothing written."),
    "field.number": ("numéro", "number"),
    "field.customer_id": ("code client", "customer_id"),
    "field.customer": ("client", "customer"),
    "field.email": ("e-mail", "email"),
    "field.issue_date": ("date de facture", "issue_date"),
    "field.due_date": ("échéance", "due_date"),
    "field.amount": ("montant", "amount"),
    "field.paid": ("payé", "paid"),
    "field.remaining": ("reste à payer", "remaining"),
    "field.status": ("statut", "status"),
    "field.currency": ("devise", "currency"),
    "invoice.open": ("à payer", "open"),
    "invoice.partial": ("partiellement payée", "partial"),
    "invoice.paid": ("payée", "paid"),
    "invoice.cancelled": ("annulée", "cancelled"),
    "invoice.disputed": ("en litige", "disputed"),
    # rules.py: rules check/explain, templates preview/copy
    "rules.count": ("{errors} erreur(s), {warnings} avertissement(s)",
                    "{errors} error(s), {warnings} warning(s)"),
    "explain.head": ("facture {number} (id {id}), client {customer}, aujourd'hui {today}",
                     "invoice {number} (id {id}), customer {customer}, today {today}"),
    "explain.not_open": ("non ouverte dans l'état local (payée, annulée ou compensée par un "
                         "avoir) : rien à demander",
                         "not open in the local state (paid, cancelled or credited): nothing to "
                         "ask"),
    "explain.history": ("  historique {item} : {done}", "  history {item}: {done}"),
    "explain.by": ("{level} par {channel}", "{level} by {channel}"),
    "explain.nothing": ("pas de relance aujourd'hui pour cette facture",
                        "no reminder today for this invoice"),
    "preview.subject": ("Objet : {subject}\n\n{text}", "Subject: {subject}\n\n{text}"),
    "templates.no_dir": ("pas de templates_dir dans la configuration : ajoutez `templates_dir = "
                         "\"templates\"` en tête, ou passez --dir",
                         "no templates_dir in the config: add `templates_dir = \"templates\"` "
                         "at its top, or pass --dir"),
    "templates.wrote": ("{n} modèle(s) écrit(s) dans {target}",
                        "wrote {n} template(s) to {target}"),
    "templates.kept": (" ; {n} déjà présent(s) gardé(s) (--force pour écraser)",
                       "; kept {n} already there (--force to overwrite)"),
    "templates.use": ("pour les utiliser, ajoutez à {file} : templates_dir = \"{dir}\"",
                      "to use them, add to {file}: templates_dir = \"{dir}\""),
    # report.py
    "report.output": ("la sortie", "the output"),
    "report.wrote": ("{path} écrit", "wrote {path}"),
    "portfolio.client": ("client", "client"),
    "portfolio.outstanding": ("encours", "outstanding"),
    "portfolio.overdue": ("échu", "overdue"),
    "portfolio.dso": ("DSO", "DSO"),
    "portfolio.pending": ("à valider", "to approve"),
    "portfolio.problems": ("problèmes", "problems"),
    "portfolio.days": ("{n} j", "{n} d"),
    # penalties.py
    "pen.head": ("Créance de {amount}, échéance le {due}, débiteur {kind}, calcul au {until}",
                 "Claim of {amount}, due on {due}, debtor {kind}, counted to {until}"),
    "pen.kind_company": ("entreprise (art. L. 441-10 C. com.)",
                         "business (art. L. 441-10 French Commercial Code)"),
    "pen.kind_public": ("acheteur public (art. L. 2192-13 et R. 2192-31 C. commande publique)",
                        "public buyer (art. L. 2192-13 and R. 2192-31 French Public Procurement "
                        "Code)"),
    "pen.kind_individual": ("consommateur (art. 1231-6 et 1344-1 C. civ., à compter de la "
                            "réception de la mise en demeure)",
                            "consumer (art. 1231-6 and 1344-1 French Civil Code, from the "
                            "receipt of the formal notice)"),
    "pen.received": ("Mise en demeure reçue le {day}", "Formal notice received on {day}"),
    "pen.no_notice": ("Intérêts au taux légal à compter de la réception de la mise en demeure : "
                      "aucune mise en demeure postée, aucun intérêt à ce jour",
                      "Interest at the legal rate from the receipt of the formal notice: no "
                      "formal notice posted, no interest so far"),
    "pen.provisional": (" (taux provisoire)", " (provisional rate)"),
    "pen.floor": (" (plancher légal : 3 × taux d'intérêt légal)",
                  " (legal floor: 3 × the legal interest rate)"),
    "pen.period": ("  du {start} au {end} : {days} j × {base} × {rate} % / 365 = {interest}"
                   "{mark}",
                   "  from {start} to {end}: {days} d × {base} × {rate} % / 365 = {interest}"
                   "{mark}"),
    "pen.interest": ("Intérêts de retard : {amount} (jours exacts / 365, arrondi au centime)",
                     "Late-payment interest: {amount} (exact days / 365, rounded to the cent)"),
    "pen.indemnity": ("Indemnité forfaitaire pour frais de recouvrement (art. D. 441-5 C. com.) "
                      ": {amount}",
                      "Fixed compensation for recovery costs (art. D. 441-5 French Commercial "
                      "Code): {amount}"),
    "pen.total_apart": ("Total des pénalités : {total} + {indemnity} d'indemnité forfaitaire",
                        "Total penalties: {total} + {indemnity} fixed compensation"),
    "pen.total": ("Total des pénalités : {total}", "Total penalties: {total}"),
    "pen.provisional_rates": ("Taux provisoires (valeur officielle pas encore dans la table) : "
                              "{labels}",
                              "Provisional rates (official value not in the table yet): "
                              "{labels}"),
    # bank.py
    "bank.report": ("banque : {files} relevé(s) lu(s), {credits} nouveau(x) crédit(s) ; {held} "
                    "suspendent des relances, {review} à vérifier (relance bank matches)",
                    "bank: {files} statement(s) read, {credits} new credit(s); {held} hold "
                    "reminders, {review} to review (relance bank matches)"),
    "bank.rejects": ("\n  {n} ignoré(s) : {lines}", "\n  {n} skipped: {lines}"),
    "bank.nothing": ("rien à vérifier", "nothing to review"),
    "bank.confirmed": ("rapprochement {id} confirmé : pas de relance pour {numbers} jusqu'au "
                       "{day}",
                       "match {id} confirmed: no reminder for {numbers} until {day}"),
    "bank.rejected": ("rapprochement {id} rejeté : les relances de {numbers} reprennent",
                      "match {id} rejected: reminders of {numbers} resume"),
    "match.held": ("relances suspendues", "reminders held"),
    "match.review": ("à vérifier", "to review"),
    "match.unmatched": ("sans facture", "no invoice"),
    "match.confirmed": ("confirmé", "confirmed"),
    "match.rejected": ("rejeté", "rejected"),
    "verdict.confident": ("sûr", "confident"),
    "verdict.ambiguous": ("ambigu", "ambiguous"),
    "verdict.partial": ("partiel", "partial"),
    "verdict.review": ("incertain", "uncertain"),
    "verdict.none": ("aucun", "none"),
    "pen.not_amount": ("{what} : pas un montant : {text!r}", "{what}: not an amount: {text!r}"),
    "pen.not_positive": ("{what} : le montant doit être positif : {text!r}",
                         "{what}: the amount must be positive: {text!r}"),
    "pen.not_pair": ("DATE:MONTANT attendu, reçu {text!r}", "expected DATE:AMOUNT, got {text!r}"),
    "pen.not_day": ("date attendue au format AAAA-MM-JJ, reçu {text!r}",
                    "expected a date as YYYY-MM-DD, got {text!r}"),
    "pen.exceed": ("les paiements et avoirs dépassent le montant dû",
                   "payments and credit notes exceed the amount due"),
    "templates.no_customer": ("aucun client {customer!r} avec des factures ouvertes dans l'état "
                              "local (`relance sync` d'abord ?)",
                              "no customer {customer!r} with open invoices in the local state "
                              "(`relance sync` first?)"),
    "demo.no_onboarding": ("{file} n'a pas de ligne `onboarding = ...` sous [policy] à régler ; "
                           "ajoutez-la à la main",
                           "{file} has no `onboarding = ...` line under [policy] to set; add it "
                           "by hand"),
}
