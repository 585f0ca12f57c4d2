"""The upload page for supervisors (``rescheduler serve``), on the engine the CLI uses.

cli.py       serve_command, user_group (registered lazily by rescheduler.cli)
app.py       the aiohttp application: routes, security headers, start and shutdown
auth.py      sessions, CSRF and Origin checks, sign-in and sign-out
passwords.py scrypt hashes          throttle.py  sign-in throttling (reserved before hashing)
roles.py     viewer/supervisor/admin    proxy.py     web.trusted_proxies, X-Forwarded-*
store.py     SQLite (accounts, sessions, history; migrated in place) and one folder per run
records.py   the store's plain data     audit.py     the append-only audit log
uploads.py   streamed uploads with a size limit; safe file names
checks.py    one bounded worker process per check, a few at a time; cancel
checkjob.py  the worker: limits itself, zipbounds.py (archive bounds), then the preview
preview.py   the engine's dry run, read back for the page, plus sample requests
runs.py      runs as background tasks: Progress, StopControl, Resume; delete; retention
views.py     the page handlers          files.py  a run's downloads
admin.py     settings and disk used     pages.py  Jinja2 rendering
templates/   the HTML                    static/   style.css, app.js (progress polling)
"""
