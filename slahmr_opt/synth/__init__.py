"""Procedural motion and synthetic scenes with exact ground truth."""
