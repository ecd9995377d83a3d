"""Time-based alerts: overdue tasks and stalled leads, notified once per crossing."""
