"""Deciding together: proposals decided by the advice process or by integrated decision-making,
and the team's decision log (DESIGN.md, Deciding)."""
