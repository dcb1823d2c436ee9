"""Shared plumbing of the CRM services. Only plumbing lives here: no service's domain."""
