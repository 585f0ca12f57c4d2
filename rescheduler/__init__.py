"""rescheduler: bulk-reschedule reserved outbound calls on a Huawei CC-iSales server.

The engine is a library; the command line (``rescheduler.cli``) and the upload page are thin
faces on it. Importing this package is cheap: heavy modules load when a code path needs them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
