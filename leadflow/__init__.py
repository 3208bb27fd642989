"""Leadflow — an open-source lead-management CRM."""
