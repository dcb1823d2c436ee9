"""The sales work on a customer: lifecycle classes, qualification, milestones, follow-ups, contracts and payments."""
