"""The App Home tab: what is yours to do, composed from each capability."""
