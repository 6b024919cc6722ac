"""AI acquisition: solicitations and contracts that acquire AI, their vendors, and the AI contract requirements
(requirements.yaml) tracked per contract; a use case served by a contract missing one is not authorized."""
