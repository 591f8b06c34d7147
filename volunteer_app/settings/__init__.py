"""App-wide settings an administrator changes at runtime (e.g. the star-level preset).

The values are read and written through ``settings.services``; the pages that change them
belong to the area that uses the value (the star preset: ``volunteers.manage``).
"""
