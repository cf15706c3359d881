"""Words of the report, French by default, English with `--lang en`. Keys are the machine names
used in JSON and CSV headers; these are what a person reads (terminal, HTML, XLSX)."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        # tables
        "t_summary": "Indicateurs", "t_aging": "Balance âgée par client",
        "t_reminders": "Efficacité des relances par niveau",
        "t_payers": "Comportement de paiement par client",
        "t_forecast": "Prévision d'encaissements par semaine", "t_dso_trend": "Évolution du DSO",
        # summary indicators
        "receivables_gross": "Encours clients (factures)", "open_credit_notes": "Avoirs non imputés",
        "receivables_net": "Encours net des avoirs", "overdue": "Échu (en retard)",
        "current_net": "Non échu, net des avoirs", "disputed": "Dont en litige",
        "sales": "Facturé sur la période, net des avoirs",
        "receivables_begin": "Encours net en début de période",
        "dso": "DSO, méthode du ratio", "dso_countback": "DSO, méthode de l'épuisement",
        "best_dso": "Meilleur DSO possible", "add": "Retard moyen de paiement (ADD)",
        "overdue_rate_amount": "Taux de retard en montant",
        "overdue_rate_count": "Taux de retard en nombre de factures",
        "overdue_invoices": "Factures en retard", "open_invoices": "Factures ouvertes",
        "cei": "Efficacité du recouvrement (CEI)", "paid_items": "Échéances payées observées",
        "avg_days_late": "Retard moyen à l'encaissement", "late_percent": "Part payée en retard",
        "forecast_total": "Encaissements attendus sur l'horizon",
        "forecast_later": "Attendu au-delà de l'horizon",
        "forecast_doubtful": "Douteux (plus de 90 jours de retard, non prévu)",
        # columns
        "indicator": "Indicateur", "value": "Valeur", "unit": "Unité", "key": "Clé",
        "tenant": "Dossier", "customer_id": "Code client", "customer": "Client",
        "not_due": "Non échu", "d1_30": "1–30 j", "d31_60": "31–60 j", "d61_90": "61–90 j",
        "d91_plus": "> 90 j", "gross": "Total factures", "credits": "Avoirs", "net": "Solde net",
        "level": "Niveau", "reminded": "Échéances relancées", "paid": "Payées dans le délai",
        "unpaid": "Non payées", "pending": "Délai en cours", "credited": "Annulées par avoir",
        "rate": "Taux de succès", "spread": "Dispersion (j)", "score": "Score",
        "week": "Semaine du", "expected": "Attendu", "low": "Bas", "high": "Haut",
        "day": "Date", "receivables": "Encours net", "open": "Ouvertes",
        # units and words
        "u_money": "€", "u_days": "j", "u_percent": "%", "u_count": "nb", "total": "Total",
        "title": "Tableau de bord du recouvrement", "as_of": "au", "period": "période",
        "days": "jours", "window": "délai de paiement après relance", "of": "sur",
        "c_aging": "Balance âgée", "c_forecast": "Encaissements attendus par semaine",
        "c_dso": "DSO fin de mois", "c_late": "Plus gros retards (montant échu)",
        "band": "bande à 80 %", "none": "—", "skipped": "Documents dans une autre devise, "
        "non inclus", "no_data": "Aucune donnée", "formulas": "Les formules sont expliquées "
        "dans docs/kpis.md.", "credit_note_line": "Avoirs non imputés déduits",
        "col_paid_items": "Échéances payées", "col_avg_days_late": "Retard moyen",
        "col_late_percent": "Payées en retard", "col_sales": "Facturé (période)",
        "col_dso": "DSO ratio", "col_dso_countback": "DSO épuisement",
    },
    "en": {
        "t_summary": "Key figures", "t_aging": "Aged balance by customer",
        "t_reminders": "Reminder success by level", "t_payers": "Payment behaviour by customer",
        "t_forecast": "Weekly cash-in forecast", "t_dso_trend": "DSO trend",
        "receivables_gross": "Receivables (invoices)", "open_credit_notes": "Open credit notes",
        "receivables_net": "Receivables net of credit notes", "overdue": "Overdue",
        "current_net": "Not yet due, net of credit notes", "disputed": "Of which disputed",
        "sales": "Invoiced over the period, net of credit notes",
        "receivables_begin": "Net receivables at the start of the period",
        "dso": "DSO, ratio method", "dso_countback": "DSO, count-back method",
        "best_dso": "Best possible DSO", "add": "Average days delinquent (ADD)",
        "overdue_rate_amount": "Overdue rate by amount",
        "overdue_rate_count": "Overdue rate by number of invoices",
        "overdue_invoices": "Overdue invoices", "open_invoices": "Open invoices",
        "cei": "Collection effectiveness index (CEI)", "paid_items": "Paid items observed",
        "avg_days_late": "Average days late when paid", "late_percent": "Share paid late",
        "forecast_total": "Expected cash-in over the horizon",
        "forecast_later": "Expected after the horizon",
        "forecast_doubtful": "Doubtful (over 90 days late, not forecast)",
        "indicator": "Indicator", "value": "Value", "unit": "Unit", "key": "Key",
        "tenant": "Client file", "customer_id": "Customer id", "customer": "Customer",
        "not_due": "Not yet due", "d1_30": "1–30 d", "d31_60": "31–60 d", "d61_90": "61–90 d",
        "d91_plus": "> 90 d", "gross": "Invoices total", "credits": "Credit notes", "net": "Net",
        "level": "Level", "reminded": "Items reminded", "paid": "Paid in time", "unpaid": "Unpaid",
        "pending": "Window running", "credited": "Credited", "rate": "Success rate",
        "spread": "Spread (d)", "score": "Score", "week": "Week of", "expected": "Expected",
        "low": "Low", "high": "High", "day": "Date", "receivables": "Net receivables",
        "open": "Open",
        "u_money": "€", "u_days": "d", "u_percent": "%", "u_count": "n", "total": "Total",
        "title": "Collections dashboard", "as_of": "as of", "period": "period", "days": "days",
        "window": "payment window after a reminder", "of": "of",
        "c_aging": "Aged balance", "c_forecast": "Expected cash-in per week",
        "c_dso": "Month-end DSO", "c_late": "Largest late payers (overdue amount)",
        "band": "80 % band", "none": "—", "skipped": "Documents in another currency, not included",
        "no_data": "No data", "formulas": "The formulas are explained in docs/kpis.md.",
        "credit_note_line": "Open credit notes deducted",
        "col_paid_items": "Paid items", "col_avg_days_late": "Avg days late",
        "col_late_percent": "Paid late", "col_sales": "Invoiced (period)",
        "col_dso": "DSO ratio", "col_dso_countback": "DSO count-back",
    },
}


def labels(language: str) -> dict[str, str]:
    return LABELS.get(language, LABELS["fr"])
