"""Tifa."""
