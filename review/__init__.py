"""Review: people read, decide and record what the engine recommends.

One module for the web app and the CLI alike: accounts and scope (``users``, ``scope``), the
queue and the detail of a recommendation (``queue``, ``detail``), decisions and due-process
steps (``decide``), the audit log (``audit``) and the decision document's context
(``decision``). Every refusal is a ``review.errors.ReviewError`` with a Chinese message.
"""
