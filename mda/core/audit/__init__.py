"""The audit trail: an append-only, hash-chained log with NEN 7513 fields.

Writing and chaining are two steps, so that no request waits on a global lock and a request commits once:

1. **Record** (:mod:`.records`). Services call :func:`record` in the unit of work of the change they make;
   the rows are inserted when it commits, in the same transaction (PostgreSQL: *pending*, ``seq`` NULL and
   no hash, touching no shared row; SQLite: sealed at once, it admits one writer anyway).
2. **Seal** (:mod:`.sealer`, :mod:`.chain`). A sealer thread in each process chains pending rows in batches
   shortly after their commit, one sealer at a time under the chain-head lock, with a bounded lag exported
   to Prometheus; rows a killed process left are swept up later. ``flask audit-verify`` recomputes the chain
   (naming the first altered or missing row) and reports rows still pending as pending, not as broken.

Once sealed, a row is fixed: the database triggers refuse every UPDATE and DELETE except the single
transition from pending to sealed that fills only ``seq``, ``prev_hash`` and ``hash``.
"""

from mda.core.audit.chain import SEAL_STATEMENT, ChainReport, Sealed, seal_pending, verify_chain
from mda.core.audit.models import GENESIS_HASH, AuditEvent, AuditHead, canonical
from mda.core.audit.records import (
    _PENDING_KEY,
    ACTIONS,
    SURVIVING_ACTIONS,
    Entry,
    acting_from,
    discard_since,
    organisation_of,
    pending_mark,
    pending_since,
    queue,
    record,
    take_surviving_events,
)
from mda.core.audit.sealer import Sealer, configure, sealer_for

_SEAL_STATEMENT = SEAL_STATEMENT  # the name tests/core/test_audit.py checks

__all__ = [
    "ACTIONS", "GENESIS_HASH", "SEAL_STATEMENT", "SURVIVING_ACTIONS", "_PENDING_KEY", "AuditEvent", "AuditHead",
    "ChainReport", "Entry", "Sealed", "Sealer", "acting_from", "canonical", "configure", "discard_since",
    "init_app", "organisation_of", "pending_mark", "pending_since", "queue", "record", "seal_pending",
    "sealer_for", "take_surviving_events", "verify_chain",
]


def init_app(app) -> None:
    """Apply the app's sealer settings (``AUDIT_SEALER``, ``AUDIT_SEAL_DELAY``, ``AUDIT_SEAL_SWEEP``)."""
    configure(app)
