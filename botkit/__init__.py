"""The bot process's parts; `bot.py` is the entry point that wires them."""
