"""Reading: an input file becomes validated update requests.

``reader`` (CSV family) and ``xlsx`` open the file as a lazy table of text cells with
spreadsheet line numbers; ``columns`` matches headers to API fields; ``times`` parses
``appointTime``; ``validate`` turns one row into an ``UpdateRequest`` or its problems;
``dedupe`` finds repeated reservations across the whole file in bounded memory.
"""
