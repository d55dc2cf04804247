"""Accounts, scope, the queue and the detail (review.users, review.scope, review.queue,
review.detail) on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from review.detail import recommendation_detail
from review.errors import BadInput, NotFound, NotInScope
from review.queue import QueueFilter, list_queue
from review.scope import can_see, units_in_scope
from review.users import Role, authenticate, get_user
from tests.review_support import PASSWORD, accounts, county_cases


@pytest.fixture
def county(store, tmp_path):
    ids = county_cases(store, tmp_path)
    return store, ids, accounts(store)


def test_a_password_is_kept_as_an_argon2_hash_and_checked(county) -> None:
    store, _, users = county
    from sqlalchemy import select

    from facts.review_tables import ReviewUser

    with store.connect() as connection:
        stored = connection.execute(select(ReviewUser.__table__.c.password_hash).where(
            ReviewUser.__table__.c.name == "coal")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert authenticate(store, "coal", PASSWORD) == users["coal"]
    assert authenticate(store, "coal", "wrong password") is None
    assert authenticate(store, "nobody", PASSWORD) is None
    assert get_user(store, "coal") == users["coal"] and users["coal"].role is Role.APPROVER
    assert get_user(store, "nobody") is None


def test_accounts_are_refused_for_unknown_units_short_passwords_and_taken_names(county) -> None:
    store, _, _ = county
    from review.users import add_user

    with pytest.raises(BadInput, match="没有单位U-NOWHERE"):
        add_user(store, "x", "reviewer", ["U-NOWHERE"], PASSWORD)
    with pytest.raises(BadInput, match="密码至少8个字符"):
        add_user(store, "x", "reviewer", ["U1"], "short")
    with pytest.raises(BadInput, match="已有账号coal"):
        add_user(store, "coal", "reviewer", ["U1"], PASSWORD)
    with pytest.raises(ValueError):
        add_user(store, "x", "superuser", ["U1"], PASSWORD)
    assert get_user(store, "x") is None


def test_each_user_sees_only_their_units_subtree(county) -> None:
    store, ids, users = county
    assert units_in_scope(store, users["coal"]) == {"U-COAL"}
    assert units_in_scope(store, users["county"]) == {"U-COUNTY", "U-COAL", "U1"}
    coal_queue = list_queue(store, users["coal"])
    town_queue = list_queue(store, users["town"])
    assert {i.id for i in coal_queue.items} == {ids["P-SEC"], ids["P-DIS"]}
    assert {i.id for i in town_queue.items} == {ids["P1"]}
    assert list_queue(store, users["county"]).total == 3
    # and cannot reach each other's cases by id
    assert can_see(store, users["coal"], ids["P-SEC"]) and not can_see(store, users["coal"], ids["P1"])
    assert not can_see(store, users["town"], ids["P-SEC"])
    assert not can_see(store, users["town"], "R-NO-SUCH")
    with pytest.raises(NotInScope):
        recommendation_detail(store, users["town"], ids["P-SEC"])
    with pytest.raises(NotFound):
        recommendation_detail(store, users["town"], "R-NO-SUCH")


def test_the_queue_filters_sorts_and_pages(county) -> None:
    store, ids, users = county
    user = users["county"]
    page = list_queue(store, user, QueueFilter(unit="U-COAL"))
    assert {i.id for i in page.items} == {ids["P-SEC"], ids["P-DIS"]}
    assert list_queue(store, user, QueueFilter(circumstance=2)).total == 1
    assert list_queue(store, user, QueueFilter(form="circulated_criticism")).total == 2
    assert list_queue(store, user, QueueFilter(status="approved")).total == 0
    assert list_queue(store, user, QueueFilter(status="pending")).total == 3
    assert list_queue(store, user, QueueFilter(step="none")).total == 3
    assert list_queue(store, user, QueueFilter(step="statement")).total == 0
    assert list_queue(store, user, QueueFilter(date_from=date(2026, 6, 1))).total == 1
    assert list_queue(store, user, QueueFilter(date_to=date(2026, 6, 1))).total == 2
    assert list_queue(store, user, QueueFilter(proposer="supervising_leader")).total == 1
    by_person = list_queue(store, user, QueueFilter(sort="person", per_page=2))
    assert (by_person.total, by_person.pages, len(by_person.items)) == (3, 2, 2)
    second = list_queue(store, user, QueueFilter(sort="person", per_page=2, page=2))
    names = [i.person_name for i in by_person.items + second.items]
    assert names == sorted(names)
    newest = list_queue(store, user).items  # default: newest conduct first
    assert [i.conduct_date for i in newest] == sorted((i.conduct_date for i in newest), reverse=True)
    item = next(i for i in newest if i.id == ids["P-SEC"])
    assert (item.person_name, item.unit_name, item.form_label, item.status_label) == (
        "张建国", "县煤炭局", "通报批评", "待审核")
    assert item.proposer_label and item.circumstance == 3 and item.step is None


def test_the_detail_has_evidence_with_sources_steps_posts_and_allowed_acts(county) -> None:
    store, ids, users = county
    detail = recommendation_detail(store, users["county"], ids["P-SEC"])
    assert detail.person_name == "张建国" and detail.unit_name == "县煤炭局"
    assert detail.engine_form_labels == ["通报批评"] and detail.decided_forms is None
    assert any(e["id"] == "V-GAMBLE" and e["src"].endswith(":13") or e["src"]
               for e in detail.evidence)
    assert all(e["src"] for e in detail.evidence)
    assert [s.label for s in detail.steps][:3] == ["调查", "陈述和申辩", "集体讨论决定"]
    assert all(not s.done for s in detail.steps)
    assert [s.code for s in detail.steps if s.can_record] == ["investigation"]
    assert detail.posts and detail.posts[0]["role_label"]
    assert detail.explanation["basis"] and detail.explanation["steps"]
    assert detail.allowed == ["step", "amend", "return", "approve", "reject"]
    assert recommendation_detail(store, users["clerk"], ids["P-SEC"]).allowed == ["step", "return"]
    assert recommendation_detail(store, users["policy"], ids["P-SEC"]).allowed == []
    # staff of the coal bureau see its cases but decide none of them
    assert recommendation_detail(store, users["insider"], ids["P-SEC"]).allowed == []
    assert recommendation_detail(store, users["insider"], ids["P1"]).allowed != []
