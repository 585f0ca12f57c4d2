"""Writing: every row's outcome, recorded durably and reported.

``journal`` records each final row for ``--resume``; ``reorder`` puts results back in input
order; ``report`` streams the results and errors files; ``safecell`` neutralises formulas;
``summary`` counts outcomes for the one-screen summary; ``table`` writes a table of text
cells (CSV or XLSX) that reads back exactly as input; ``atomic`` gives a file its final name
only when it is complete; ``recordfile`` saves the run record and the metrics file.
"""
