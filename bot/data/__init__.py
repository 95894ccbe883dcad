"""A team's data: export, import, retention and delivery status."""
