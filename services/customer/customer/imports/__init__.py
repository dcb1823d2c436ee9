"""Bulk work on customers: CSV import (de-duplicated) and export (in scope)."""
