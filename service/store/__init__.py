"""The audit trail, feedback and rule suppressions, kept in a database (SQLite or PostgreSQL).

`Store.open(url, spool_dir)` migrates the schema and starts a background writer; the hook path only
enqueues (`record_call`) and asks for suppressions within a short timeout (`suppressed_rules`).
"""

from service.store.hashing import patient_hash
from service.store.records import (
    CallAudit,
    CardAudit,
    FeedbackOutcome,
    RuleReport,
    Suppression,
)
from service.store.report import report_csv, report_json, report_text, since_datetime
from service.store.store import Store

__all__ = [
    "CallAudit",
    "CardAudit",
    "FeedbackOutcome",
    "RuleReport",
    "Store",
    "Suppression",
    "patient_hash",
    "report_csv",
    "report_json",
    "report_text",
    "since_datetime",
]
