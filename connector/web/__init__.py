"""The collector's cockpit: a server-rendered web application over the store (`relance web`).

Pages call the same application functions as the CLI (app/review.py, app/tasks.py,
store/pauses.py, app/letters.py, app/history.py, reports/); nothing here decides anything.
"""
