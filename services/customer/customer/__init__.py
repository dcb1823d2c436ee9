"""Customers, stages and the organisation."""
