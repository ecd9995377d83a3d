"""Tasks: follow-ups with a due date, linked to a contact, conversation or lead."""
