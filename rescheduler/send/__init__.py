"""Sending: validated requests go to the server, signed, paced and retried.

``plan`` serialises each body once; ``auth`` signs (auth-v2); ``ratelimit`` and ``retry``
are the pacing and retry policies; ``transport`` is the only aiohttp client module and
``answers`` says what an answer means (pure); ``pool`` holds the project's only task group,
``rowresults`` makes each row's final result and ``stop`` stops it (signals, limits).
"""
