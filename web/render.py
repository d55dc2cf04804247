"""Pages from the project's sandboxed, autoescaping templates (``templates/web/``).

Text from the data is escaped (a fact whose text holds ``<script>`` shows it as text) and
control characters are shown visibly, as in every document.
"""

from __future__ import annotations

from pathlib import Path

from jinja2.sandbox import SandboxedEnvironment
from starlette.responses import HTMLResponse

from documents.contexts import PageContext
from documents.environment import environment, visible_controls


class Pages:
    def __init__(self, templates_dir: Path | None = None):
        self.env: SandboxedEnvironment = environment(templates_dir)

    def html(self, ctx: PageContext) -> str:
        return visible_controls(self.env.get_template(ctx.TEMPLATE).render(ctx.variables()))

    def response(self, ctx: PageContext, status: int = 200) -> HTMLResponse:
        return HTMLResponse(self.html(ctx), status_code=status)
