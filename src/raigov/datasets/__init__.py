"""The dataset registry: data cards, versions with SHA-256, the use cases that use them and the evaluation runs
whose input matches a version; the data section of a use case's impact assessment is pre-filled from it."""
