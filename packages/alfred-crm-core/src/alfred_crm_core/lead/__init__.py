"""Leads: a contact's potential deal, moving through stages from new to won or lost."""
