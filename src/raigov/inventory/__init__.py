"""The AI use case inventory: OMB field catalogue, readers, exporters and reporting checks."""
