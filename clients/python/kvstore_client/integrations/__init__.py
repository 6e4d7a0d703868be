"""Adapters that plug kvstore into inference engines (each imports its engine's pieces lazily)."""
