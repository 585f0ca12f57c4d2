"""Alerts where the team already looks: a short message to a chat webhook after a run.

``config`` parses ``[notify]``; ``message`` turns a run record into a short text (pure);
``formats`` builds each service's request body and signature and judges its answer (pure);
``deliver`` posts it with retries (the only module here that does I/O).
"""
