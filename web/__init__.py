"""The review web application (``wenze serve``): sessions, CSRF, login, pages, API, downloads.

Every read and every decision goes through ``review``; this package adds HTTP around it
and owns no query of its own on recommendations or decisions.
"""
