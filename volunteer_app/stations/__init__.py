"""District → centre → station hierarchy."""
