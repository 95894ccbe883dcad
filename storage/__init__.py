"""SQLModel tables, the engine and the queries retrobot shares.

storage imports nothing of bot/, handlers/ or prompts/: they depend on it, never the reverse.
"""
