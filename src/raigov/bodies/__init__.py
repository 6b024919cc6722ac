"""The governance bodies (the AI Governance Board, the AI Council, the Responsible Use Group, the AI Policy
Working Group): their charters as data (bodies.yaml), members, meetings, agendas, attendance, minutes,
decisions and recommendations with votes (docs/bodies.md)."""
