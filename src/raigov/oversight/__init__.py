"""Human oversight of AI-assisted decisions: the decision ledger, the prohibitions checked at decision time
(policy data, rules.py), the operator roster and face-recognition opt-outs (docs/oversight.md)."""
