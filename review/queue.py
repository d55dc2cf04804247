"""The review queue: the recommendations a user may see, filtered, sorted and paged in SQL
(tens of thousands stay cheap: one count and one page query)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, Row, func, or_, select

from documents.numbering import format_number
from engine.rulebook import Rulebook
from facts.recommendation_tables import DocumentNumber, RecommendationRow
from facts.tables import UnitRow
from review.county import county
from review.scope import subtree
from review.users import User

# sort keys a link may name ("-" first: descending); each ends on the id so pages are stable
_REC = RecommendationRow.__table__
SORTS = {
    "conduct_date": (_REC.c.conduct_date,),
    "person": (_REC.c.person_name,),
    "unit": (_REC.c.unit,),
    "form": (func.coalesce(_REC.c.decided_form, _REC.c.form),),
    "status": (_REC.c.status,),
    "circumstance": (_REC.c.circumstance,),
    "id": (),
}
MAX_PER_PAGE = 200
NO_STEP = "none"
LEADER = "supervising_leader"  # the step filter's value for "no step recorded yet"


@dataclass(frozen=True)
class QueueFilter:
    """What a queue link says; every field optional (the web app keeps them in the URL)."""

    status: str | None = None
    unit: str | None = None  # this unit and its subtree (within the user's scope)
    circumstance: int | None = None
    form: str | None = None  # the current form: as amended, else as proposed
    proposer: str | None = None
    date_from: date | None = None  # conduct date, inclusive
    date_to: date | None = None
    step: str | None = None  # the last due-process step recorded ("none": none yet)
    sort: str = "-conduct_date"
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class QueueItem:
    id: str
    number: str | None  # the recommendation document's reference number, once given
    person: str
    person_name: str
    unit: str
    unit_name: str
    circumstance: int
    circumstance_label: str
    form: str  # current: as amended, else as proposed
    form_label: str
    proposer: str
    proposer_label: str
    status: str
    status_label: str
    step: str | None  # the last due-process step recorded
    step_label: str | None
    conduct_date: date


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    pages: int


def list_queue(store: Engine, user: User, flt: QueueFilter | None = None, *,
               rulebook: Rulebook | None = None) -> QueuePage:
    """One page of the recommendations in the user's scope that pass the filter."""
    flt = flt or QueueFilter()
    book = county(rulebook)
    units, numbers = UnitRow.__table__, DocumentNumber.__table__
    per_page = max(1, min(flt.per_page, MAX_PER_PAGE))
    with store.connect() as connection:
        scope = subtree(connection, user.units)
        if flt.unit is not None:
            scope &= subtree(connection, [flt.unit])
        where = [_REC.c.unit.in_(sorted(scope))]
        if flt.status:
            where.append(_REC.c.status == flt.status)
        if flt.circumstance:
            where.append(_REC.c.circumstance == flt.circumstance)
        if flt.form:
            where.append(func.coalesce(_REC.c.decided_form, _REC.c.form) == flt.form)
        if flt.proposer == LEADER:  # a supervising leader's proposal names the leader
            where.append(or_(_REC.c.proposer == LEADER, _REC.c.proposer.startswith("person:")))
        elif flt.proposer:
            where.append(_REC.c.proposer == flt.proposer)
        if flt.date_from:
            where.append(_REC.c.conduct_date >= flt.date_from)
        if flt.date_to:
            where.append(_REC.c.conduct_date <= flt.date_to)
        if flt.step == NO_STEP:
            where.append(_REC.c.review_step.is_(None))
        elif flt.step:
            where.append(_REC.c.review_step == flt.step)
        total = connection.execute(select(func.count()).select_from(_REC).where(*where)).scalar_one()
        pages = max(1, -(-total // per_page))
        page = max(1, min(flt.page, pages))
        descending = flt.sort.startswith("-")
        keys = SORTS.get(flt.sort.lstrip("-"), SORTS["conduct_date"])
        order = [k.desc() if descending else k for k in (*keys, _REC.c.id)]
        query = (select(_REC.c.id, _REC.c.person, _REC.c.person_name, _REC.c.unit,
                        _REC.c.circumstance, _REC.c.form, _REC.c.decided_form, _REC.c.proposer,
                        _REC.c.status, _REC.c.review_step, _REC.c.conduct_date,
                        units.c.name.label("unit_name"), numbers.c.prefix, numbers.c.year,
                        numbers.c.seq)
                 .select_from(_REC.outerjoin(units, units.c.id == _REC.c.unit)
                              .outerjoin(numbers, numbers.c.recommendation_id == _REC.c.id))
                 .where(*where).order_by(*order).limit(per_page).offset((page - 1) * per_page))
        rows = connection.execute(query).all()
    return QueuePage([_item(row, book) for row in rows], total, page, pages)


def _item(r: Row, book: Rulebook) -> QueueItem:
    labels = book.labels
    form = r.decided_form or r.form
    steps = book.review.steps
    return QueueItem(
        id=r.id, number=format_number(r.prefix, r.year, r.seq) if r.prefix else None,
        person=r.person, person_name=r.person_name, unit=r.unit, unit_name=r.unit_name or r.unit,
        circumstance=r.circumstance, circumstance_label=labels.circumstance.get(r.circumstance, ""),
        form=form, form_label=labels.forms.get(form, form), proposer=r.proposer,
        proposer_label=proposer_label(book, r.proposer), status=r.status,
        status_label=labels.recommendation_status.get(r.status, r.status), step=r.review_step,
        step_label=steps[r.review_step].label if r.review_step in steps else r.review_step,
        conduct_date=r.conduct_date)


def proposer_label(book: Rulebook, proposer: str) -> str:
    """The proposing body's name (a supervising leader's proposal: the leader's body)."""
    body = book.county.bodies.get(LEADER if proposer.startswith("person:") else proposer)
    return body.name if body else proposer
