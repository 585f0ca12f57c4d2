"""The 0.1 XLSX reader's reading alone, for bench.py's scenario (x): a lower bound of 0.1's time.

    python benchmarks/xlsx_openpyxl.py WORKBOOK

Reads the first sheet twice with openpyxl in read-only mode with cached values, as rescheduler
0.1 did (pass one, then pass two), turning every cell into text, and validates nothing. 0.1's
``validate`` did this and more, so ``bench.py`` compares the new reader against less than 0.1
really took.
"""

from __future__ import annotations

import sys


def main() -> None:
    import openpyxl

    rows = 0
    for _ in range(2):
        book = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
        for values in book.worksheets[0].iter_rows(values_only=True):
            rows += bool([("" if v is None else str(v)) for v in values])
        book.close()
    print(f"read {rows // 2} rows twice")


if __name__ == "__main__":
    main()
