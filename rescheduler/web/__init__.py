"""The upload page for supervisors (``rescheduler serve``), on the engine the CLI uses.

cli.py       serve_command, user_group (registered lazily by rescheduler.cli)
app.py       the aiohttp application: routes, security headers, start and shutdown
serving.py   listening: the guarded runner, TLS, signals, quiet accept errors
guard.py     per-connection guard: request deadlines, connection caps, parser refusals
headers.py   the security headers every response carries
auth.py      sessions, CSRF and Origin checks, sign-in and sign-out
passwords.py scrypt hashes          throttle.py  sign-in throttling (reserved before hashing)
devices.py   the signed known-device cookie (a sign-in slot of its own)
roles.py     viewer/supervisor/admin    proxy.py     web.trusted_proxies, X-Forwarded-*
store.py     SQLite (accounts, sessions, history) and one folder per run
database.py  the SQLite file: schema, migrations in place, transactions
records.py   the store's plain data     audit.py     the append-only audit log
uploads.py   streamed uploads with a size limit; safe file names
quota.py     the disk an upload may cost: per file, per person (web.quota_mb)
workers.py   starting and bounding worker processes (no secrets in their environment)
checks.py    one bounded worker process per check, a few at a time; cancel
checkjob.py  the check worker: limits itself, zipbounds.py (archive bounds), then the preview
preview.py   the engine's dry run, read back for the page, plus sample requests
runs.py      runs: start, Stop, Resume, their end on the page; delete; retention
runjob.py    the run worker (engine.run, run record, alert)   sender.py  the server's side of it
scrub.py     messages without server paths or keys
views.py     the page handlers          files.py  a run's downloads
admin.py     settings and disk used     pages.py  Jinja2 rendering
templates/   the HTML                    static/   style.css, app.js (progress polling)
"""
