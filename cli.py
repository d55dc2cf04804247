"""The ``wenze`` command line: parse, call one function, print."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from documents.errors import DocumentError, TemplateProblem
from engine.errors import EvaluationError, RulebookError
from facts.errors import StoreBusy, StoreUnavailable, StoreVersionError
from review.errors import BadInput, NotDecided, NotFound, ReviewError
from usecases.errors import NightlyLocked
from usecases.terminal import json_literal, literal, plain

console = Console(stderr=True, soft_wrap=True)

# Exit codes, documented in the README; each has its test.
EXIT_BAD_INPUT = 1  # bad input rows, failed rule tests, a missing recommendation
EXIT_RULEBOOK = 2  # the rulebook has errors: nothing was evaluated
EXIT_RUN_FAILED = 3  # the run failed: nothing was committed
EXIT_DOCUMENTS = 4  # documents could not be written (the run is committed), or a template is refused
EXIT_LOCKED = 5  # another nightly run holds the lock
EXIT_STORE = 6  # the store cannot be opened: unreachable, or a newer wenze wrote it
EXIT_BUSY = 7  # another writer (ingest, evaluate, nightly) held the store past --wait
EXIT_REFUSED = 8  # review refused the act: login, role, scope, own unit, state, steps, authority, four-eyes
EXIT_AUDIT = 9  # the audit log does not verify: an entry altered, removed or cut off
EXIT_REFUSED_EDIT = 10  # nightly: the county folder's edit has errors; the last good rulebook ran
EXIT_USAGE = 64  # the command line itself is wrong (sysexits EX_USAGE)


def _report(exc: Exception) -> int:
    """Print what went wrong in a line or a list, and give the exit code for it."""
    if isinstance(exc, RulebookError):
        for error in exc.errors:
            console.print(f"[red]rule error:[/] {plain(error)}", highlight=False)
        console.print("the rulebook has errors: nothing was evaluated")
        return EXIT_RULEBOOK
    if isinstance(exc, EvaluationError):
        console.print(f"[red]evaluation failed:[/] {plain(exc)}\nno recommendation was changed",
                      highlight=False)
        return EXIT_RUN_FAILED
    if isinstance(exc, TemplateProblem):  # found before the evaluation: nothing changed
        console.print(escape(f"template refused: {exc}"), style="red", highlight=False)
        console.print("nothing was evaluated; fix the template and run again", highlight=False)
        return EXIT_DOCUMENTS
    if isinstance(exc, DocumentError):
        console.print(f"[red]documents could not be written:[/] {plain(exc)}\nthe recommendations are "
                      "committed; the next run writes the missing documents", highlight=False)
        return EXIT_DOCUMENTS
    if isinstance(exc, StoreVersionError | StoreUnavailable):
        console.print(f"[red]store:[/] {plain(exc)}", highlight=False)
        return EXIT_STORE
    if isinstance(exc, StoreBusy):
        console.print(f"[red]{plain(exc)}[/]", highlight=False)
        return EXIT_BUSY
    if isinstance(exc, ReviewError):
        console.print(f"[red]refused:[/] {plain(exc)}", highlight=False)
        return EXIT_BAD_INPUT if isinstance(exc, BadInput | NotFound | NotDecided) else EXIT_REFUSED
    assert isinstance(exc, NightlyLocked)
    console.print(f"[red]{plain(exc)}[/]", highlight=False)
    return EXIT_LOCKED


class _Wenze(click.Group):
    """Maps each kind of failure to its exit code, in one place, without a traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.UsageError as exc:
            exc.show()
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except (RulebookError, EvaluationError, DocumentError, NightlyLocked, StoreBusy,
                StoreVersionError, StoreUnavailable, ReviewError) as exc:
            sys.exit(_report(exc))


class IsoDate(click.ParamType):
    """A date written YYYY-MM-DD, within the years facts may have; anything else (2026-02-30,
    0001-01-01) is a one-line usage error."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        from facts.contract import DATE_MAX, DATE_MIN

        if isinstance(value, date):
            return value
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            parsed = date.fromisoformat(value)
        except ValueError as exc:
            detail = f": {exc}" if str(exc).startswith(("day", "month", "year")) else ""
            self.fail(f"{value!r} is not a date (YYYY-MM-DD){detail}", param, ctx)
        if not DATE_MIN <= parsed <= DATE_MAX:
            self.fail(f"{value!r} is out of range; dates run from {DATE_MIN} to {DATE_MAX}", param, ctx)
        return parsed


DB_HELP = "Store URL (default sqlite:///wenze.db in the working folder; or postgresql://...; env WENZE_DB)."


def _root_db(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A command's ``--db``, else the one given before the command (``wenze --db URL facts stats``),
    else ``WENZE_DB``: the option works in both places, the nearer one wins."""
    return value if value is not None else ctx.find_root().params.get("db_url")


db_option = click.option("--db", "db_url", default=None, callback=_root_db,
                         help=DB_HELP)
wait_option = click.option(
    "--wait", "lock_wait", type=click.FloatRange(min=0), envvar="WENZE_LOCK_WAIT", default=60.0,
    show_default=True, metavar="SECONDS",
    help="How long to wait while another ingest, evaluate or nightly writes to the store; "
         f"then exit {EXIT_BUSY} (env WENZE_LOCK_WAIT).")
rules_option = click.option(
    "--rules", "rules_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None, help="County folder (default: the bundled county rulebook).")


@click.group(cls=_Wenze)
@click.option("--db", "db_url", envvar="WENZE_DB", default=None, help=DB_HELP)
def main(db_url: str | None) -> None:
    """wenze (问责): accountability recommendations from duty ledgers and inspection records."""


def _store(db_url: str | None):  # noqa: ANN202
    from facts.store import open_store

    return open_store(db_url)


def _rulebook(rules_dir: Path | None):  # noqa: ANN202
    from engine.rulebook import load_rulebook

    return load_rulebook(rules_dir)


drop_options = [
    click.option("--drop", "drop_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                 default=None, help="Load the files waiting in this folder, each on its own, and move "
                                    "each to DIR/done/ or DIR/rejected/ with its report."),
    click.option("--settle", type=click.FloatRange(min=0), default=60.0, show_default=True,
                 metavar="SECONDS", help="With --drop: leave files modified less than this long "
                                         "ago (still being written) for the next run."),
]


def _drop_options(command):  # noqa: ANN001, ANN202
    for option in reversed(drop_options):
        command = option(command)
    return command


def _print_drop(report) -> None:  # noqa: ANN001
    for dropped in report.files:
        if dropped.outcome == "waiting":
            console.print(f"waiting   {plain(dropped.name)} (modified {dropped.age:.0f} s ago)",
                          highlight=False)
            continue
        loaded = sum(dropped.report.loaded.values()) + sum(dropped.report.replaced.values())
        colour = "green" if dropped.outcome == "done" else "red"
        console.print(f"[{colour}]{dropped.outcome:9}[/] {plain(dropped.name)}: {loaded} new or replaced, "
                      f"{dropped.report.rejected_rows} bad rows -> {plain(dropped.moved_to)} "
                      f"(report {plain(dropped.report_file.name)})", highlight=False)
    if not report.files:
        console.print(f"nothing waits in {plain(report.folder)}", highlight=False)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_drop_options
@click.option("--skip-bad", is_flag=True, help="Load the good rows; write the bad ones to a rejects file.")
@click.option("--replace", is_flag=True, help="Load new versions of stored facts (earlier versions are kept).")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where --skip-bad writes rejected rows (default wenze-rejects.jsonl).")
@click.option("--hidden-sheets", is_flag=True,
              help="Also load hidden XLSX sheets named after a kind (refused otherwise).")
@rules_option
@wait_option
@db_option
def ingest(files: tuple[Path, ...], drop_dir: Path | None, settle: float, skip_bad: bool,
           replace: bool, rejects: Path | None, hidden_sheets: bool, rules_dir: Path | None,
           lock_wait: float, db_url: str | None) -> None:
    """Load JSON Lines, CSV and XLSX exports into the store (FILES, or what waits in --drop DIR)."""
    from facts.ingest import ingest as run_ingest
    from usecases.drop import ingest_drop

    if bool(files) == bool(drop_dir):
        raise click.UsageError("give the files to load, or --drop DIR, not both")
    if drop_dir:
        report = ingest_drop(_store(db_url), drop_dir, settle=settle, skip_bad=skip_bad,
                             replace=replace, rules_dir=rules_dir, wait=lock_wait,
                             hidden_sheets=hidden_sheets)
        _print_drop(report)
        sys.exit(EXIT_BAD_INPUT if report.rejected else 0)
    target = (rejects or Path("wenze-rejects.jsonl")).resolve().parent
    if skip_bad and not (target.is_dir() and os.access(target, os.W_OK)):
        raise click.BadParameter(f"cannot write the rejects file in {target}; choose another place",
                                 param_hint="'--rejects'")
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        def progress(name: str, total: int):  # noqa: ANN202
            task = bar.add_task(plain(name), total=total)
            return lambda n: bar.advance(task, n)

        report = run_ingest(_store(db_url), files, skip_bad=skip_bad, replace=replace,
                            rejects_path=rejects, progress=progress, rules_dir=rules_dir,
                            wait=lock_wait, hidden_sheets=hidden_sheets)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {plain(warning)}", highlight=False)
    for error in report.errors[:200]:
        console.print(f"[red]error:[/] {plain(error)}", highlight=False)
    if len(report.errors) > 200:
        console.print(f"... and {len(report.errors) - 200} more errors")
    kinds = sorted(set(report.loaded) | set(report.unchanged) | set(report.replaced))
    for kind in kinds:
        console.print(f"  {kind:15} {report.loaded[kind]:>9} new  {report.unchanged[kind]:>9} "
                      f"unchanged  {report.replaced[kind]:>6} replaced")
    if report.rejects_file:
        console.print(f"{report.rejected_rows} bad rows written to {plain(report.rejects_file)}",
                      highlight=False)
    if report.errors and not skip_bad:
        console.print(f"[red]{report.rejected_rows} bad rows: nothing was loaded[/] "
                      "(fix them, or use --skip-bad to load the good rows)")
        sys.exit(EXIT_BAD_INPUT)
    console.print("loaded" if report.committed else "nothing new to load")


@main.group()
def db() -> None:
    """The store's schema revision (every command upgrades an older store when it opens it)."""


@db.command("upgrade")
@db_option
def db_upgrade(db_url: str | None) -> None:
    """Bring the store's schema to this wenze's revision; print the revision before and after."""
    from facts.store import upgrade_store

    before, after = upgrade_store(db_url)
    click.echo(f"before: {before or 'none'}\nafter:  {after}")


@db.command("current")
@db_option
def db_current(db_url: str | None) -> None:
    """Print the store's schema revision and whether it is this wenze's (head)."""
    from facts.migrate import revisions
    from facts.store import store_revision

    revision, head = store_revision(db_url)
    if revision == head:
        click.echo(f"{revision} (head)")
    elif revision is None or revision in revisions():
        click.echo(f"{revision or 'none'} (not at head {head}: wenze db upgrade)")
    else:
        click.echo(f"{revision} (unknown to this wenze, whose head is {head}: a newer wenze wrote it)")


@main.group()
def facts() -> None:
    """The fact contract and what the store holds."""


@facts.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object of counts per kind.")
@db_option
def stats(as_json: bool, db_url: str | None) -> None:
    """Number of stored facts per kind."""
    from facts.store import counts

    result = counts(_store(db_url))
    if as_json:
        click.echo(json.dumps(result))
    else:
        for kind, n in result.items():
            click.echo(f"{kind:15} {n:>9}")


# what to do instead, where a kind has no unit or person field
_FILTER_HINTS = {
    **{(kind, "unit"): f"each {kind} fact is about a person: use --person, or find a unit's "
                       "persons with `wenze facts list person --unit U`"
       for kind in ("ledger", "reminder", "rectification", "evaluation", "proposal", "accountability")},
    ("unit", "person"): "find a person's unit with `wenze facts list person --person P`",
    ("violation", "person"): "a violation names its persons in actors; use --unit",
    ("disunity", "person"): "a disunity concerns a unit's team; use --unit",
}


@facts.command("list")
@click.argument("kind")
@click.option("--unit", default=None)
@click.option("--person", default=None)
@click.option("--since", type=IsoDate(), default=None)
@click.option("--until", type=IsoDate(), default=None)
@click.option("--limit", default=100, type=click.IntRange(min=0), show_default=True, help="0 for all.")
@db_option
def facts_list(kind: str, unit: str | None, person: str | None, since: date | None,
               until: date | None, limit: int, db_url: str | None) -> None:
    """Stored facts of one kind as JSON Lines, narrowed by unit, person and date range."""
    from facts.contract import DATE_FIELD, KINDS
    from facts.store import PROVENANCE, TABLES, fact_query, stream

    if kind not in KINDS:
        raise click.BadParameter(f"unknown kind; one of {', '.join(KINDS)}", param_hint="KIND")
    # a unit's own --unit is its id, a person's own --person is the person's id
    columns = {"unit": "id"} if kind == "unit" else {"person": "id"} if kind == "person" else {}
    for option, value in (("unit", unit), ("person", person)):
        if value is not None and option not in columns and option not in KINDS[kind].model_fields:
            raise click.BadParameter(f"{kind} facts have no {option} field; leave --{option} out "
                                     f"({_FILTER_HINTS[kind, option]})", param_hint=f"'--{option}'")
    for option, value in (("since", since), ("until", until)):
        if value is not None and DATE_FIELD[kind] is None:
            raise click.BadParameter(f"{kind} facts have no date; leave --{option} out",
                                     param_hint=f"'--{option}'")
    query = fact_query(kind, since=since, until=until)
    table = TABLES[kind].__table__.c
    for option, value in (("unit", unit), ("person", person)):
        if value is not None:
            query = query.where(table[columns.get(option, option)] == value)
    for row in stream(_store(db_url), query.limit(limit or None)):
        fact = {k: v for k, v in row._mapping.items() if k not in PROVENANCE or k == "src"}
        click.echo(json_literal(json.dumps({"kind": kind, **fact}, ensure_ascii=False, default=str)))


@facts.command()
def schema() -> None:
    """Print the fact contract as JSON Schema."""
    from facts.contract import json_schema

    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


@contextmanager
def _stages() -> Iterator[Callable[[str, int | None], Callable[[int], None]]]:
    """Progress of long work on a terminal (nothing when the output goes to a file or cron):
    ``stage(name, total)`` shows a new line, and returns what to call with each step done."""
    columns = (SpinnerColumn(), "[progress.description]{task.description}", BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        def stage(name: str, total: int | None) -> Callable[[int], None]:
            for task in bar.task_ids:  # the stage before is over
                bar.update(task, completed=bar.tasks[task].total or 0, visible=False)
            task = bar.add_task(plain(name), total=total)
            return lambda n: bar.advance(task, n)

        yield stage


@main.command()
@click.option("--seed", default=2026, show_default=True, help="Same seed, same county.")
@click.option("--scale", default=1.0, show_default=True, help="Multiply the number of cadres and units.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-out/exports"),
              show_default=True)
def demo(seed: int, scale: float, out: Path) -> None:
    """Generate the demo county as JSONL, CSV and XLSX export files."""
    from facts.demo import write_exports

    with _stages() as stage:
        stage(f"writing the demo county (JSONL, CSV, XLSX) to {out}", None)
        result = write_exports(out, seed=seed, scale=scale)
    for kind, n in result.items():
        click.echo(f"{kind:15} {n:>9}")
    click.echo(f"written to {literal(out)}\nnext: wenze ingest {literal(out)}/*.jsonl, "
               "then wenze nightly --out DIR (the documents, with DIR/<date>/index.html)")


as_of_option = click.option("--as-of", "as_of", type=IsoDate(), default=None,
                            help="Evaluate as on this date (default today); later facts are ignored.")


def run_options(command):  # noqa: ANN001, ANN201
    """--full, --executor and --scheduler, shared by ``evaluate`` and ``nightly``."""
    for option in reversed((
        click.option("--full", is_flag=True,
                     help="Evaluate every partition, not only those whose facts or time "
                          "windows changed since the last run (the result is the same)."),
        click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
                     show_default=True,
                     help="Where durable_rules runs: forked processes on this machine, or "
                          "tasks on a Dask cluster (docs/dask.md)."),
        click.option("--scheduler", default=None, metavar="ADDRESS",
                     help="The Dask scheduler, e.g. tcp://10.0.0.5:8786 (--executor dask; "
                          "default: a local cluster on this machine)."),
    )):
        command = option(command)
    return command


def _durable(executor: str, scheduler: str | None):  # noqa: ANN202
    from engine.durable import DurableEvaluator

    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler goes with --executor dask")
    return DurableEvaluator(executor=executor, scheduler=scheduler)


@main.command()
@as_of_option
@rules_option
@click.option("--evaluator", type=click.Choice(["durable", "reference"]), default="durable",
              show_default=True, help="durable_rules, or the plain-Python reference evaluator.")
@run_options
@wait_option
@db_option
def evaluate(as_of: date | None, rules_dir: Path | None, evaluator: str, full: bool,
             executor: str, scheduler: str | None, lock_wait: float, db_url: str | None) -> None:
    """Evaluate the store against the rulebook and record recommendations."""
    from engine.run.evaluate import EVALUATORS
    from engine.run.evaluate import evaluate as run_evaluation

    if evaluator != "durable" and executor != "local":
        raise click.UsageError("--executor goes with --evaluator durable")
    chosen = _durable(executor, scheduler) if evaluator == "durable" else EVALUATORS[evaluator]()
    store = _store(db_url)
    result = run_evaluation(store, as_of, _rulebook(rules_dir), chosen, wait=lock_wait,
                            full=full)
    _print_run(result, store)


def _print_run(result, store) -> None:  # noqa: ANN001
    from engine.run.read import list_recommendations
    from usecases.terminal import run_summary

    counts = result.counts
    click.echo(f"评估日期 {result.as_of}　规则库 {result.rulebook_hash[:12]}　运行 #{result.run_id}")
    click.echo(f"问责建议 {counts['recommendations']} 条：新增 {counts['new']}，"
               f"更新 {counts['changed']}，未变 {counts['unchanged']}，重新认定 {counts['reinstated']}"
               f"　用时 {result.timings['total_s']} 秒")
    needs_check = sum(1 for item in result.set_aside if item["kind"] == "needs_check")
    click.echo(f"撤回 {counts['withdrawn']} 条，已决定但事实变化 {counts['facts_changed']} 条，"
               f"认定事实但未提出建议 {counts['set_aside']} 项（其中待核查 {needs_check} 项，"
               "详见 wenze runs --json）")
    ids = result.new + result.changed + result.unchanged
    click.echo(run_summary(list_recommendations(store, ids=ids, with_explanation=True)))


templates_option = click.option("--templates", "templates_dir", default=None,
                                type=click.Path(exists=True, file_okay=False, path_type=Path),
                                help="Folder of templates that override the bundled ones.")


@main.command()
@as_of_option
@rules_option
@templates_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("documents-out"),
              show_default=True, help="Documents go into a folder per as-of date under this one.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Processes writing documents at once (default: one per CPU core).")
@run_options
@_drop_options
@wait_option
@db_option
def nightly(as_of: date | None, rules_dir: Path | None, templates_dir: Path | None, out: Path,
            jobs: int | None, full: bool, executor: str, scheduler: str | None,
            drop_dir: Path | None, settle: float, lock_wait: float, db_url: str | None) -> None:
    """Evaluate everything collected and write the documents of the recommendations (for cron)."""
    from documents.quarterly import last_quarter
    from engine.run.rulebooks import load_in_force
    from usecases.drop import ingest_drop
    from usecases.nightly import run_nightly

    evaluator = _durable(executor, scheduler)
    store = _store(db_url)
    if drop_dir:  # a rejected file does not stop the run; it is reported, and exits 1 at the end
        dropped = ingest_drop(store, drop_dir, settle=settle, rules_dir=rules_dir, wait=lock_wait)
        _print_drop(dropped)
    in_force = load_in_force(store, rules_dir)  # a broken edit leaves the last good one in force
    refused = [str(e) for e in in_force.refused.errors] if in_force.refused else None
    for error in refused or ():
        console.print(f"[red]rule error:[/] {plain(error)}", highlight=False)
    if refused:
        console.print(f"[red]the county folder's edit is refused;[/] the last good rulebook "
                      f"{in_force.rulebook.hash[:12]} stays in force (wenze rules show "
                      f"{in_force.rulebook.hash[:12]})", highlight=False)
    with _stages() as stage:
        report = run_nightly(store, out, in_force.rulebook, as_of, templates_dir, wait=lock_wait,
                             workers=jobs, progress=stage, refused=refused,
                             evaluator=evaluator, full=full)
    _print_run(report.run, store)
    folder = literal(report.folder)
    files = [p for p in report.documents if p.name != "index.html"]
    click.echo(f"写入问责建议书 {len({p.stem for p in files})} 份（{len(files)} 个文件）：{folder}\n"
               f"打开 {folder}{os.sep}index.html 查看当天全部文书（HTML、PDF、DOCX）\n"
               "下一步：wenze recommendations list 逐条审核；wenze recommendations show 编号或文号 看一条的全部依据；"
               f"wenze report quarterly {last_quarter(report.run.as_of)} 出季度通报")
    if refused:
        sys.exit(EXIT_REFUSED_EDIT)
    if drop_dir and dropped.rejected:
        console.print(f"[red]{len(dropped.rejected)} dropped files rejected[/] (see "
                      f"{plain(drop_dir / 'rejected')})", highlight=False)
        sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("rec_id")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf", "html"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--document", type=click.Choice(["recommendation", "decision"]),
              default="recommendation", show_default=True,
              help="The recommendation (问责建议书) or, once approved, the decision (问责决定书).")
@rules_option
@templates_option
@db_option
def render(rec_id: str, fmt: str, output: Path, document: str, rules_dir: Path | None,
           templates_dir: Path | None, db_url: str | None) -> None:
    """Write the recommendation document (问责建议书) or the decision (问责决定书) of one
    recommendation."""
    from documents.fonts import MissingDependency
    from documents.recommendation import NotFound, render_recommendation

    try:
        if document == "decision":
            from review.decision import render_decision

            data = render_decision(_store(db_url), rec_id, fmt, _rulebook(rules_dir), templates_dir)
        else:
            data = render_recommendation(_store(db_url), rec_id, fmt, _rulebook(rules_dir),
                                         templates_dir)
    except (NotFound, MissingDependency) as exc:
        raise click.ClickException(str(exc)) from exc
    output.write_bytes(data)
    click.echo(f"written {output}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (keep 127.0.0.1 behind a proxy on this machine).")
@click.option("--port", default=8000, type=click.IntRange(1, 65535), show_default=True)
@click.option("--secure-cookies", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True,
              help="Mark the session cookie Secure: auto when the request came over https.")
@rules_option
@templates_option
@db_option
def serve(host: str, port: int, secure_cookies: str, rules_dir: Path | None,
          templates_dir: Path | None, db_url: str | None) -> None:
    """Serve the review web application (问责建议审核) for discipline staff."""
    from web.config import WebConfig
    from web.serve import serve as run_server

    run_server(_store(db_url), host, port, WebConfig(secure_cookies=secure_cookies,  # type: ignore[arg-type]
                                                    rules_dir=rules_dir, templates_dir=templates_dir))


@main.group()
def report() -> None:
    """Periodic reports."""


@report.command("quarterly")
@click.argument("quarter")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf", "html"]), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Default: circulation-<QUARTER>.<format>")
@click.option("--county", default=None, metavar="UNIT",
              help="In a store of several counties: the county committee whose circulation it is.")
@rules_option
@templates_option
@db_option
def report_quarterly(quarter: str, fmt: str, output: Path | None, county: str | None,
                     rules_dir: Path | None, templates_dir: Path | None, db_url: str | None) -> None:
    """The quarterly circulation (一季一通报) for a quarter such as 2026Q3."""
    from documents.fonts import MissingDependency
    from documents.quarterly import BadQuarter, WhichCounty, render_quarterly

    output = output or Path(f"circulation-{quarter}.{fmt}")
    try:
        data = render_quarterly(_store(db_url), quarter, fmt, _rulebook(rules_dir), templates_dir,
                                county=county)
    except WhichCounty as exc:
        raise click.UsageError(str(exc)) from exc
    except (BadQuarter, MissingDependency) as exc:
        raise click.ClickException(str(exc)) from exc
    output.write_bytes(data)
    click.echo(f"written {output}")


@main.group()
def recommendations() -> None:
    """Read the recommendations the evaluation made."""


@recommendations.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of objects.")
@click.option("--status", type=click.Choice(["pending", "returned", "awaiting_second", "approved",
                                             "amended", "rejected", "withdrawn"]))
@click.option("--circumstance", type=click.IntRange(1, 4))
@rules_option
@db_option
def recommendations_list(as_json: bool, status: str | None, circumstance: int | None,
                         rules_dir: Path | None, db_url: str | None) -> None:
    """List recommendations with their document numbers (Chinese table, or --json)."""
    from usecases.recommendations import listed
    from usecases.terminal import format_table

    items = listed(_store(db_url), status, circumstance, with_explanation=not as_json)
    if as_json:
        click.echo(json_literal(json.dumps(items, ensure_ascii=False, indent=1)))
    else:  # the terminal's width; 80 columns when the output is not a terminal (COLUMNS to change)
        Console().print(format_table(items, _rulebook(rules_dir).labels))


@recommendations.command("show")
@click.argument("key", metavar="ID_OR_NUMBER")
@click.option("--json", "as_json", is_flag=True, help="The recommendation with its whole explanation.")
@rules_option
@db_option
def recommendations_show(key: str, as_json: bool, rules_dir: Path | None, db_url: str | None) -> None:
    """Show one recommendation, by id (R…) or by its document's number (县纪建〔2026〕7号)."""
    from usecases.recommendations import found
    from usecases.terminal import format_detail

    item = found(_store(db_url), key)
    if item is None:
        raise click.ClickException(f"no recommendation {literal(key)} (neither an id nor a document number)")
    if as_json:
        click.echo(json_literal(json.dumps(item, ensure_ascii=False, indent=1)))
    else:
        click.echo(format_detail(item, _rulebook(rules_dir).labels))


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=20, type=click.IntRange(min=0), show_default=True)
@db_option
def runs(as_json: bool, limit: int, db_url: str | None) -> None:
    """The latest evaluation runs: as-of date, rulebook, status, counts, timings."""
    from engine.run.read import list_runs

    items = list_runs(_store(db_url), limit)
    if as_json:
        click.echo(json_literal(json.dumps(items, ensure_ascii=False, indent=1)))
        return
    for run in items:
        counts = run["counts"]
        none = 0 if run["status"] == "committed" else "-"  # a person count absent: none of them
        click.echo(f"#{run['id']:<4} {run['status']:<9} as-of {run['as_of']}  rules {run['rulebook_hash'][:12]}  "
                   f"started {run['started']}  recommendations {counts.get('recommendations', '-')} "
                   f"(new {counts.get('new', '-')}, withdrawn {counts.get('withdrawn', '-')}, "
                   f"facts changed {counts.get('facts_changed', '-')}, "
                   f"set aside {counts.get('set_aside', '-')}; persons explained "
                   f"{counts.get('persons_explained', none)}, "
                   f"taken over {counts.get('persons_carried', none)})"
                   f"  {run['timings'].get('total_s', '-')} s"
                   + (f"  error: {literal(counts['error'])}" if "error" in counts else ""))


@main.command()
@click.argument("person")
@click.option("--as-of", "as_of", type=IsoDate(), default=None,
              help="Explain as on this date (default: the last run's as-of date).")
@click.option("--rule", "rule_id", default=None, help="Only this rule (its id).")
@click.option("--json", "as_json", is_flag=True, help="Everything, as one JSON object.")
@rules_option
@db_option
def explain(person: str, as_of: date | None, rule_id: str | None, as_json: bool,
            rules_dir: Path | None, db_url: str | None) -> None:
    """Why each rule fired or did not fire for PERSON: the clause that failed, the values
    compared, the facts looked at with their source."""
    from usecases.explain import Explainer, UnknownPerson, format_explained

    rulebook = _rulebook(rules_dir)
    if rule_id is not None and rule_id not in {v.rule_id for v in rulebook.versions}:
        raise click.BadParameter(f"no rule {literal(rule_id)} in the rulebook", param_hint="'--rule'")
    try:
        result = Explainer(_store(db_url), rulebook, as_of).explain(person, rule_id)
    except UnknownPerson as exc:
        raise click.ClickException(f"no person {literal(person)} in the store") from exc
    click.echo(json_literal(result.as_json()) if as_json else format_explained(result))


@main.group()
def rules() -> None:
    """The rulebook (the county folder)."""


def _folder(folder: Path | None, rules_dir: Path | None) -> Path | None:
    if folder is not None and rules_dir is not None and folder.resolve() != rules_dir.resolve():
        raise click.UsageError(f"two county folders given: {folder} and --rules {rules_dir}")
    return folder or rules_dir


folder_argument = click.argument(
    "folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))


@rules.command("check")
@folder_argument
@rules_option
@click.option("--strict", is_flag=True, help="Fail on warnings too (exit 2).")
def rules_check(folder: Path | None, rules_dir: Path | None, strict: bool) -> None:
    """Check every file of the county folder (FOLDER or --rules; default the bundled one): every
    error and warning at once, each as file:line:column: message."""
    from engine.rulebook import check_rulebook

    report = check_rulebook(_folder(folder, rules_dir))
    for error in report.errors:
        console.print(f"[red]rule error:[/] {plain(error)}", highlight=False)
    for warning in report.warnings:
        console.print(f"[yellow]rule warning:[/] {plain(warning)}", highlight=False)
    if report.rulebook is not None:
        click.echo(f"{len(report.rulebook.versions)} rule versions, sanctions, labels, wording and "
                   f"responsibility list ok, hash {report.rulebook.hash[:12]}")
    errors, warnings = len(report.errors), len(report.warnings)
    click.echo(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
               + (" (--strict: warnings fail)" if strict and report.warnings else ""))
    if report.errors:
        click.echo("the rulebook has errors: it will not be used to evaluate anything")
    if report.errors or (strict and report.warnings):
        sys.exit(EXIT_RULEBOOK)


@rules.command("test")
@folder_argument
@rules_option
@click.option("--run", "run", metavar="NAME", default=None,
              help="Only the cases whose name or file name contains NAME.")
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=None, metavar="N",
              help="Fail (exit 1) when rule, condition, sanctions or provision coverage is below N%.")
@click.option("--json", "as_json", is_flag=True, help="Results and coverage as JSON.")
def rules_test(folder: Path | None, rules_dir: Path | None, run: str | None,
               min_coverage: float | None, as_json: bool) -> None:
    """Run the rule tests in <rules>/tests/*.yaml with both evaluators, and report what they
    cover: rules, conditions (each held and failed), sanctions entries, quoted provisions."""
    from usecases.rule_tests import run_rule_tests

    outcome = run_rule_tests(_folder(folder, rules_dir), run)
    failed = sum(not r.passed for r in outcome.results)
    below = outcome.below(min_coverage) if min_coverage is not None else []
    if as_json:
        click.echo(json_literal(json.dumps(outcome.to_json() | {"below_threshold": below},
                                           ensure_ascii=False, indent=2, default=str)))
    else:
        for result in outcome.results:
            mark = "[green]PASS[/]" if result.passed else "[red]FAIL[/]"
            console.print(f"{mark} {plain(result.file)}: {plain(result.name)}", highlight=False)
            for failure in result.failures:
                console.print(f"     {plain(failure)}", highlight=False)
        click.echo(f"{len(outcome.results) - failed} passed, {failed} failed")
        for line in outcome.coverage.lines():
            click.echo(line)
        if below:
            click.echo(f"coverage below {min_coverage:g}%: {', '.join(below)}")
    sys.exit(EXIT_BAD_INPUT if failed or below else 0)


@rules.command("history")
@click.option("--json", "as_json", is_flag=True)
@db_option
def rules_history(as_json: bool, db_url: str | None) -> None:
    """The rulebooks that made the stored recommendations: runs, dates, counts."""
    from engine.run.rulebooks import history

    items = history(_store(db_url))
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=1))
        return
    for item in items:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(item["by_status"].items()))
        click.echo(f"{item['hash'][:12]}  runs {item['runs']} (as-of {item['first_as_of'] or '-'}"
                   f"..{item['last_as_of'] or '-'}, last {item['last_run'] or '-'})  "
                   f"recommendations {item['recommendations']}"
                   + (f" ({statuses})" if statuses else "")
                   + ("" if item["stored_copy"] else "  (no stored copy)"))
    if not items:
        click.echo("no rulebook has made a recommendation in this store yet")


@rules.command("show")
@click.argument("rulebook_hash", metavar="HASH")
@click.option("--file", "only", default=None, help="Only this file, e.g. sanctions.yaml.")
@db_option
def rules_show(rulebook_hash: str, only: str | None, db_url: str | None) -> None:
    """Print what a stored rulebook said (HASH, or its first characters)."""
    from engine.run.rulebooks import stored_copy

    try:
        found = stored_copy(_store(db_url), rulebook_hash)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    if found is None:
        raise click.ClickException(f"no stored rulebook {literal(rulebook_hash)} (wenze rules history)")
    full, files = found
    if only is not None and only not in files:
        raise click.ClickException(f"rulebook {full[:12]} has no {literal(only)}; it has "
                                   + ", ".join(files))
    click.echo(f"# rulebook {full}")
    for name, text in files.items():
        if only is None or name == only:
            click.echo(f"# ---- {name}")
            click.echo(literal(text), nl=not text.endswith("\n"))


class PeriodParam(click.ParamType):
    """A period such as 1m, 14d or 1y (the rule files' way of writing one)."""

    name = "PERIOD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from engine.rulebook.terms import Period, parse_period

        if isinstance(value, Period):
            return value
        try:
            return parse_period(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@rules.command("impact")
@click.option("--rules", "rules_dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The edited county folder.")
@click.option("--against", default=None, metavar="DIR|GIT_REV",
              help="The rulebook to compare with: a folder, or a git revision whose rules/ "
                   "folder is read (default: the bundled county folder).")
@click.option("--from", "start", type=IsoDate(), default=None,
              help="First as-of date (default: 11 months before --to).")
@click.option("--to", "end", type=IsoDate(), default=None,
              help="Last as-of date (default: the last run's as-of date, or today).")
@click.option("--every", type=PeriodParam(), default="1m", show_default=True,
              help="Between as-of dates, counted back from --to (1m, 14d, 1y).")
@click.option("--json", "as_json", is_flag=True, help="Every case, date and total as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the one-page report (Chinese, with a chart) here.")
@templates_option
@db_option
def rules_impact(rules_dir: Path, against: str | None, start: date | None, end: date | None,
                 every: Any, as_json: bool, html_path: Path | None, templates_dir: Path | None,
                 db_url: str | None) -> None:
    """Replay the stored facts under both rulebooks and show every case that would change;
    writes nothing to the store."""
    from usecases.impact import (
        BadRevision,
        format_impact,
        impact_html,
        impact_json,
        impact_of_folders,
    )

    store = _store(db_url)
    with Progress("[progress.description]{task.description}", console=console,
                  transient=True) as bar:
        task = bar.add_task("replaying")
        try:
            result = impact_of_folders(store, rules_dir, against, start, end, every,
                                       lambda day: bar.update(task, description=f"replayed {day}"))
        except BadRevision as exc:
            raise click.BadParameter(str(exc), param_hint="'--against'") from exc
    if html_path is not None:
        html_path.write_text(impact_html(result, templates_dir), encoding="utf-8")
        console.print(f"written {literal(html_path)}", highlight=False)
    click.echo(json_literal(impact_json(result)) if as_json else format_impact(result))


# ---------------------------------------------------------------- review: accounts, decisions, audit

user_option = click.option("--user", "user_name", required=True, metavar="NAME",
                           help="Who acts (password from WENZE_PASSWORD, else a prompt).")
seen_option = click.option("--seen", default=None, metavar="VERSION",
                           help="Refuse if the recommendation changed since `review show` gave "
                                "this version.")
day_option = click.option("--date", "day", type=IsoDate(), default=None,
                          help="When it took place (default today; never later).")


def _password(confirm: bool = False) -> str:
    return os.environ.get("WENZE_PASSWORD") or click.prompt(
        "password", hide_input=True, confirmation_prompt=confirm)


def _login(store, name: str):  # noqa: ANN001, ANN202
    from review.users import authenticate

    user = authenticate(store, name, _password())
    if user is None:
        console.print("[red]refused:[/] wrong user name or password", highlight=False)
        sys.exit(EXIT_REFUSED)
    return user


@main.group()
def users() -> None:
    """Accounts of the people who review and decide."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["reviewer", "approver", "policy", "admin"]), required=True)
@click.option("--units", "units", multiple=True, required=True, metavar="UNIT",
              help="A unit whose subtree the user sees (repeat, or separate by commas).")
@click.option("--home", default=None, metavar="UNIT",
              help="The unit the user works in: never decides its own cases.")
@rules_option
@db_option
def users_add(name: str, role: str, units: tuple[str, ...], home: str | None,
              rules_dir: Path | None, db_url: str | None) -> None:
    """Add an account (password from WENZE_PASSWORD, else asked twice)."""
    from review.users import add_user

    units = tuple(u.strip() for value in units for u in value.split(",") if u.strip())
    user = add_user(_store(db_url), name, role, units, _password(confirm=True), home=home,
                    rulebook=_rulebook(rules_dir))
    click.echo(f"added {literal(user.name)} ({user.role}) for {literal(', '.join(user.units))}")


@users.command("list")
@db_option
def users_list(db_url: str | None) -> None:
    """The accounts: name, role, units, home unit."""
    from review.users import list_users

    for user in list_users(_store(db_url)):
        click.echo(literal(f"{user.name}\t{user.role}\t{','.join(user.units)}\t{user.home or '-'}"))


@main.group()
def review() -> None:
    """Read and decide recommendations (the same rules as the web app)."""


@review.command("list")
@user_option
@click.option("--status", default=None)
@click.option("--unit", default=None, help="This unit and its subtree.")
@click.option("--circumstance", type=click.IntRange(1, 4), default=None)
@click.option("--form", default=None, help="The current form (as amended, else as proposed).")
@click.option("--proposer", default=None)
@click.option("--from", "date_from", type=IsoDate(), default=None, help="Conduct on or after.")
@click.option("--to", "date_to", type=IsoDate(), default=None, help="Conduct on or before.")
@click.option("--step", default=None, help="The last step recorded (none: no step yet).")
@click.option("--sort", default="-conduct_date", show_default=True,
              type=click.Choice([f"{d}{k}" for k in ("conduct_date", "person", "unit", "form",
                                                     "status", "circumstance", "id")
                                 for d in ("", "-")]))
@click.option("--page", type=click.IntRange(min=1), default=1)
@click.option("--per-page", type=click.IntRange(1, 200), default=50)
@click.option("--json", "as_json", is_flag=True)
@rules_option
@db_option
def review_list(user_name: str, as_json: bool, rules_dir: Path | None, db_url: str | None,
                **filters: Any) -> None:
    """The queue: the recommendations in your units' subtree, filtered, sorted, paged."""
    from review.queue import QueueFilter, list_queue
    from usecases.review_terminal import queue_json, queue_table

    store = _store(db_url)
    page = list_queue(store, _login(store, user_name), QueueFilter(**filters),
                      rulebook=_rulebook(rules_dir))
    if as_json:
        click.echo(json_literal(json.dumps(queue_json(page), ensure_ascii=False, indent=1,
                                           default=str)))
    else:
        Console(width=None if sys.stdout.isatty() else 200).print(queue_table(page))


@review.command("show")
@click.argument("rec_id")
@user_option
@click.option("--json", "as_json", is_flag=True)
@rules_option
@db_option
def review_show(rec_id: str, user_name: str, as_json: bool, rules_dir: Path | None,
                db_url: str | None) -> None:
    """One recommendation: evidence, steps done and pending, decisions, what you may do."""
    from dataclasses import asdict

    from review.detail import recommendation_detail
    from usecases.review_terminal import detail_text

    store = _store(db_url)
    detail = recommendation_detail(store, _login(store, user_name), rec_id,
                                   rulebook=_rulebook(rules_dir))
    if as_json:
        click.echo(json_literal(json.dumps(asdict(detail), ensure_ascii=False, indent=1,
                                           default=str)))
    else:
        click.echo(detail_text(detail), nl=False)
        click.echo(f"version {detail.version}")


@review.command("approve")
@click.argument("rec_id")
@user_option
@click.option("--body", default=None, metavar="CODE",
              help="The deciding body (county.yaml code); default: the one sanctions.yaml names.")
@click.option("--reason", default=None)
@day_option
@seen_option
@rules_option
@db_option
def review_approve(rec_id: str, user_name: str, body: str | None, reason: str | None,
                   day: date | None, seen: str | None, rules_dir: Path | None,
                   db_url: str | None) -> None:
    """Approve (a form above 通报批评 needs a second approver who is not the first)."""
    from review.decide import approve

    store = _store(db_url)
    status = approve(store, _login(store, user_name), rec_id, deciding_body_code=body, day=day,
                     reason=reason, seen=seen, rulebook=_rulebook(rules_dir))
    click.echo(f"{rec_id}: {status}")


@review.command("amend")
@click.argument("rec_id")
@user_option
@click.option("--form", "forms", multiple=True, required=True, metavar="FORM",
              help="The form(s) decided on, e.g. suspension (repeat for several).")
@click.option("--reason", required=True)
@day_option
@seen_option
@rules_option
@db_option
def review_amend(rec_id: str, user_name: str, forms: tuple[str, ...], reason: str,
                 day: date | None, seen: str | None, rules_dir: Path | None,
                 db_url: str | None) -> None:
    """Change or add a form (the engine's proposal is kept beside it)."""
    from review.decide import amend

    store = _store(db_url)
    decided = amend(store, _login(store, user_name), rec_id, list(forms), reason, day=day,
                    seen=seen, rulebook=_rulebook(rules_dir))
    click.echo(f"{rec_id}: {', '.join(decided)}")


def _reasoned(name: str, help_text: str, act: str):  # noqa: ANN202
    """``wenze review reject`` and ``return``: an act that needs only a reason."""
    @review.command(name, help=help_text)
    @click.argument("rec_id")
    @user_option
    @click.option("--reason", required=True)
    @day_option
    @seen_option
    @rules_option
    @db_option
    def command(rec_id: str, user_name: str, reason: str, day: date | None, seen: str | None,
                rules_dir: Path | None, db_url: str | None) -> None:
        from review import decide

        store = _store(db_url)
        status = getattr(decide, act)(store, _login(store, user_name), rec_id, reason, day=day,
                                      seen=seen, rulebook=_rulebook(rules_dir))
        click.echo(f"{rec_id}: {status}")

    return command


review_reject = _reasoned("reject", "No accountability (reason required).", "reject")
review_return = _reasoned("return", "Back for more evidence (reason required); recording a step "
                          "reopens it.", "return_for_evidence")


@review.command("step")
@click.argument("rec_id")
@click.argument("step")
@user_option
@click.option("--set", "values", multiple=True, metavar="FIELD=VALUE",
              help="A field of the step (rules/review.yaml), e.g. --set adopted=否.")
@day_option
@seen_option
@rules_option
@db_option
def review_step(rec_id: str, step: str, user_name: str, values: tuple[str, ...],
                day: date | None, seen: str | None, rules_dir: Path | None,
                db_url: str | None) -> None:
    """Record a due-process step (investigation, statement, collective_decision, served,
    appeal, execution — as rules/review.yaml names them)."""
    from review.decide import record_step

    data: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{literal(value)!r}: write FIELD=VALUE", param_hint="'--set'")
        data[name.strip()] = text
    store = _store(db_url)
    record_step(store, _login(store, user_name), rec_id, step, day, data, seen=seen,
                rulebook=_rulebook(rules_dir))
    click.echo(f"{rec_id}: {step} recorded")


@main.group()
def audit() -> None:
    """The tamper-evident log of every decision, step and account change."""


@audit.command("verify")
@db_option
def audit_verify(db_url: str | None) -> None:
    """Check the chain; exit 9 naming the first entry altered, removed or cut off."""
    from review.audit import verify

    bad = verify(_store(db_url))
    if bad is not None:
        console.print(f"[red]audit log broken:[/] {plain(bad)}", highlight=False)
        sys.exit(EXIT_AUDIT)
    click.echo("audit log ok")


@audit.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Default: standard output.")
@db_option
def audit_export(output: Path | None, db_url: str | None) -> None:
    """The whole log as JSON Lines, for an outside archive."""
    from review.audit import export

    store = _store(db_url)
    if output is None:
        export(store, sys.stdout)
        return
    with output.open("w", encoding="utf-8") as out:
        count = export(store, out)
    click.echo(f"{count} entries written to {output}", err=True)


if __name__ == "__main__":
    main()
