"""The CLI's messages: key → (French, English), named `str.format` placeholders (see words.py).

Grouped by the command module that prints them; a key is `area.what`. This file has the core loop's
(context, loop, views, firm); catalogue_desk.py the collector's desk (review, tasks, letters,
pauses, bank, rules, report, penalties, users…).
"""

from __future__ import annotations

from connector.app.lint_words import LINT
from connector.commands.catalogue_desk import DESK
from connector.rules.words import CHANNEL_WORDS, LEVEL_WORDS

LOOP: dict[str, tuple[str, str]] = {
    # shared (context.py)
    "error": ("erreur : {text}", "error: {text}"),
    "warning": ("attention : {text}", "warning: {text}"),
    "client_error": ("{slug} : {text}", "{slug}: {text}"),
    "clients_failed": ("échec pour {n} client(s) sur {total} : {names}",
                       "failed for {n} of {total} client(s): {names}"),
    "none_yet": ("aucun pour l'instant", "none yet"),
    "one_client": ("cette commande agit sur un seul client : ajoutez --client SLUG (clients : "
                   "{clients})",
                   "this command acts on one client: add --client SLUG (clients: {clients})"),
    "bad_day": ("date attendue au format AAAA-MM-JJ", "expected a date as YYYY-MM-DD"),
    # loop.py: init, check, sync, plan, run, demo, secret, outbox
    "init.exists": ("{path} existe déjà ; --force pour l'écraser",
                    "{path} exists; use --force to overwrite it"),
    "cannot_write": ("impossible d'écrire {path} : {why}", "cannot write {path}: {why}"),
    "init.wrote": ("{path} écrit ; complétez [source] et [sender], puis lancez `relance check`",
                   "wrote {path}; edit [source] and [sender], then run `relance check`"),
    "check.config": ("configuration {path} : ok (dossier {tenant}, source {source})",
                     "config {path}: ok (tenant {tenant}, source {source})"),
    "check.source": ("source : {kind} {url} version {version}",
                     "source: {kind} {url} version {version}"),
    "check.source_as": ("source : {kind} {url} version {version} en tant que {user}",
                        "source: {kind} {url} version {version} as {user}"),
    "check.unused_right": ("droit manquant, inutile aux canaux configurés : {right}",
                           "missing right, not needed by the configured channels: {right}"),
    "check.source_problem": ("source : {text}", "source: {text}"),
    "check.missing_right": ("source : droit manquant (requis par {needed_by}) : {right}",
                            "source: missing right (needed by {needed_by}): {right}"),
    "check.email_problem": ("e-mail : {text}", "email: {text}"),
    "check.ok": ("tout est en ordre", "all good"),
    "sync.done": ("synchronisé : {counts} ; {n} enregistrement(s) invalide(s) ignoré(s)",
                  "synced: {counts}; skipped {n} malformed record(s)"),
    "sync.tasks_closed": ("tâches closes : {n} (factures réglées, ou faites dans la source ; "
                          "voir `relance tasks --all`)",
                          "tasks closed: {n} (invoices settled, or done in the source; see "
                          "`relance tasks --all`)"),
    "stream.customers": ("clients", "customers"),
    "stream.invoices": ("factures", "invoices"),
    "stream.payments": ("paiements", "payments"),
    "stream.contacts": ("contacts", "contacts"),
    "plan.no_sync": ("Aucune synchronisation encore : lancez `relance sync` d'abord (plan lit "
                     "l'état local, il n'interroge pas la source).",
                     "No sync yet: run `relance sync` first (plan reads the local state, it does "
                     "not ask the source)."),
    "plan.closed": ("Les relances partent les jours ouvrés seulement : {why}.",
                    "Reminders go out on business days only: {why}."),
    "day.weekend": ("le {day} est un {weekday}", "{day} is a {weekday}"),
    "day.holiday": ("le {day} est férié ({name})", "{day} is a public holiday ({name})"),
    "run.busy": ("un autre processus relance traite {tenant} en ce moment ; réessayez dans "
                 "quelques minutes",
                 "another relance process is running {tenant} right now; try again in a few "
                 "minutes"),
    "run.previews": ("{n} message(s) écrit(s), non envoyé(s), dans {folder}",
                     "{n} message(s) written, not sent, in {folder}"),
    "run.queued": ("{n} nouvelle(s) relance(s) en file", "queued {n} new reminder(s)"),
    "run.capped": ("{n} message(s) de plus attendent la prochaine exécution "
                   "(policy.max_messages_per_run)",
                   "{n} more message(s) wait for the next run (policy.max_messages_per_run)"),
    "demo.not_business": ("le {day} n'est pas un jour ouvré ; affichage du {shown}.",
                          "{day} is not a business day; showing {shown}."),
    "demo.files": ("{n} e-mail(s) dans {outbox} ; état dans {state}",
                   "{n} email(s) in {outbox}; state in {state}"),
    "demo.pending": ("{n} message(s) en attente de validation : relance --config {config} "
                     "review",
                     "{n} message(s) wait for approval: relance --config {config} review"),
    "demo.next": ("ensuite : relance --config {config} status",
                  "next: relance --config {config} status"),
    "secret.empty": ("aucun secret saisi (entrée vide)", "no secret given (empty input)"),
    "secret.state": ("mot de passe de la base d'état enregistré dans le trousseau du système",
                     "stored the state database's password in the system keyring"),
    "secret.stored": ("{name} enregistré pour le dossier {tenant} dans le trousseau du système",
                      "stored {name} for tenant {tenant} in the system keyring"),
    "outbox.none": ("aucune relance à l'état {state}", "no reminder is {state}"),
    "outbox.no_uncertain": ("aucune relance incertaine de clé {key}",
                            "no uncertain reminder with key {key}"),
    "outbox.sent": ("enregistrée comme envoyée", "recorded as sent"),
    "outbox.again": ("replanifiée ; la prochaine exécution l'envoie",
                     "planned again; the next run sends it"),
    "outbox.retry_usage": ("donnez une CLÉ, ou --all, ou --status failed",
                           "give a KEY, or --all, or --status failed"),
    "outbox.no_failed": ("aucune relance en échec ou replanifiée de clé {key}",
                         "no failed or rescheduled reminder with key {key}"),
    "outbox.due_now": ("{n} relance(s) dues maintenant ; le prochain `relance run` les envoie",
                       "{n} reminder(s) due now; the next `relance run` sends them"),
    "state.pending_approval": ("à valider", "pending approval"),
    "state.planned": ("planifiée", "planned"),
    "state.sending": ("en cours d'envoi", "sending"),
    "state.sent": ("envoyée", "sent"),
    "state.failed": ("en échec", "failed"),
    "state.skipped": ("écartée", "skipped"),
    "state.uncertain": ("incertaine", "uncertain"),
    "state.retried": ("replanifiée", "rescheduled"),
    # views.py: plan table, run summary, status
    "plan.nothing": ("Rien à envoyer aujourd'hui.", "Nothing to send today."),
    "col.customer": ("client", "customer"),
    "col.level": ("niveau", "level"),
    "col.channel": ("canal", "channel"),
    "col.to_pay": ("à payer", "to pay"),
    # the plan table's levels and channels, in the words of the messages and the cockpit; a
    # level the accountant named otherwise shows its own name
    **{f"level.{level}": pair for level, pair in LEVEL_WORDS.items()},
    **{f"channel.{channel}": pair for channel, pair in CHANNEL_WORDS.items()},
    "plan.credit": ("; − avoir {amount}", "; − credit {amount}"),
    "plan.to_approve": ("  [à valider]", "  [to approve]"),
    "plan.total": ("{n} relance(s) pour {customers} client(s).",
                   "{n} reminder(s) for {customers} customer(s)."),
    "plan.approval": ("{n} à valider une fois en file : relance review",
                      "{n} wait for approval once queued: relance review"),
    "cursor.start": ("début", "start"),
    "cursor.token": ("jeton …{end}", "token …{end}"),
    "paused.head": ("en pause ({n}), rien de prévu pour :", "paused ({n}), nothing planned for:"),
    "scope.invoice": ("facture", "invoice"),
    "scope.customer": ("client", "customer"),
    "delivery.dry": ("Essai à blanc : rien n'a été envoyé.", "Dry run: nothing was sent."),
    "delivery.counts": ("envoyés {sent}, écartés {skipped}, en échec {failed}, replanifiés "
                        "{retried}, incertains {uncertain}",
                        "sent {sent}, skipped {skipped}, failed {failed}, rescheduled {retried}, "
                        "uncertain {uncertain}"),
    "delivery.window": ("hors de la plage d'envoi : les relances attendent et partent à la "
                        "prochaine exécution dans la plage",
                        "outside the send window: reminders are queued and leave on the next "
                        "run inside it"),
    "delivery.stopped": ("envois par {destination} arrêtés : {why}",
                         "stopped delivering by {destination}: {why}"),
    "delivery.reason": ("  {state} : {key}… {reason}", "  {state}: {key}… {reason}"),
    "paused.row": ("  {scope} {target} : {what}", "  {scope} {target}: {what}"),
    "more": ("  … et {n} de plus", "  … and {n} more"),
    "delivery.hint_failed": ("voyez-les avec `relance outbox review --status failed` (ou "
                             "`--status planned`) ; la cause réglée, `relance outbox retry` les "
                             "envoie tout de suite",
                             "see them with `relance outbox review --status failed` (or "
                             "`--status planned`); once the cause is fixed, `relance outbox "
                             "retry` sends them now"),
    "delivery.hint_uncertain": ("incertains : vérifiez les éléments envoyés de la boîte, puis "
                                "`relance outbox resolve CLÉ --sent/--not-sent`",
                                "uncertain: check the sent mailbox, then `relance outbox resolve "
                                "KEY --sent/--not-sent`"),
    "waiting.head": ("{n} relance(s) attendent une nouvelle tentative après un échec "
                     "(`relance outbox retry` pour essayer maintenant) :",
                     "{n} reminder(s) wait for a retry after a failure (`relance outbox retry` "
                     "to try now):"),
    "waiting.row": ("  {key}… {channel} prochain essai {next} (tentative {attempts}) : {reason}",
                    "  {key}… {channel} next {next} (attempt {attempts}): {reason}"),
    "status.head": ("dossier {tenant} · source {source} · aujourd'hui {today}",
                    "tenant {tenant} · source {source} · today {today}"),
    "status.last_sync": ("dernière synchro : {when} ({status}){error}",
                         "last sync: {when} ({status}){error}"),
    "never": ("jamais", "never"),
    "run.ok": ("ok", "ok"),
    "run.failed": ("en échec", "failed"),
    "run.running": ("en cours", "running"),
    "status.records": ("enregistrements : {counts}", "records: {counts}"),
    "status.outbox": ("file d'envoi : {counts}", "outbox: {counts}"),
    "empty": ("vide", "empty"),
    "status.pending": ("{n} message(s) en attente de validation : relance review",
                       "{n} message(s) wait for approval: relance review"),
    "status.capped": ("{n} message(s) dus aujourd'hui attendent une exécution suivante "
                      "(policy.max_messages_per_run)",
                      "{n} message(s) due today wait for a later run "
                      "(policy.max_messages_per_run)"),
    "status.letters": ("lettres : {counts}", "letters: {counts}"),
    "letters.to_post": ("à poster", "to post"),
    "letters.posted": ("postées", "posted"),
    "letters.received": ("reçues", "received"),
    "status.cursors": ("curseurs (où la prochaine synchro reprend) :",
                       "cursors (where the next sync starts):"),
    "status.cursor": ("  {stream} : {value} (enregistré {when})",
                      "  {stream}: {value} (saved {when})"),
    "status.no_sync": ("aucune synchro encore : lancez `relance sync` d'abord",
                       "no sync yet: run `relance sync` first"),
    "status.tasks": ("tâches ouvertes ({n}) :", "open tasks ({n}):"),
    "status.more_tasks": ("  … et {n} de plus : relance tasks", "  … and {n} more: relance tasks"),
    "status.rejects": ("enregistrements ignorés par les dernières synchros :",
                       "records skipped by recent syncs:"),
    # firm.py: clients list, status --all, serve, db
    "firm.no_client": ("aucun client encore : ajoutez clients/<slug>.toml au répertoire du "
                       "cabinet", "no client yet: add clients/<slug>.toml to the firm directory"),
    "firm.col_client": ("client", "client"),
    "firm.col_source": ("source", "source"),
    "firm.col_last_sync": ("dernière synchro", "last sync"),
    "firm.col_open": ("encours", "open"),
    "firm.col_overdue": ("échu", "overdue"),
    "firm.col_pending": ("à valider", "pending"),
    "firm.col_errors": ("erreurs", "errors"),
    "firm.last_run": ("{client} : dernière exécution {job} {status} (lancée {started}, par "
                      "{holder})",
                      "{client}: last {job} run {status} (started {started}, by {holder})"),
    "firm.name_it": ("indiquez le répertoire du cabinet avec --firm DIR (ou RELANCE_FIRM)",
                     "name the firm directory with --firm DIR (or RELANCE_FIRM)"),
    "firm.nothing_to_serve": ("rien à servir : aucun client n'a pu être chargé",
                              "nothing to serve: no client could be loaded"),
    "db.revision": ("{url} : schéma à la révision {revision}",
                    "{url}: schema at revision {revision}"),
    "db.revision_queue": ("{url} : schéma à la révision {revision}, file de tâches "
                          "(procrastinate {version})",
                          "{url}: schema at revision {revision}, job queue "
                          "(procrastinate {version})"),
    # worker.py: relance jobs
    "jobs.client": ("client", "client"),
    "jobs.todo": ("en attente", "queued"),
    "jobs.doing": ("en cours", "running"),
    "jobs.failed": ("en échec", "failed"),
    "jobs.succeeded": ("terminées", "done"),
    "jobs.last_error": ("dernière erreur ({job}, {at}) : {message}",
                        "last error ({job}, {at}): {message}"),
    "jobs.none": ("aucune tâche dans la file (aucun `relance worker` n'a tourné sur cette "
                  "base ?)", "no job in the queue (has `relance worker` run on this database?)"),
    # views.py: a pause in words
    "hold.dispute": ("en litige", "disputed"),
    "hold.promise": ("paiement promis", "payment promised"),
    "hold.pause": ("client en pause", "customer paused"),
    "hold.bank": ("payée selon le relevé bancaire, en attente de la comptabilité",
                  "paid per the bank statement, pending the books"),
    "hold.until": (" jusqu'au {day}", " until {day}"),
    "hold.by": ("{what}, par {by}", "{what}, by {by}"),
}

MESSAGES: dict[str, tuple[str, str]] = {**LOOP, **DESK, **LINT}  # LINT: `rules check`
if len(MESSAGES) != len(LOOP) + len(DESK) + len(LINT):  # a key twice: one would hide another
    raise RuntimeError("catalogue keys twice: "
                       f"{sorted((LOOP.keys() & DESK.keys()) | ((LOOP | DESK).keys() & LINT))}")
