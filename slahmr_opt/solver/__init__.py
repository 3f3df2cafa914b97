"""The staged optimizer and its initialisation."""
