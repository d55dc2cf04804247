"""Bulk ingestion (a second process reads and checks, this one writes with COPY or one
executemany per chunk): what a data collector sees is the same as for a small file — same
facts stored, same errors, all or nothing, the same fact again a no-op, --replace keeps
the old version."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from facts import ingest as ingest_module
from facts.contract import KINDS
from facts.demo import generate
from facts.ingest import ingest
from facts.store import PROVENANCE, counts, open_store
from facts.tables import TABLES, FactVersion
from tests.conftest import write_jsonl
from tests.test_ingest import PERSONS, UNITS, ledger

CHUNK = 200  # rows written at a time in these tests, so a few hundred rows make several chunks


SPAN_BYTES = 2048  # of a JSON Lines file read by two processes in turn: a score of rows


def read_by(monkeypatch, *, forked: bool, readers: int = 2, chunk: int = CHUNK) -> None:
    """Files read in this process or by forked ones (``readers`` of them for JSON Lines, in
    spans of ``SPAN_BYTES``), checked and written ``chunk`` rows at a time."""
    monkeypatch.setattr(ingest_module, "FORK_BYTES", 0 if forked else 1 << 40)
    monkeypatch.setattr(ingest_module, "READERS", readers)
    monkeypatch.setattr(ingest_module, "SPAN_BYTES", SPAN_BYTES)
    monkeypatch.setattr(ingest_module, "CHUNK", chunk)


@pytest.fixture(params=["in this process", "in a second process", "by two processes in turn"])
def reader(request, monkeypatch) -> str:
    """Each test runs with files read in this process, in a forked one, and (JSON Lines) by
    two forked ones taking spans of the file in turn."""
    read_by(monkeypatch, forked=request.param != "in this process",
            readers=2 if request.param == "by two processes in turn" else 1)
    return request.param


def _stored(store) -> dict[tuple[str, str], dict]:
    found = {}
    with store.connect() as connection:
        for kind, table in TABLES.items():
            for row in connection.execute(select(table.__table__)).mappings():
                found[(kind, row["id"])] = {k: v for k, v in row.items() if k not in PROVENANCE}
    return found


def test_every_kind_is_stored_as_validated_on_both_stores(store, reader, tmp_path) -> None:
    county = list(generate(seed=3, scale=0.01))  # every kind; ledger filings cut to a few chunks
    basis = {entry for f in county if f["kind"] == "reminder" for entry in f.get("basis") or ()}
    ledgers = [f for f in county if f["kind"] == "ledger"]
    facts = [f for f in county if f["kind"] != "ledger"] + [
        f for n, f in enumerate(ledgers) if n < 3 * CHUNK or f"ledger:{f['id']}" in basis]
    assert {f["kind"] for f in facts} == set(KINDS)
    report = ingest(store, [write_jsonl(tmp_path / "county.jsonl", facts)])
    assert report.committed and not report.errors
    stored = _stored(store)
    assert len(stored) == len(facts)
    for fact in facts:
        kind = fact["kind"]
        expected = KINDS[kind].model_validate({k: v for k, v in fact.items() if k != "kind"}).model_dump()
        assert stored[(kind, fact["id"])] == expected, (kind, fact["id"])
    again = ingest(store, [tmp_path / "county.jsonl"])
    assert not again.committed and not again.errors and sum(again.unchanged.values()) == len(facts)


def test_a_bad_row_in_the_last_chunk_loads_nothing_and_is_named(store, reader, tmp_path) -> None:
    rows = UNITS + PERSONS + [ledger(i) for i in range(3 * CHUNK)]
    rows[-7]["verdict"] = "maybe"
    path = write_jsonl(tmp_path / "ledger.jsonl", rows)
    report = ingest(store, [path])
    assert not report.committed
    assert [str(e) for e in report.errors] == [
        f"ledger.jsonl:{len(rows) - 6}: verdict: Input should be 'pass', 'fail' or 'pending'"]
    assert sum(counts(store).values()) == 0


def test_duplicates_and_conflicts_across_chunks_are_reported_as_for_small_files(store, reader,
                                                                                tmp_path) -> None:
    ingest(store, [write_jsonl(tmp_path / "roster.jsonl", UNITS + PERSONS + [ledger(0)])])
    rows = [ledger(i) for i in range(1, 2 * CHUNK)]
    rows.append(ledger(5, status="partial"))  # same id as line 5, other content, next chunk
    rows.append(ledger(0, verdict="fail"))  # stored already with other content
    rows.append(ledger(7))  # same as line 7: nothing to say
    report = ingest(store, [write_jsonl(tmp_path / "ledger.jsonl", rows)])
    assert [str(e) for e in report.errors] == [
        f"ledger.jsonl:{2 * CHUNK}: id: duplicate id 'L5' with different content (first at ledger.jsonl:5)",
        f"ledger.jsonl:{2 * CHUNK + 1}: id: conflict: ledger 'L0' is already stored with different "
        "content (loaded from roster.jsonl:5); use --replace to load the new version (the earlier "
        "one is kept)"]
    assert not report.committed and counts(store)["ledger"] == 1


def test_a_stored_fact_met_after_chunks_were_written_counts_once(store, reader, tmp_path) -> None:
    """On PostgreSQL a file's new facts are written without asking first which are stored;
    the stored one in its last chunk takes back what was written and the file is read again:
    nothing is counted or stored twice."""
    ingest(store, [write_jsonl(tmp_path / "roster.jsonl", UNITS + PERSONS + [ledger(0)])])
    rows = [ledger(i) for i in range(1, 2 * CHUNK)] + [ledger(0)]  # the same as stored
    report = ingest(store, [write_jsonl(tmp_path / "ledger.jsonl", rows)])
    assert report.committed and not report.errors
    assert (report.loaded["ledger"], report.unchanged["ledger"]) == (2 * CHUNK - 1, 1)
    assert counts(store)["ledger"] == 2 * CHUNK


def test_replace_keeps_the_earlier_version_and_skip_bad_writes_the_rejects(store, reader,
                                                                           tmp_path) -> None:
    ingest(store, [write_jsonl(tmp_path / "roster.jsonl", UNITS + PERSONS + [ledger(0)])])
    rows = [ledger(0, verdict="fail"), ledger(1, person="NOBODY"), ledger(2, status="finished"), ledger(3)]
    rejects = tmp_path / "rejects.jsonl"
    report = ingest(store, [write_jsonl(tmp_path / "ledger.jsonl", rows)], replace=True, skip_bad=True,
                    rejects_path=rejects)
    assert report.committed and report.replaced["ledger"] == 1 and report.loaded["ledger"] == 1
    assert [json.loads(line)["line"] for line in rejects.read_text().splitlines()] == [3, 2]
    with store.connect() as connection:
        old = connection.execute(select(FactVersion.__table__)).mappings().one()
        new = connection.execute(select(TABLES["ledger"].__table__.c.verdict)
                                 .where(TABLES["ledger"].__table__.c.id == "L0")).scalar_one()
    assert (old["id"], old["content"]["verdict"], new) == ("L0", "pass", "fail")


def test_a_file_refused_whole_in_the_second_process_is_one_line(sqlite_store, reader, tmp_path) -> None:
    path = tmp_path / "notakind.csv"
    path.write_text("id,name\nX1,abc\n", encoding="utf-8")
    report = ingest(sqlite_store, [path])
    assert [str(e) for e in report.errors] == [
        "notakind.csv: cannot tell the kind from the file name; name it after a kind "
        f"({', '.join(KINDS)}), e.g. ledger.csv"]
    assert not report.committed


def test_csv_rows_go_through_the_second_process_with_their_lines(sqlite_store, reader, tmp_path) -> None:
    ingest(sqlite_store, [write_jsonl(tmp_path / "roster.jsonl", UNITS + PERSONS)])
    path = Path(tmp_path / "ledger.csv")
    lines = ["id,person,period,task,status,verdict,date,attrs.note"]
    lines += [f"L{i},P1,2026-03,bs01,done,pass,2026/4/2,\"two\nlines\"" for i in range(CHUNK + 10)]
    lines[CHUNK] = lines[CHUNK].replace("2026/4/2", "2026-02-30")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    report = ingest(sqlite_store, [path])
    assert [(e.location.line, e.field) for e in report.errors] == [(2 * CHUNK, "date")]


def test_two_readers_taking_spans_in_turn_say_and_store_what_one_reader_does(tmp_path,
                                                                            monkeypatch) -> None:
    """Spans start and end anywhere among a file's oddities: a byte-order mark, CRLF line
    ends, blank lines, bytes that are not UTF-8, a duplicate key, a line that is no object,
    a bad value, the same id twice; every line number and byte offset must come out as one
    reader in this process gives them, and the same facts stored."""
    lines = [json.dumps(row, ensure_ascii=False).encode() for row in UNITS + PERSONS]
    for i in range(600):
        row = json.dumps(ledger(i, attrs={"备注": "第" + "一" * (i % 40) + "次"}),
                         ensure_ascii=False).encode()
        if i % 97 == 5:
            row = row.replace(b'"verdict": "pass"', b'"verdict": "maybe"')
        if i % 131 == 7:
            row = row.replace("第".encode(), b"\xb5\xda")  # GB18030 bytes in a UTF-8 file
        if i % 151 == 9:
            row = row.replace(b'"status"', b'"task": "bs02", "status"')  # a duplicate key
        lines.append(row)
        if i % 113 == 11:
            lines += [b"", b"[1, 2]", b"   "]
    lines.append(json.dumps(ledger(40, status="partial")).encode())  # L40 again, other content
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\r\n")

    def load(mode: str) -> tuple[list[str], dict]:
        read_by(monkeypatch, forked=mode != "here", chunk=50)
        store = open_store(f"sqlite:///{tmp_path}/{mode}.db")
        report = ingest(store, [path], skip_bad=True, rejects_path=tmp_path / f"{mode}.jsonl")
        assert report.committed
        return [str(e) for e in report.errors], _stored(store)

    errors, stored = load("here")
    assert len(errors) == 7 + 5 + 4 + 6 + 1 and any("byte offset" in e for e in errors)
    assert path.stat().st_size > 20 * SPAN_BYTES  # the two readers take many turns
    assert load("two readers") == (errors, stored)
    assert (tmp_path / "two readers.jsonl").read_text() == (tmp_path / "here.jsonl").read_text()


def test_lines_checked_a_block_at_a_time_say_and_store_what_one_reader_does(tmp_path,
                                                                          monkeypatch) -> None:
    """Two readers read their spans in blocks, and a block of plain lines is checked at once
    (``read_jsonl_blocks``, ``check_plain``). Cut small here, blocks meet every oddity a line
    can have, and lines longer than a block: the facts, their content hashes and sources, and
    every error come out as one reader reading line by line gives them."""
    from facts import readers as readers_module

    monkeypatch.setattr(readers_module, "PLAIN_BLOCK", 700)
    lines = [json.dumps(row, ensure_ascii=False) for row in UNITS + PERSONS]
    for i in range(600):
        row = json.dumps(ledger(i, attrs={"备注": "第" + "一" * (i % 7) + "次"} if i % 3 else {}),
                         ensure_ascii=False)
        oddities = {
            5: ('"verdict": "pass"', '"verdict": "maybe"'),  # the twin refuses it, the model says why
            6: ('"task": "bs01"', '"task": "zz99"'),  # no such task code
            7: ('"status"', '"task": "bs02", "status"'),  # a duplicate key
            8: ('"attrs": {', '"attrs": {"q": "say \\"hi\\"", '),  # an escape
            9: ('"attrs": {', '"attrs": {"n": 12345678901234567, '),  # a long number
            10: ('"attrs": {', '"attrs": {"c1": "\u0085", '),  # a C1 control
            11: ('"attrs": {', '"attrs": {"long": "' + "x" * 1500 + '", '),  # longer than a block
            12: ('"kind": "ledger"', '"kind": 42'),
            13: ('"kind": "ledger", ', ''),
            14: ('"attrs": {', '"attrs": {"deep": ' + "[" * 40 + "]" * 40 + ', '),
        }
        if i % 23 in oddities:
            old, replacement = oddities[i % 23]
            row = row.replace(old, replacement, 1)
        lines.append(row)
        if i % 53 == 11:
            lines += ["", "[1, 2]", "   ", '{"kind": "ledger", "id": ', "\t{}"]
    lines.append(json.dumps(ledger(40, status="partial")))  # L40 again, other content
    path = tmp_path / "ledger.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")  # the last line without a line feed

    def load(mode: str) -> tuple[list[str], list]:
        read_by(monkeypatch, forked=mode != "here", chunk=50)
        store = open_store(f"sqlite:///{tmp_path}/{mode}.db")
        report = ingest(store, [path], skip_bad=True, rejects_path=tmp_path / f"{mode}.jsonl")
        assert report.committed
        with store.connect() as connection:
            rows = connection.exec_driver_sql("SELECT * FROM ledger ORDER BY id").fetchall()
        return [str(e) for e in report.errors], rows

    with path.open("rb") as raw:
        read = list(readers_module.read_jsonl_blocks(
            path, None, readers_module.Within(raw, "utf-8", readers_module.line_spans(raw, 1 << 20)[0])))
    assert {type(item) for item in read} == {readers_module.PlainLines, readers_module.RawRow}
    errors, stored = load("here")
    assert len(stored) > 350 and len(errors) > 100
    assert load("two readers") == (errors, stored)
    assert (tmp_path / "two readers.jsonl").read_text() == (tmp_path / "here.jsonl").read_text()


def test_a_reader_that_dies_stops_the_ingest_with_a_clear_error(sqlite_store, tmp_path,
                                                                monkeypatch) -> None:
    read_by(monkeypatch, forked=True)
    check, check_plain = ingest_module._Checker.check, ingest_module._Checker.check_plain

    def dies_at_line_300(self, row, batch) -> None:
        if row.location.line == 300:
            os._exit(9)
        check(self, row, batch)

    def plain_dies_at_line_300(self, name, first, lines, open_end, batch) -> None:
        if first <= 300 < first + len(lines):
            os._exit(9)
        check_plain(self, name, first, lines, open_end, batch)

    monkeypatch.setattr(ingest_module._Checker, "check", dies_at_line_300)
    monkeypatch.setattr(ingest_module._Checker, "check_plain", plain_dies_at_line_300)
    path = write_jsonl(tmp_path / "ledger.jsonl", UNITS + PERSONS + [ledger(i) for i in range(600)])
    with pytest.raises(RuntimeError, match="the process reading the file stopped"):
        ingest(sqlite_store, [path])
    assert sum(counts(sqlite_store).values()) == 0


@pytest.mark.parametrize("change", ["replaced", "deleted"])
def test_a_file_replaced_or_deleted_while_two_readers_read_it_is_read_as_it_was(
        sqlite_store, tmp_path, monkeypatch, change) -> None:
    """A sync tool or an editor replaces the file (a rename over it), or it is deleted, while
    it is being loaded: every row comes from the version the ingest began with, as with one
    reader, never some rows of each."""
    read_by(monkeypatch, forked=True, chunk=50)
    path = write_jsonl(tmp_path / "ledger.jsonl", UNITS + PERSONS + [ledger(i) for i in range(3000)])
    other = write_jsonl(tmp_path / "other.jsonl",
                        UNITS + PERSONS + [ledger(i, verdict="fail") for i in range(3000)])
    assert other.stat().st_size == path.stat().st_size  # the same spans would fit both
    add, written = ingest_module._Loader.add, []

    def add_then_change(self, batch) -> None:
        written.append(batch)
        if len(written) == 3:
            os.replace(other, path) if change == "replaced" else path.unlink()
        add(self, batch)

    monkeypatch.setattr(ingest_module._Loader, "add", add_then_change)
    report = ingest(sqlite_store, [path])
    assert report.committed and not report.errors
    with sqlite_store.connect() as connection:
        verdicts = dict(connection.exec_driver_sql(
            "SELECT verdict, count(*) FROM ledger GROUP BY verdict").fetchall())
    assert verdicts == {"pass": 3000}


def test_spans_pass_over_a_line_of_many_megabytes_without_keeping_it(tmp_path) -> None:
    """Where a span ends inside a long line, the span runs on to the line's end, found by
    reading on, not by keeping the line (a one-line file of a gigabyte costs no gigabyte)."""
    from facts.readers import Span, line_spans

    path = tmp_path / "ledger.jsonl"
    path.write_bytes(b"a\n" + b"x" * (5 << 20) + b"\nb\nc")
    with path.open("rb") as raw:
        assert line_spans(raw, 1 << 20) == [Span(0, (5 << 20) + 3, 1), Span((5 << 20) + 3, (5 << 20) + 6, 3)]
        assert line_spans(raw, 2) == [Span(0, 2, 1), Span(2, (5 << 20) + 3, 2),
                                      Span((5 << 20) + 3, (5 << 20) + 5, 3),
                                      Span((5 << 20) + 5, (5 << 20) + 6, 4)]
