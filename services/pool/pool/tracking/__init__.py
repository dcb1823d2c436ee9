"""The pool's copy of each customer (its entry, with its planned due time) and of each user, kept from events."""
