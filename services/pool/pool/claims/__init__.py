"""Taking a customer out of a pool: a rep's claim (主动领取) and a manager's assignment (被动分配)."""
