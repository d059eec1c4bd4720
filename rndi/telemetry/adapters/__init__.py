"""The observers: ``null`` records nothing; ``azure`` and ``otlp`` export OpenTelemetry
spans (to Azure Monitor, or to any OTLP collector)."""
