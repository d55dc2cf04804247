"""Jinja2 templates for documents and pages; staff may override them with --templates."""
