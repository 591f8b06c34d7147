"""Volunteer identity, remembered devices, personal pages."""
