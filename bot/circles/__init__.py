"""Circles: teams linking with teams through representatives (DESIGN.md, Circles)."""
