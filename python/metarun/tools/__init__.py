"""Tools built on the graph API: freezing (freeze.py)."""
