"""Reading the server's state: what is there now, as a file a person (or ``run``) can use.

``listing`` builds an ``appoint/list`` page request and reads its answer (pure: filters, the
page body, totalCount and items kept exactly as sent); ``pager`` pages through a listing in
sweeps with the run's own pool, transport, signing, retries and rate limit, into ``staging``,
the on-disk journal of pages and items (deduplicated by appointId, resumable); ``wall`` writes,
moves and shifts times in the configured zone (pure); ``rules`` are ``--set``, ``--shift`` and
``--move-to-date`` (pure); ``changefile`` turns listed items into rows of a valid input file
(pure); ``export`` wires them into ``rescheduler export``.
"""
