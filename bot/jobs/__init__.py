"""The scheduler, its triggers and its process: jobs call use cases."""
