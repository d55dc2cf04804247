"""The demo county: deterministic, valid against the contract, shaped like the article."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import NamedTuple

import pytest
from openpyxl import load_workbook

from facts.contract import KINDS, REFERENCES
from facts.demo import COAL, _Workbook, columns, generate, write_exports
from facts.readers import read_file
from facts.responsibility import CATEGORIES, load_responsibility_list

ROOT = Path(__file__).resolve().parent.parent
SMALL = 0.1


@pytest.fixture(scope="module")
def facts() -> list[dict]:
    return list(generate(seed=7, scale=SMALL))


@pytest.fixture(scope="module")
def by_kind(facts: list[dict]) -> dict[str, dict[str, dict]]:
    index: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
    for fact in facts:
        assert fact["id"] not in index[fact["kind"]], f"duplicate id {fact['id']}"
        index[fact["kind"]][fact["id"]] = fact
    return index


class Exports(NamedTuple):
    out: Path
    again: Path  # the same seed, written by another process with other string hashing
    counts: dict[str, int]


def _run(code: str, hash_seed: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True
    )


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Exports:
    out, again = tmp_path_factory.mktemp("exports"), tmp_path_factory.mktemp("again")
    code = "from pathlib import Path\nfrom facts.demo import write_exports\n"
    copy = _run(code + f"write_exports(Path({str(again)!r}), 7, {SMALL})\n", "3")
    counts = write_exports(out, seed=7, scale=SMALL)
    copy.communicate()
    assert copy.returncode == 0
    return Exports(out, again, counts)


def test_every_fact_validates(facts: list[dict]) -> None:
    for fact in facts:
        values = {k: v for k, v in fact.items() if k != "kind"}
        KINDS[fact["kind"]].model_validate(values)


def test_dependency_order(facts: list[dict]) -> None:
    first = {}
    for n, fact in enumerate(facts):
        first.setdefault(fact["kind"], n)
    last_post = max(n for n, f in enumerate(facts) if f["kind"] == "post")
    assert first["unit"] < first["person"] < first["post"]
    assert all(f["kind"] in ("unit", "person", "post") for f in facts[: last_post + 1])


def test_references_resolve(by_kind: dict[str, dict[str, dict]]) -> None:
    for kind, fields in REFERENCES.items():
        for fact in by_kind[kind].values():
            for name, target in fields.items():
                if fact.get(name) is not None:
                    assert fact[name] in by_kind[target], f"{kind} {fact['id']}: {name}"
    for violation in by_kind["violation"].values():
        for actor in violation["actors"]:
            # an id of the roster, or a name (村会计李某) of someone outside it
            assert actor in by_kind["person"] or not actor.isascii(), actor
    for fact in list(by_kind["violation"].values()) + list(by_kind["disunity"].values()):
        for member in fact.get("attrs", {}).get("dissent", []):
            post = by_kind["post"][f"PO-{member[2:]}"]  # a team member, not the secretary
            assert post["unit"] == fact["unit"] and post["role"] != "secretary"


def test_shape_of_the_county(by_kind: dict[str, dict[str, dict]]) -> None:
    types = Counter(u["type"] for u in by_kind["unit"].values())
    assert types["county_committee"] == 1
    assert types["township"] == 43
    assert types["county_organ"] == 54
    categories = Counter(p.get("category") for p in by_kind["person"].values())
    assert set(CATEGORIES) <= set(categories)
    county_level = sum(
        1 for p in by_kind["person"].values() if p["unit"] == "U-COUNTY" and p.get("category")
    )
    assert county_level == 45
    assert categories["township_secretary"] >= 43
    assert categories["organ_secretary"] >= 54
    assert categories[None] > 0  # ordinary staff, the direct wrongdoers
    specials = [i for i in by_kind["inspection"].values() if i["mode"] == "special"]
    assert len({i["unit"] for i in specials}) == 79
    assert all(
        date(2026, 2, 24) <= date.fromisoformat(i["date"]) <= date(2026, 3, 6) for i in specials
    )
    assert len({i["group"] for i in by_kind["inspection"].values()}) == 10


def test_townships_and_organs_always_have_a_secretary_and_discipline_secretary(
    by_kind: dict[str, dict[str, dict]],
) -> None:
    units = [u["id"] for u in by_kind["unit"].values() if u["type"] in ("township", "county_organ")]
    posts = list(by_kind["post"].values())
    for day in ("2024-11-01", "2025-06-15", "2026-02-26", "2026-10-31"):
        for unit in units:
            for role in ("secretary", "discipline_secretary"):
                holders = [
                    p for p in posts
                    if p["unit"] == unit and p["role"] == role
                    and p["start"] <= day and p.get("end", "9999") >= day
                ]  # fmt: skip
                assert len(holders) == 1, (unit, role, day)


def test_some_posts_change_holder(by_kind: dict[str, dict[str, dict]]) -> None:
    ended = [p for p in by_kind["post"].values() if "end" in p]
    assert 0.04 < len(ended) / len(by_kind["post"]) < 0.12


def test_coal_bureau_case(by_kind: dict[str, dict[str, dict]]) -> None:
    case = by_kind["violation"]["V-COAL-20260226"]
    assert case["unit"] == COAL
    assert case["actors"] == ["P-COAL-S03", "P-COAL-S05", "P-COAL-S07"]
    assert (case["date"], case["category"], case["severity"], case["case_filed"]) == (
        "2026-02-26",
        "work_discipline",
        "serious",
        False,
    )
    assert case["description"] == "工作时间在办公室打牌赌博"
    assert all(by_kind["person"][a]["unit"] == COAL for a in case["actors"])
    assert all("category" not in by_kind["person"][a] for a in case["actors"])
    found = by_kind["inspection"]["IN-SP-COAL"]
    assert (found["unit"], found["date"], found["mode"]) == (COAL, "2026-02-26", "special")
    posts = [p for p in by_kind["post"].values() if p["unit"] == COAL]
    holding = {
        p["role"]: p["person"] for p in posts if p["start"] <= "2026-02-26" <= p.get("end", "9999")
    }
    assert holding["secretary"] == "P-COAL-01"
    assert holding["discipline_secretary"] == "P-COAL-02"
    assert any(p.get("end", "").startswith("2025") for p in posts)  # a past holder exists
    others = [v for v in by_kind["violation"].values() if v["unit"] == COAL and v is not case]
    assert not others


def test_coal_case_does_not_depend_on_seed_or_scale() -> None:
    def coal(seed: int, scale: float) -> list[dict]:
        return [
            f for f in generate(seed, scale)
            if f["kind"] in ("unit", "person", "post", "violation") and "COAL" in f["id"]
        ]  # fmt: skip

    assert coal(1, 0.05) == coal(2, 0.2)


def test_ledger_tasks_belong_to_the_persons_category(by_kind: dict[str, dict[str, dict]]) -> None:
    rl = load_responsibility_list()
    codes = {c: {t.code for t in rl.tasks_for(c)} for c in CATEGORIES}
    periods = set()
    for entry in by_kind["ledger"].values():
        category = by_kind["person"][entry["person"]]["category"]
        assert entry["task"] in codes[category]
        periods.add(entry["period"])
    assert min(periods) == "2024-11" and max(periods) == "2026-10" and len(periods) == 24
    verdicts = Counter(e["verdict"] for e in by_kind["ledger"].values())
    assert (
        verdicts["pass"] > 0.9 * len(by_kind["ledger"]) and verdicts["fail"] and verdicts["pending"]
    )


def test_reminders_and_rechecks(by_kind: dict[str, dict[str, dict]]) -> None:
    county_leaders = {p["id"] for p in by_kind["person"].values() if p["unit"] == "U-COUNTY"}
    for reminder in by_kind["reminder"].values():
        assert reminder["issuer"] in county_leaders
    rechecks = list(by_kind["rectification"].values())
    assert rechecks and any(not r["effective"] for r in rechecks)
    for recheck in rechecks:
        reminder = by_kind["reminder"][recheck["reminder"]]
        assert recheck["person"] == reminder["person"] and recheck["date"] > reminder["date"]


def test_violations_and_disunity_cover_the_circumstances(
    by_kind: dict[str, dict[str, dict]],
) -> None:
    violations = list(by_kind["violation"].values())
    assert {(v["category"], v["severity"]) for v in violations} >= {
        (c, s)
        for c in ("work_discipline", "conduct", "integrity", "corruption", "other")
        for s in ("minor", "serious", "grave")
    }
    per_unit = Counter(v["unit"] for v in violations)
    assert sum(1 for n in per_unit.values() if n >= 3) >= 3
    secretaries = {p["person"] for p in by_kind["post"].values() if p["role"] == "secretary"}
    assert any(v["case_filed"] and secretaries & set(v["actors"]) for v in violations)
    shapes = {(d["affects_work"], d["public_reaction"]) for d in by_kind["disunity"].values()}
    assert shapes >= {(True, True), (True, False), (False, True)}
    assert by_kind["proposal"] and by_kind["accountability"]
    grades = Counter(e["grade"] for e in by_kind["evaluation"].values())
    assert grades["excellent"] and grades["competent"]


def test_same_seed_same_county_whatever_the_hash_seed() -> None:
    """Determinism at full scale, in two processes with different string hashing."""
    code = (
        "import hashlib, json\n"
        "from facts.demo import generate\n"
        "h = hashlib.sha256()\n"
        "for fact in generate(2026, 1.0):\n"
        "    h.update(json.dumps(fact, ensure_ascii=False).encode())\n"
        "print(h.hexdigest())\n"
    )
    runs = [_run(code, hash_seed) for hash_seed in ("1", "2")]
    digests = [run.communicate()[0].strip() for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert digests[0] == digests[1] and len(digests[0]) == 64


def test_different_seed_different_county(facts: list[dict]) -> None:
    other = [f for f in generate(seed=8, scale=SMALL) if f["kind"] == "person"]
    assert other != [f for f in facts if f["kind"] == "person"]


def test_jsonl_is_byte_identical_for_the_same_seed(exports: Exports) -> None:
    for kind in KINDS:
        name = f"{kind}.jsonl"
        assert (exports.out / name).read_bytes() == (exports.again / name).read_bytes(), name


def test_exports_hold_the_same_facts_three_ways(
    exports: Exports, by_kind: dict[str, dict[str, dict]]
) -> None:
    out, counts = exports.out, exports.counts
    assert counts == {kind: len(by_kind[kind]) for kind in KINDS}
    for kind in KINDS:
        lines = (out / f"{kind}.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == counts[kind]
        assert all(json.loads(line)["kind"] == kind for line in lines)
        assert sum(1 for _ in read_file(out / "csv" / f"{kind}.csv")) == counts[kind]
    workbook = load_workbook(out / "county.xlsx", read_only=True)
    assert workbook.sheetnames == list(KINDS)
    for kind in KINDS:
        rows = workbook[kind].iter_rows(values_only=True)
        assert list(next(rows)) == columns(kind)
        if kind not in ("ledger", "evaluation"):  # the bulk; reading it back takes seconds
            assert sum(1 for _ in rows) == counts[kind]
    workbook.close()


@pytest.mark.parametrize("name", ["csv/violation.csv", "csv/person.csv", "csv/inspection.csv"])
def test_csv_reads_back_as_valid_facts(exports: Exports, name: str) -> None:
    for row in read_file(exports.out / name):
        assert row.error is None, row
        assert row.lenient  # CSV cells are text: read with the office spellings
        KINDS[row.kind].model_validate(row.data, context={"lenient": row.lenient})


def test_xlsx_reads_back_as_valid_facts(
    facts: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cells of every type (booleans, lists, attrs), and a kind spilling over to a second
    sheet (``violation-2``) as it does past Excel's row limit."""
    monkeypatch.setattr("facts.demo.XLSX_MAX_ROWS", 21)
    sample = [f for f in facts if f["kind"] in ("person", "violation", "disunity", "reminder")]
    workbook = _Workbook()
    for fact in sample:
        workbook.append(fact, [fact.get(name) for name in columns(fact["kind"])])
    workbook.save(tmp_path / "county.xlsx")
    assert "violation-2" in load_workbook(tmp_path / "county.xlsx", read_only=True).sheetnames
    read = Counter()
    for row in read_file(tmp_path / "county.xlsx"):
        assert row.error is None, row
        fact = KINDS[row.kind].model_validate(row.data)
        read[row.kind] += 1
        if row.kind == "violation" and fact.id == "V-COAL-20260226":
            assert len(fact.actors) == 3 and fact.case_filed is False
    assert read == Counter(f["kind"] for f in sample)


def test_formats_can_be_chosen(tmp_path: Path) -> None:
    counts = write_exports(tmp_path, seed=7, scale=0.05, formats=("jsonl",))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{kind}.jsonl" for kind in KINDS)
    assert counts["unit"] > 0
    with pytest.raises(ValueError, match="docx"):
        write_exports(tmp_path, formats=("jsonl", "docx"))


def test_csv_encodings(exports: Exports) -> None:
    out = exports.out
    for kind, text in (("unit", "中共溆浦县委员会"), ("person", "向志刚")):
        raw = (out / "csv" / f"{kind}.csv").read_bytes()
        assert text in raw.decode("gb18030")
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
    violation = (out / "csv" / "violation.csv").read_bytes()
    assert violation.startswith(b"\xef\xbb\xbf")
    assert "工作时间在办公室打牌赌博" in violation.decode("utf-8-sig")
