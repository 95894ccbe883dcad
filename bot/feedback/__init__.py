"""Peer feedback: appreciation and suggestions, and feedback asked for."""
