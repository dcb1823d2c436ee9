"""Pools as data: their members, admins, source departments and rules, and who may administer them."""
