"""Cache adapters, one sub-package per driver; only the redis one needs an extra."""
