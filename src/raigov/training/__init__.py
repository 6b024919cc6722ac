"""The training ledger: courses (data), completions per person, expiry, reminders (docs/training.md)."""
