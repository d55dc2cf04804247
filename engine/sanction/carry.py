"""Carrying a person over: an incremental run explains again only the persons whose inputs
changed since the last committed run, and takes the others' outcomes as they were.

What ``engine.sanction.recommend`` makes of a person (his recommendations, and the findings
set aside about him) is a function of

- the findings that hold him to account, each with its evidence facts as they are stored
  (content, source, load), the post and responsibility he is held in, and the evaluation
  date where the sanction values of the conduct's time differ from today's (the explanation
  then states both, dated);
- the run's context: the rulebook, the rule versions and sanction values in force on the
  evaluation date, the engine's own code, and which persons the county's roster holds (a
  proposer named from another county joins it, and the explanations then name him);
- his record (failed ledger checks, reminders to him, inspections naming him), his earlier
  accountability (priors), the cases filed against him, and his county's roster, which the
  explanation names (persons, posts, units).

The first two are hashed into a digest per person (``digests``), stored with his outcome
(``person_outcome``). The others are read from what changed since the last run
(``touched``): facts of those kinds loaded or replaced since, or dated between the two
evaluation dates, name the persons to explain again. A changed person, or a changed post
of a person, explains again everyone of each county whose roster holds him (its own people,
those posted in its units, the proposers its findings name): what his county's explanations
say of him (his name, his posts, whom he leads) may have changed. A county whose roster he
left, or joined, explains everyone again anyway: which persons its roster holds is part of
every digest. A changed unit explains everyone (it may move units from one county to
another). A person is carried over when his digest is the stored one and none of those
facts changed. An outcome is stored only for a person all of whose stored
recommendations are what the run made of them: none decided that the run no longer finds
or whose stored explanation is an older one, none a reviewer decided while the run
committed (``engine.run.commit``). A reviewer's decision between runs then changes nothing
a full run would make of a person whose inputs did not change: a pending or returned
recommendation already holds its explanation, a decided one is flagged only when what is
under it changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, insert, select

from engine.match.findings import Finding
from engine.match.plan import Facts
from engine.rulebook import Rulebook
from engine.sanction.accountable import Accountable, SetAside
from engine.sanction.roster import Roster
from facts.recommendation_tables import PersonOutcome
from facts.store import fact_from_content, stream_among, unindexed
from facts.tables import TABLES, FactVersion

ROSTER_KINDS = ("person", "post", "unit")  # a change explains again a county's everyone
PERSON_KINDS = ("ledger", "reminder", "inspection", "accountability")  # the person's own
_CHUNK = 500
_SOURCES = ("engine", "facts")  # the code an outcome is made by


@cache
def code_hash() -> str:
    """The engine's and the store's source, hashed: outcomes (and matches) of other code are
    not taken over."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for package in _SOURCES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class Touched:
    """What changed since the last committed run, beyond the findings themselves."""

    everyone: str = ""  # why every person is explained again ("": not every one)
    persons: set[str] = field(default_factory=set)
    # persons whose person facts or posts changed: a county whose roster holds one of them
    # explains all its persons again
    roster_persons: set[str] = field(default_factory=set)
    violations: list[dict[str, Any]] = field(default_factory=list)  # their actors, via a roster


def _dated(kind: str) -> list[str]:
    """The columns a run compares with the evaluation date after matching: a post counts from
    its start, a record or a prior from its date, a case while it is not closed."""
    if kind == "post":
        return ["start"]
    if kind == "violation":
        return ["date", "case_closed"]
    return ["date"] if "date" in TABLES[kind].__table__.c else []


def touched(connection: Connection, mark: int, before: date, as_of: date) -> Touched:
    """The persons whose record, priors or cases changed since ingest batch ``mark`` and the
    move of the evaluation date from ``before`` to ``as_of``."""
    found = Touched()
    low, high = sorted((before, as_of))
    versions = FactVersion.__table__
    for kind in (*ROSTER_KINDS, *PERSON_KINDS, "violation"):
        table = TABLES[kind].__table__
        if kind == "violation":
            query = select(table)  # its actors are read through each county's roster
        elif kind in PERSON_KINDS:
            # whose; not through the person index, which SQLite would otherwise scan whole
            # for DISTINCT (a city's 2.4M filings for 240 new ones)
            query = select(unindexed(table.c.person).label("person")).distinct()
        elif kind == "unit":
            query = select(table.c.id).limit(1)  # whether any changed
        else:  # a person, or a post: whose
            query = select(table.c.id if kind == "person" else table.c.person)
        moved = [table.c[c].between(low, high) for c in _dated(kind)] if before != as_of else []
        rows = [r._asdict() for condition in (table.c.ingest_id > mark, *moved)
                for r in connection.execute(query.where(condition))]
        rows += [fact_from_content(kind, r.content) for r in connection.execute(select(
            versions.c.content).where(versions.c.kind == kind,
                                      versions.c.superseded_by_ingest > mark))]
        if not rows:
            continue
        if kind == "unit":
            found.everyone = "unit facts changed"
        elif kind in ROSTER_KINDS:
            found.roster_persons.update(r["id" if kind == "person" else "person"] for r in rows)
        elif kind == "violation":
            found.violations += rows
        else:
            found.persons.update(r["person"] for r in rows if r.get("person"))
    return found


def _fact_text(fact: dict[str, Any]) -> str:
    """A stored fact as an explanation reads it: its content, where it came from, which load."""
    return f"{fact['content_hash']}|{fact['src']}|{fact['ingest_id']}"


class Carry:
    """One run's digests, and the outcomes it takes over (none in a full run)."""

    def __init__(self, engine: Engine, rulebook: Rulebook, as_of: date,
                 found: list[Finding], since: Touched | None):
        self.engine, self.rulebook, self.as_of, self.found = engine, rulebook, as_of, found
        self.since = since  # None: a full run, nothing is taken over
        sanctions = rulebook.sanctions
        self._now = sanctions.at(as_of).sources
        current = sorted((v.rule_id, v.version) for v in rulebook.versions if v.in_force(as_of))
        self._context = orjson.dumps([rulebook.hash, current, self._now, code_hash()], default=str)
        self._index = {(f.rule.name, f.key): n for n, f in enumerate(found)}
        self._findings: dict[int, bytes] = {}

    # ------------------------------------------------------------ digests

    def _finding(self, n: int, facts: Facts) -> bytes:
        text = self._findings.get(n)
        if text is None:
            f = self.found[n]
            sources = self.rulebook.sanctions.at(f.conduct_date).sources
            dated = None if sources == self._now else self.as_of  # the explanation states it
            evidence = [(alias, kind, fid, _fact_text(facts[(kind, fid)]))
                        for alias, (kind, fid) in f.evidence]
            # kept as its own digest: what orjson returns holds a 4 KB buffer whatever its
            # length (a province's 48,000 findings kept 120 MB that way)
            text = self._findings[n] = hashlib.sha256(orjson.dumps(
                [f.rule.name, f.key, evidence, f.conduct_date, f.subject_kind, f.subject,
                 f.severity, f.proposer_person, dated], default=str)).digest()
        return text

    def digests(self, held: dict[str, list[tuple[int, Accountable]]], facts: Facts,
                roster: Roster) -> dict[str, str]:
        """Per person held to account, the digest of what his outcome is made of. The roster
        of a county of a province holds, besides its own people, those its findings name
        from elsewhere (proposers): which persons it holds is part of every digest."""
        county = hashlib.sha256(self._context)
        county.update(orjson.dumps([sorted(roster.persons), sorted(roster.outside)]))
        result = {}
        for person, items in held.items():
            digest = county.copy()
            for n, who in items:
                digest.update(self._finding(n, facts))
                digest.update(orjson.dumps([who.person, who.responsibility, who.degree, who.post,
                                            sorted(who.own_acts)], default=str))
            result[person] = digest.hexdigest()
        return result

    # ------------------------------------------------------------ taking over

    def take(self, roster: Roster, digests: dict[str, str]
             ) -> tuple[dict[str, list[list[Any]]], list[SetAside]]:
        """The outcomes of the persons carried over: their recommendations ([id, circumstance])
        by person, and their set-aside findings, placed in this run's order. None when the
        county's roster changed (``roster``: the county's)."""
        since = self.since
        if since is None or since.everyone or not since.roster_persons.isdisjoint(roster.persons):
            return {}, []
        changed = set(since.persons)
        for fact in since.violations:  # cases filed against them
            actors = roster.actors(fact)
            changed |= actors.ids | {p for ids in actors.ambiguous.values() for p in ids}
        candidates = sorted(set(digests) - changed)
        table = PersonOutcome.__table__
        carried: dict[str, list[list[Any]]] = {}
        asides: list[SetAside] = []
        for row in stream_among(self.engine, select(table), table.c.person, candidates):
            if row.digest != digests[row.person]:
                continue
            placed = [self._placed(entry) for entry in row.outcome["set_aside"]]
            if None not in placed:
                carried[row.person] = row.outcome["recommendations"]
                asides += placed  # type: ignore[arg-type]
        return carried, asides

    def _placed(self, entry: dict[str, Any]) -> SetAside | None:
        at, item = entry["at"], dict(entry["item"])
        item["conduct_date"] = date.fromisoformat(item["conduct_date"])
        if at[0] == "finding":
            n = self._index.get((at[1], tuple(at[2])))
            if n is None:
                return None
            return SetAside(**item).placed(0, n, *at[3:])
        return SetAside(**item).placed(*at[1:])

    def _at(self, item: SetAside) -> list[Any]:
        if item.order[0] == 0:
            finding = self.found[item.order[1]]
            return ["finding", finding.rule.name, list(finding.key), *item.order[2:]]
        return ["after", *item.order]

    # ------------------------------------------------------------ storing

    def store(self, connection: Connection, digests: dict[str, str],
              recommendations: dict[str, list[list[Any]]], asides: Iterable[SetAside],
              unsettled: Collection[str]) -> None:
        """Store the outcomes of persons explained now (in the run's transaction); a person
        some of whose stored recommendations do not follow his outcome gets none."""
        table = PersonOutcome.__table__
        persons = sorted(digests)
        for i in range(0, len(persons), _CHUNK):
            connection.execute(delete(table).where(table.c.person.in_(persons[i:i + _CHUNK])))
        keep = {p for p in persons if p not in unsettled}
        by_person: dict[str, list[dict[str, Any]]] = {p: [] for p in keep}
        for item in asides:
            if item.person in by_person:
                by_person[item.person].append({"at": self._at(item), "item": item.as_json()})
        rows = [{"person": p, "digest": digests[p], "outcome": {
            "recommendations": sorted(recommendations.get(p, [])), "set_aside": by_person[p]}}
            for p in sorted(keep)]
        for i in range(0, len(rows), _CHUNK):
            connection.execute(insert(table), rows[i:i + _CHUNK])

    @staticmethod
    def forget_others(connection: Connection, held: Collection[str]) -> None:
        """Drop the outcomes of persons this run held to account for nothing."""
        table = PersonOutcome.__table__
        gone = sorted(set(connection.execute(select(table.c.person)).scalars()) - set(held))
        for i in range(0, len(gone), _CHUNK):
            connection.execute(delete(table).where(table.c.person.in_(gone[i:i + _CHUNK])))
