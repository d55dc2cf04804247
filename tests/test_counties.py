"""A store that holds several counties (a city's, a province's) recommends for each county
exactly what a store of that county alone recommends: its people are held to account, and
led, within their own county, whatever else the store holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bench.generate import county_facts
from documents.quarterly import WhichCounty, quarterly_data
from engine.rulebook import load_rulebook
from engine.run.evaluate import evaluate
from engine.sanction.counties import Counties
from facts.ingest import ingest
from facts.recommendation_tables import RecommendationRow
from facts.store import open_store
from tests.conftest import load, write_jsonl
from tests.engine_support import AS_OF, person, post, unit

SEED, SCALE = 11, 0.05
RULEBOOK = load_rulebook()
SAME = ("id", "person", "unit", "circumstance", "responsibility", "degree", "form", "proposer",
        "rule", "rule_version", "conduct_date", "status", "evidence", "explanation")


def _store(path: Path, counties: list[int]) -> Engine:
    store = open_store(f"sqlite:///{path / 'store.db'}")
    files = [write_jsonl(path / f"county-{n}.jsonl", list(county_facts(SEED, n, SCALE)))
             for n in counties]  # the same file names, so the facts' sources are the same
    report = ingest(store, files)
    assert not report.errors, [str(e) for e in report.errors[:3]]
    evaluate(store, AS_OF)
    return store


def _recommendations(store: Engine) -> dict[str, dict[str, Any]]:
    table = RecommendationRow.__table__
    with store.connect() as connection:
        rows = connection.execute(select(table)).mappings()
        return {row["id"]: {k: row[k] for k in SAME} for row in rows}


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Engine, Engine]:
    """Two demo counties in one store, and each in a store of its own; evaluated."""
    both, first, second = (_store(tmp_path_factory.mktemp(name), counties) for name, counties
                           in (("both", [0, 1]), ("first", [0]), ("second", [1])))
    return both, first, second


def test_two_counties_in_one_store_recommend_what_each_alone_does(stores) -> None:
    both, *alone = stores
    assert sorted(Counties.load(both).units) == ["U-COUNTY-c000", "U-COUNTY-c001"]
    together = _recommendations(both)
    first, second = (_recommendations(store) for store in alone)
    assert first and second, "each county alone makes recommendations"
    assert together == {**first, **second}


def test_a_cadre_seconded_to_another_county_is_recommended_with_both(sqlite_store: Engine,
                                                                     tmp_path: Path) -> None:
    facts = [unit("UA", "中共甲县委员会", type="county_committee"),
             unit("UB", "中共乙县委员会", type="county_committee"),
             unit("UC", "中共丙县委员会", type="county_committee"),
             unit("A1", "甲县某镇", type="township", parent="UA"),
             unit("B1", "乙县某镇", type="township", parent="UB"),
             unit("X1", "某开发区", type="county_organ"),
             unit("X2", "某园区", type="county_organ"), unit("C1", "丙县某镇", parent="UC"),
             person("P1", "挂职干部", "A1"), post("P1", "B1", "deputy_secretary"),
             person("P2", "园区干部", "X2"), post("P2", "C1", "member")]
    load(sqlite_store, facts, tmp_path)
    counties = Counties.load(sqlite_store)
    assert counties.county_of["A1"] == counties.county_of["UB"] == "UA"  # joined by P1's post
    # the rest (under no county committee) is one group; joined to a county by P2's post, it
    # is that county, still named by its committee
    assert counties.county_of["X1"] == counties.county_of["X2"] == counties.county_of["C1"] == "UC"
    assert sorted(counties.units) == ["UA", "UC"]


def test_one_county_committee_is_one_county_whatever_the_parents(sqlite_store: Engine,
                                                                  tmp_path: Path) -> None:
    load(sqlite_store, [unit("UA", "中共甲县委员会", type="county_committee"),
                        unit("A1", "某镇", type="township")], tmp_path)  # no parent given
    assert Counties.load(sqlite_store).units == {"": ["A1", "UA"]}


def test_a_county_circulates_its_own_people_only(stores) -> None:
    both, _, second = stores
    with pytest.raises(WhichCounty, match="2 counties"):
        quarterly_data(both, "2026Q3", RULEBOOK)
    own = quarterly_data(both, "2026Q3", RULEBOOK, county="U-COUNTY-c001")
    alone = quarterly_data(second, "2026Q3", RULEBOOK)
    assert own.overall == alone.overall and own.overall.total > 0
    assert [(c.code, c.tally, c.ranked) for c in own.categories] == \
        [(c.code, c.tally, c.ranked) for c in alone.categories]
    assert [(r.tally, r.ranked) for r in own.units] == [(r.tally, r.ranked) for r in alone.units]
