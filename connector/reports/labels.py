"""Words of the report: French by default, English with `--lang en`.

Keys are the machine names used in JSON and CSV headers; the words are what a person reads
(terminal, HTML, XLSX). One entry per key with both languages side by side, so none is
forgotten.
"""

from __future__ import annotations

LANGUAGES = ("fr", "en")
WORDS: dict[str, tuple[str, str]] = {
    "t_summary": ("Indicateurs", "Key figures"),
    "t_aging": ("Balance âgée par client", "Aged balance by customer"),
    "t_reminders": ("Efficacité des relances par niveau", "Reminder success by level"),
    "t_payers": ("Comportement de paiement par client", "Payment behaviour by customer"),
    "t_forecast": ("Prévision d'encaissements par semaine", "Weekly cash-in forecast"),
    "t_dso_trend": ("Évolution du DSO", "DSO trend"),
    "receivables_gross": ("Encours clients (factures)", "Receivables (invoices)"),
    "open_credit_notes": ("Avoirs non imputés", "Open credit notes"),
    "receivables_net": ("Encours net des avoirs", "Receivables net of credit notes"),
    "overdue": ("Échu (en retard)", "Overdue"),
    "current_net": ("Non échu, net des avoirs", "Not yet due, net of credit notes"),
    "disputed": ("Dont en litige", "Of which disputed"),
    "sales": (
        "Facturé sur la période, net des avoirs",
        "Invoiced over the period, net of credit notes"),
    "receivables_begin": (
        "Encours net en début de période",
        "Net receivables at the start of the period"),
    "dso": ("DSO, méthode du ratio", "DSO, ratio method"),
    "dso_countback": ("DSO, méthode de l'épuisement", "DSO, count-back method"),
    "best_dso": ("Meilleur DSO possible", "Best possible DSO"),
    "add": ("Retard moyen de paiement (ADD)", "Average days delinquent (ADD)"),
    "overdue_rate_amount": ("Taux de retard en montant", "Overdue rate by amount"),
    "overdue_rate_count": (
        "Taux de retard en nombre de factures",
        "Overdue rate by number of invoices"),
    "overdue_invoices": ("Factures en retard", "Overdue invoices"),
    "open_invoices": ("Factures ouvertes", "Open invoices"),
    "cei": ("Efficacité du recouvrement (CEI)", "Collection effectiveness index (CEI)"),
    "paid_items": ("Échéances payées observées", "Paid items observed"),
    "avg_days_late": ("Retard moyen à l'encaissement", "Average days late when paid"),
    "late_percent": ("Part payée en retard", "Share paid late"),
    "forecast_total": ("Encaissements attendus sur l'horizon", "Expected cash-in over the horizon"),
    "forecast_later": ("Attendu au-delà de l'horizon", "Expected after the horizon"),
    "forecast_doubtful": (
        "Douteux (plus de 90 jours de retard, non prévu)",
        "Doubtful (over 90 days late, not forecast)"),
    "indicator": ("Indicateur", "Indicator"),
    "value": ("Valeur", "Value"),
    "unit": ("Unité", "Unit"),
    "key": ("Clé", "Key"),
    "tenant": ("Dossier", "Client file"),
    "customer_id": ("Code client", "Customer id"),
    "customer": ("Client", "Customer"),
    "not_due": ("Non échu", "Not yet due"),
    "d1_30": ("1–30 j", "1–30 d"),
    "d31_60": ("31–60 j", "31–60 d"),
    "d61_90": ("61–90 j", "61–90 d"),
    "d91_plus": ("> 90 j", "> 90 d"),
    "gross": ("Total factures", "Invoices total"),
    "credits": ("Avoirs", "Credit notes"),
    "net": ("Solde net", "Net"),
    "level": ("Niveau", "Level"),
    "reminded": ("Échéances relancées", "Items reminded"),
    "paid": ("Payées dans le délai", "Paid in time"),
    "unpaid": ("Non payées", "Unpaid"),
    "pending": ("Délai en cours", "Window running"),
    "credited": ("Annulées par avoir", "Credited"),
    "judged": ("Jugées (payées + non payées)", "Judged (paid + unpaid)"),
    "rate": ("Taux de succès (sur les jugées)", "Success rate (of judged)"),
    "spread": ("Dispersion (j)", "Spread (d)"),
    "score": ("Score", "Score"),
    "week": ("Semaine du", "Week of"),
    "expected": ("Attendu", "Expected"),
    "low": ("Bas", "Low"),
    "high": ("Haut", "High"),
    "day": ("Date", "Date"),
    "receivables": ("Encours net", "Net receivables"),
    "open": ("Ouvertes", "Open"),
    "u_money": ("€", "€"),
    "u_days": ("j", "d"),
    "u_percent": ("%", "%"),
    "u_count": ("nb", "n"),
    "total": ("Total", "Total"),
    "title": ("Tableau de bord du recouvrement", "Collections dashboard"),
    "as_of": ("au", "as of"),
    "period": ("période", "period"),
    "days": ("jours", "days"),
    "window": ("délai de paiement après relance", "payment window after a reminder"),
    "of": ("sur", "of"),
    "c_aging": ("Balance âgée", "Aged balance"),
    "c_forecast": ("Encaissements attendus par semaine", "Expected cash-in per week"),
    "c_dso": ("DSO fin de mois", "Month-end DSO"),
    "c_late": ("Plus gros retards (montant échu)", "Largest late payers (overdue amount)"),
    "band": ("bande à 80 %", "80 % band"),
    "none": ("—", "—"),
    "hidden": ("Colonnes masquées à cette largeur", "Columns hidden at this width"),
    "skipped": (
        "Documents dans une autre devise, non inclus",
        "Documents in another currency, not included"),
    "no_data": ("Aucune donnée", "No data"),
    "formulas": (
        "Les formules sont expliquées dans docs/kpis.md.",
        "The formulas are explained in docs/kpis.md."),
    "credit_note_line": ("Avoirs non imputés déduits", "Open credit notes deducted"),
    "col_paid_items": ("Échéances payées", "Paid items"),
    "col_avg_days_late": ("Retard moyen", "Avg days late"),
    "col_late_percent": ("Payées en retard", "Paid late"),
    "col_sales": ("Facturé (période)", "Invoiced (period)"),
    "col_dso": ("DSO ratio", "DSO ratio"),
    "col_dso_countback": ("DSO épuisement", "DSO count-back"),
}
LABELS: dict[str, dict[str, str]] = {
    language: {key: pair[n] for key, pair in WORDS.items()}
    for n, language in enumerate(LANGUAGES)}


def labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["fr"])
