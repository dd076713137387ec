"""Audit trail: who did what to which record. Imports only foundation modules."""
