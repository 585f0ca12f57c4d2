"""The upload page for supervisors (``rescheduler serve``), on the engine the CLI uses.

cli.py       serve_command, user_group (registered lazily by rescheduler.cli)
app.py       the aiohttp application: routes, security headers, start and shutdown
auth.py      sessions, CSRF and Origin checks, sign-in and sign-out
passwords.py scrypt hashes          throttle.py  sign-in throttling
store.py     SQLite (accounts, sessions, history) and one folder per run
uploads.py   streamed uploads with a size limit; safe file names
preview.py   the engine's dry run, read back for the page, plus sample requests
runs.py      checks and runs as background tasks: Progress, StopControl, Resume
views.py     the page handlers          pages.py  Jinja2 rendering
templates/   the HTML                    static/   style.css, app.js (progress polling)
"""
