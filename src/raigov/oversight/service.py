"""The oversight domain's public API (docs/oversight.md): the decision ledger (ledger.py), its reads and proofs,
the operator roster and opt-outs (people.py). Callers write ``from raigov.oversight import service as oversight``."""

from raigov.oversight.appeals import decide_appeal, file_appeal, get_appeal, list_appeals
from raigov.oversight.ledger import LedgerResult, WriteAlone, item_of, record_decisions, record_group
from raigov.oversight.notices import get_notice, set_notice
from raigov.oversight.people import (
    check_opt_out,
    operators,
    record_operator,
    record_opt_out,
    remove_operator,
)
from raigov.oversight.proofs import prove
from raigov.oversight.reads import decision_out, get_decision, list_decisions, overview, stats
from raigov.oversight.review import (
    declare_protected,
    get_settings,
    justify_protected,
    set_scale,
    visible_alerts,
)
from raigov.oversight.schemas import MAX_BATCH, DecisionIn, parse_batch, parse_decision
from raigov.oversight.signals import evaluate as evaluate_signals
from raigov.oversight.subjects import load_key, pseudonym
from raigov.oversight.trends import trends

__all__ = [
    "MAX_BATCH",
    "DecisionIn",
    "LedgerResult",
    "WriteAlone",
    "check_opt_out",
    "decide_appeal",
    "decision_out",
    "declare_protected",
    "evaluate_signals",
    "file_appeal",
    "get_appeal",
    "get_decision",
    "get_notice",
    "get_settings",
    "item_of",
    "justify_protected",
    "list_appeals",
    "list_decisions",
    "load_key",
    "operators",
    "overview",
    "parse_batch",
    "parse_decision",
    "prove",
    "pseudonym",
    "record_decisions",
    "record_group",
    "record_operator",
    "record_opt_out",
    "remove_operator",
    "set_notice",
    "set_scale",
    "stats",
    "trends",
    "visible_alerts",
]
