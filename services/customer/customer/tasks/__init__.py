"""Tasks (待办) and stage playbooks (流程): the work on a lead, customer or deal, who does it and by when."""
