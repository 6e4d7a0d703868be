"""The reference engine: a small torch transformer whose prefix KV is cached in kvstore (see engine.py)."""
