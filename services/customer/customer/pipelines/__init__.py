"""Pipelines and their stages: the conditions to enter a stage, the move itself, and pipeline configuration."""
