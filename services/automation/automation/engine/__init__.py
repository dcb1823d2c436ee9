"""The rule engine's pure decisions: a rule's shape, its trigger, its conditions, loops and the rendering
of its actions. No I/O here: the runs capability feeds it events and records and stores what it decides."""
