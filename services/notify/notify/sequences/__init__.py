"""Nurturing sequences (养鱼): steps, enrollments, goals, send windows, reports."""
