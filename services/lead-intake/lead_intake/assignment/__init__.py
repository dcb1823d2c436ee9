"""Automatic assignment (自动分配, DOMAIN §1): rules choose a team, a weighted round robin a rep; the reps and teams it chooses from."""
