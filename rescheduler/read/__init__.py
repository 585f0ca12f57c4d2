"""Reading: an input file becomes validated update requests.

``reader`` (CSV family: ``encoding`` with its judges ``textjudge``, ``scriptjudge``,
``utf8judge`` and ``textscan``; ``csvtable``, ``csvrecords``) and ``xlsx`` (``xlsxlook``,
``xlsxparts``, ``xmltext``, ``xlsxscan``, ``xlsxstream``; ``xls``, ``sheet`` for the other
workbooks) open the file as a lazy table of text cells with spreadsheet line numbers;
``columns`` matches headers to API fields; ``times`` parses ``appointTime`` (``daynumber``:
Excel day numbers and the horizon; ``timeerror``: its error); ``validate`` turns one row into
an ``UpdateRequest`` or its problems (``RowValidator``: once per file); ``dedupe`` finds
repeated reservations across the whole file in bounded memory.
"""
