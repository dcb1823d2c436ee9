"""Customers (the accounts): their record and contacts, who owns and sees them, and how they come in."""
