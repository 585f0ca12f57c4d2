#!/bin/sh
# rescheduler's nightly job (install as /usr/local/bin/rescheduler-nightly).
#
# Takes the file the upstream export dropped in the inbox and runs it in a folder of its own,
# where its results, errors file, journal and run record stay:
#     $RESCHEDULER_RUNS/<date>T<time>-<pid>/changes.csv, .results.csv, .errors.csv, .run.json
# A night without a file is `rescheduler run` on a file that is not there: one line, the alert,
# exit 4. Yesterday's file is never sent again: it left the inbox when it was run.
# The export must appear in the inbox whole: written elsewhere, then renamed into it.
#
# Usage: rescheduler-nightly [rescheduler run options: --config, --metrics-file, ...]
# Environment (defaults in brackets): RESCHEDULER_INBOX [/var/lib/rescheduler/inbox],
# RESCHEDULER_RUNS [/var/lib/rescheduler/runs], RESCHEDULER_INPUT_NAME [changes.csv],
# RESCHEDULER_BIN [rescheduler]. Exit code: rescheduler run's (0 1 2 3 4, see the README); 2
# when this script cannot make the night's folder or move the file there.
set -eu
inbox=${RESCHEDULER_INBOX:-/var/lib/rescheduler/inbox}
runs=${RESCHEDULER_RUNS:-/var/lib/rescheduler/runs}
name=${RESCHEDULER_INPUT_NAME:-changes.csv}
night="$runs/$(date +%Y-%m-%dT%H%M%S)-$$"
# The script's own failures are setup problems with nothing sent: exit 2 (never 1, which says
# "rows failed").
mkdir -p "$night" || exit 2
if [ -e "$inbox/$name" ]; then
    mv "$inbox/$name" "$night/$name" || exit 2
fi
exec "${RESCHEDULER_BIN:-rescheduler}" run "$night/$name" "$@"
