"""Movements: the log of every move, returns by the owner (主动退回) and transfers between pools."""
