"""Automation rules' requests notify applies: a notice to a person, a webhook to a rule's URL."""
