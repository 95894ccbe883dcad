"""Roles: distributed leadership — a team's roles, their holders, rotation and history."""
