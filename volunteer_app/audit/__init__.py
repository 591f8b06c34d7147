"""Append-only audit log: who changed which record, when, from what to what, and why."""
