"""A nightly run's documents made by a pool of worker processes: every document complete in
every format, one that fails named alone while the others are written, and the next run
writing what is missing — as when they were made one at a time."""

from __future__ import annotations

import re
import sqlite3
from datetime import date

import pytest

from documents.errors import DocumentError
from documents.formats import FORMATS, POOL_FROM
from documents.numbering import number_order
from engine.rulebook import load_rulebook
from engine.run.read import list_recommendations
from facts.store import open_store
from usecases.nightly import run_nightly

RULEBOOK = load_rulebook()
DAY = date(2026, 11, 25)


@pytest.fixture
def county(demo_store, tmp_path):  # noqa: ANN001, ANN201
    """A copy of the evaluated demo county, with enough recommendations for a pool."""
    with sqlite3.connect(demo_store.url.database) as source, sqlite3.connect(tmp_path / "c.db") as copy:
        source.backup(copy)
    store = open_store(f"sqlite:///{tmp_path}/c.db")
    assert len(list_recommendations(store)) >= POOL_FROM
    yield store
    store.dispose()


def test_a_pool_writes_every_document_and_isolates_the_one_that_fails(county, tmp_path) -> None:
    ids = sorted(r["id"] for r in list_recommendations(county) if r["status"] != "withdrawn")
    victim = list_recommendations(county, ids=[ids[3]])[0]["person_name"]
    templates = tmp_path / "templates"
    templates.mkdir()
    # renders for the sample the templates are checked with, fails in a worker for one person
    (templates / "recommendation.html").write_text(
        '{% extends "bundled:recommendation.html" %}{% block doc_title %}'
        f'{{% if e.subject.name == "{victim}" %}}{{{{ no_such_field }}}}{{% endif %}}{{% endblock %}}',
        encoding="utf-8")
    out, folder = tmp_path / "out", tmp_path / "out" / DAY.isoformat()
    with pytest.raises(DocumentError) as failed:
        run_nightly(county, out, RULEBOOK, DAY, templates, workers=2)
    failing = {i for i in ids if i in str(failed.value)}
    assert failing and ids[3] in failing and "no_such_field" in str(failed.value)
    for rec_id in set(ids) - failing:  # every other document whole, in every format
        assert all((folder / f"{rec_id}.{fmt}").stat().st_size > 0 for fmt in FORMATS), rec_id
    assert not list(folder.glob("*.part"))
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert all(rec_id in index for rec_id in set(ids) - failing)
    listed = re.findall(r"<td>(\S+〔\d{4}〕\d+号)</td>", index)  # each series in its order
    assert len(listed) == len(set(ids) - failing) and listed == sorted(listed, key=number_order)
    assert len({n.split("〔")[0] for n in listed}) > 1  # 县纪建, 县领建, ...: one after the other

    report = run_nightly(county, out, RULEBOOK, DAY, workers=2)  # the template fixed
    assert {p.name for p in report.documents} >= {f"{i}.{f}" for i in failing for f in FORMATS}
    assert {f"{i}.{f}" for i in ids for f in FORMATS} <= {p.name for p in folder.iterdir()}
