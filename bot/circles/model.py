"""What circles work with: an issue several teams share, and a circle's decision to post."""

from __future__ import annotations

from dataclasses import dataclass

# Where this many teams or more have open tensions on the same role or area, it is an issue in
# common (DESIGN.md): fewer could be one team's matter told twice.
COMMON_TEAMS = 3
# At most this many issues in common are shown at once.
ISSUES_SHOWN = 10


@dataclass(frozen=True)
class CommonIssue:
    """A role or area on which several teams have open tensions: how many teams, how many
    tensions; never who raised them or what they wrote."""

    label: str  # the role's name, or the area as the tensions' raisers wrote it
    teams: int
    tensions: int
