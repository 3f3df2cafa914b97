"""Metrics (WHAM/GVHMR protocol) and benchmark tables."""
