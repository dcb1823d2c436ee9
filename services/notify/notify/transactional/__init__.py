"""Transactional mail to a customer's contact: a quote sent (its PDF attached), a contract approved."""
