"""Helpers shared by tests: starting real local services, free ports."""
