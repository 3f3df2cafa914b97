"""Rotations, camera projection, planes and similarity alignment."""
