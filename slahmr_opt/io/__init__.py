"""Readers and writers, one module per family of formats."""
