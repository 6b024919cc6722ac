"""Governance services: the governance domain's public API. The code lives in the sub-modules, one area
each; this module re-exports their public names (``__all__``), so callers keep one import
(``from raigov.governance import service as gov``; ``gov.sync(...)``, ``gov.decide(...)``).

- ``requirements``: what a use case requires (``requirements_of``) and ``sync``, which opens its reviews
  and creates its practices;
- ``reviews/service``: reviews, comments, decisions, cycles, assignment, conditions, the queue;
- ``practices/service``: practices, evidence, the impact assessment and the risk acceptance;
- ``waivers/service``: waivers and pilots (the CAIO's, not delegable);
- ``authorization``: the gate's reads (``gate_input``, ``authorization``, ``use_case_gate``); ``gate.py``
  is the gate's pure logic and ``lanes.py`` the lanes and routes (``lanes.yaml``);
- ``views``: read views for the adapters (``governance_view``, ``list_waivers`` ...).

Every write checks the permission first, validates, writes and records its audit event in the same
transaction. Writes that change a current state lock the row and bump its ``version``, so two people acting
at once never overwrite each other: the second gets a Conflict naming what happened. See
docs/architecture.md, "The governance domain and its sub-folders".
"""

from __future__ import annotations

from raigov.audit.canonical import sha256_json
from raigov.governance.authorization import authorization, gate_input, use_case_gate
from raigov.governance.lanes import GovernanceConfig, Lane, Requirements, config
from raigov.governance.practices.service import (
    ASSESSMENT_CITATION,
    ASSESSMENT_SECTIONS,
    EVIDENCE_CATEGORIES,
    PRACTICE_STATUSES,
    accept_risk,
    acceptance_package,
    add_file,
    add_link,
    attach_body_record,
    check_attach,
    evidence_of,
    evidence_store,
    get_evidence,
    independent_review_comments,
    latest_assessment,
    latest_risk_acceptance,
    link_evidence,
    may_read_evidence,
    package_body,
    practices_of,
    risk_acceptance_state,
    save_assessment,
    update_practice,
)
from raigov.governance.requirements import requirements_of, sync, sync_if_allowed
from raigov.governance.reviews.service import (
    DECISIONS,
    QueueRow,
    QueueView,
    assign,
    close_condition,
    comment,
    decide,
    eligible_reviewers,
    lane_refusal,
    may_queue_all,
    queue,
    queue_view,
    reopen,
    resubmit,
    reviews_of,
)
from raigov.governance.views import (
    WAIVER_LIST_STATUSES,
    GovernanceView,
    LaneView,
    WaiverEntry,
    governance_view,
    list_waivers,
    review_use_case,
)
from raigov.governance.waivers.service import (
    WAIVER_GROUNDS,
    certify_pilot,
    certify_waiver,
    end_pilot,
    grant_waiver,
    mark_waiver_reported,
    pilots_of,
    revoke_waiver,
    waivers_of,
)

__all__ = [
    "ASSESSMENT_CITATION", "ASSESSMENT_SECTIONS", "DECISIONS", "EVIDENCE_CATEGORIES", "PRACTICE_STATUSES",
    "WAIVER_GROUNDS", "WAIVER_LIST_STATUSES", "GovernanceConfig", "GovernanceView", "Lane", "LaneView",
    "QueueRow", "QueueView", "Requirements", "WaiverEntry", "accept_risk", "acceptance_package", "add_file",
    "add_link", "assign", "attach_body_record", "authorization", "certify_pilot", "certify_waiver", "check_attach",
    "close_condition", "comment", "config", "decide", "eligible_reviewers", "end_pilot", "evidence_of", "evidence_store",
    "gate_input", "get_evidence", "governance_view", "grant_waiver", "independent_review_comments",
    "lane_refusal", "latest_assessment", "latest_risk_acceptance", "link_evidence", "list_waivers",
    "mark_waiver_reported", "may_queue_all", "may_read_evidence", "package_body", "pilots_of",
    "practices_of", "queue", "queue_view", "reopen", "requirements_of", "resubmit", "review_use_case",
    "reviews_of", "revoke_waiver", "risk_acceptance_state", "save_assessment", "sha256_json", "sync",
    "sync_if_allowed", "update_practice", "use_case_gate", "waivers_of",
]
