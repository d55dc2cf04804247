"""The fields every page's frame needs (``LayoutContext``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from review.users import User


def layout(request: Request, user: User | None, csrf: str, notice: str | None = None,
           unit_names: tuple[str, ...] = ()) -> dict[str, Any]:
    state = request.app.state
    return {
        "fonts": state.fonts,
        "user": user,
        "role_label": state.rulebook.labels.review_role[user.role] if user else "",
        "unit_names": unit_names,
        "csrf": csrf,
        "notice": notice,
    }
