"""The ground every capability stands on: settings, app.yaml, errors, ids, time, text.

Imports nothing else of the project."""
