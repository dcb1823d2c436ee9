"""Opportunities (商机): a customer's deals, each with its pipeline stage, amount, grade and close date."""
