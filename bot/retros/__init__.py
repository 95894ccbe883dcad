"""The retrospective and the team health check: every few weeks the team looks back (the
period's statistics and stories), reflects, votes, and its chosen improvements become tensions."""
