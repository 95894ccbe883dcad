"""Weekly team summaries and coach digests, with their charts."""
