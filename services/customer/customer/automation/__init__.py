"""The automation rules' requests this service applies: create a task, assign the owner, set level or tags."""
