"""The dashboard's blueprints and services; `app.py` is the entry point that wires them."""
