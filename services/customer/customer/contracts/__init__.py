"""Contracts (合同) of an opportunity: approval before they count, activation and expiry, and invoices (发票)."""
