"""Residents order services (点单): the order, its review, dispatch, service and rating."""
