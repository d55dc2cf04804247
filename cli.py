"""The ``wenze`` command line: parse, call one function, print."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from documents.errors import DocumentError, TemplateProblem
from engine.errors import EvaluationError, RulebookError
from facts.errors import StoreBusy, StoreUnavailable, StoreVersionError
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
                StoreVersionError, StoreUnavailable) as exc:
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


db_option = click.option(
    "--db", "db_url", envvar="WENZE_DB", default=None,
    help="Store URL (default sqlite:///wenze.db in the working folder; or postgresql://...).")
wait_option = click.option(
    "--wait", "lock_wait", type=click.FloatRange(min=0), envvar="WENZE_LOCK_WAIT", default=60.0,
    show_default=True, metavar="SECONDS",
    help="How long to wait while another ingest, evaluate or nightly writes to the store; "
         f"then exit {EXIT_BUSY} (env WENZE_LOCK_WAIT).")
rules_option = click.option(
    "--rules", "rules_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None, help="County folder (default: the bundled county rulebook).")


@click.group(cls=_Wenze)
def main() -> None:
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
    from facts.contract import KINDS
    from facts.store import PROVENANCE, fact_query, stream

    if kind not in KINDS:
        raise click.BadParameter(f"unknown kind; one of {', '.join(KINDS)}", param_hint="KIND")
    for option, value in (("unit", unit), ("person", person)):
        if value is not None and option not in KINDS[kind].model_fields:
            raise click.BadParameter(f"a {kind} has no {option}; leave --{option} out",
                                     param_hint=f"'--{option}'")
    query = fact_query(kind, unit=unit, person=person, since=since, until=until)
    for row in stream(_store(db_url), query.limit(limit or None)):
        fact = {k: v for k, v in row._mapping.items() if k not in PROVENANCE or k == "src"}
        click.echo(json_literal(json.dumps({"kind": kind, **fact}, ensure_ascii=False, default=str)))


@facts.command()
def schema() -> None:
    """Print the fact contract as JSON Schema."""
    from facts.contract import json_schema

    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


@main.command()
@click.option("--seed", default=2026, show_default=True, help="Same seed, same county.")
@click.option("--scale", default=1.0, show_default=True, help="Multiply the number of cadres and units.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-out/exports"),
              show_default=True)
def demo(seed: int, scale: float, out: Path) -> None:
    """Generate the demo county as JSONL, CSV and XLSX export files."""
    from facts.demo import write_exports

    result = write_exports(out, seed=seed, scale=scale)
    for kind, n in result.items():
        click.echo(f"{kind:15} {n:>9}")
    click.echo(f"written to {out}")


as_of_option = click.option("--as-of", "as_of", type=IsoDate(), default=None,
                            help="Evaluate as on this date (default today); later facts are ignored.")


@main.command()
@as_of_option
@rules_option
@click.option("--evaluator", type=click.Choice(["durable", "reference"]), default="durable",
              show_default=True, help="durable_rules, or the plain-Python reference evaluator.")
@wait_option
@db_option
def evaluate(as_of: date | None, rules_dir: Path | None, evaluator: str, lock_wait: float,
             db_url: str | None) -> None:
    """Evaluate the store against the rulebook and record recommendations."""
    from engine.run.evaluate import EVALUATORS
    from engine.run.evaluate import evaluate as run_evaluation

    store = _store(db_url)
    result = run_evaluation(store, as_of, _rulebook(rules_dir), EVALUATORS[evaluator](),
                            wait=lock_wait)
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
@_drop_options
@wait_option
@db_option
def nightly(as_of: date | None, rules_dir: Path | None, templates_dir: Path | None, out: Path,
            drop_dir: Path | None, settle: float, lock_wait: float, db_url: str | None) -> None:
    """Evaluate everything collected and write the documents of the recommendations (for cron)."""
    from usecases.drop import ingest_drop
    from usecases.nightly import run_nightly

    store = _store(db_url)
    if drop_dir:  # a rejected file does not stop the run; it is reported, and exits 1 at the end
        dropped = ingest_drop(store, drop_dir, settle=settle, rules_dir=rules_dir, wait=lock_wait)
        _print_drop(dropped)
    report = run_nightly(store, out, _rulebook(rules_dir), as_of, templates_dir, wait=lock_wait)
    _print_run(report.run, store)
    click.echo(f"文书 {len(report.documents)} 个，写入 {literal(report.folder)}")
    if drop_dir and dropped.rejected:
        console.print(f"[red]{len(dropped.rejected)} dropped files rejected[/] (see "
                      f"{plain(drop_dir / 'rejected')})", highlight=False)
        sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("rec_id")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf", "html"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@rules_option
@templates_option
@db_option
def render(rec_id: str, fmt: str, output: Path, rules_dir: Path | None, templates_dir: Path | None,
           db_url: str | None) -> None:
    """Write the recommendation document (问责建议书) of one recommendation."""
    from documents.fonts import MissingDependency
    from documents.recommendation import NotFound, render_recommendation

    try:
        data = render_recommendation(_store(db_url), rec_id, fmt, _rulebook(rules_dir), templates_dir)
    except (NotFound, MissingDependency) as exc:
        raise click.ClickException(str(exc)) from exc
    output.write_bytes(data)
    click.echo(f"written {output}")


@main.group()
def report() -> None:
    """Periodic reports."""


@report.command("quarterly")
@click.argument("quarter")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf", "html"]), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Default: circulation-<QUARTER>.<format>")
@rules_option
@templates_option
@db_option
def report_quarterly(quarter: str, fmt: str, output: Path | None, rules_dir: Path | None,
                     templates_dir: Path | None, db_url: str | None) -> None:
    """The quarterly circulation (一季一通报) for a quarter such as 2026Q3."""
    from documents.fonts import MissingDependency
    from documents.quarterly import BadQuarter, render_quarterly

    output = output or Path(f"circulation-{quarter}.{fmt}")
    try:
        data = render_quarterly(_store(db_url), quarter, fmt, _rulebook(rules_dir), templates_dir)
    except (BadQuarter, MissingDependency) as exc:
        raise click.ClickException(str(exc)) from exc
    output.write_bytes(data)
    click.echo(f"written {output}")


@main.group()
def recommendations() -> None:
    """Read the recommendations the evaluation made."""


@recommendations.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of objects.")
@click.option("--status", type=click.Choice(["pending", "approved", "amended", "rejected", "withdrawn"]))
@click.option("--circumstance", type=click.IntRange(1, 4))
@rules_option
@db_option
def recommendations_list(as_json: bool, status: str | None, circumstance: int | None,
                         rules_dir: Path | None, db_url: str | None) -> None:
    """List recommendations (Chinese table, or --json)."""
    from engine.run.read import list_recommendations
    from usecases.terminal import format_table

    items = list_recommendations(_store(db_url), status, circumstance, with_explanation=not as_json)
    if as_json:
        click.echo(json_literal(json.dumps(items, ensure_ascii=False, indent=1)))
    else:
        table = format_table(items, _rulebook(rules_dir).labels)
        Console(width=None if sys.stdout.isatty() else 200).print(table)


@recommendations.command("show")
@click.argument("rec_id")
@click.option("--json", "as_json", is_flag=True, help="The recommendation with its whole explanation.")
@rules_option
@db_option
def recommendations_show(rec_id: str, as_json: bool, rules_dir: Path | None, db_url: str | None) -> None:
    """Show one recommendation with its whole explanation."""
    from engine.run.read import get_recommendation
    from usecases.terminal import format_detail

    item = get_recommendation(_store(db_url), rec_id)
    if item is None:
        raise click.ClickException(f"no recommendation {literal(rec_id)}")
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
        click.echo(f"#{run['id']:<4} {run['status']:<9} as-of {run['as_of']}  rules {run['rulebook_hash'][:12]}  "
                   f"started {run['started']}  recommendations {counts.get('recommendations', '-')} "
                   f"(new {counts.get('new', '-')}, withdrawn {counts.get('withdrawn', '-')}, "
                   f"facts changed {counts.get('facts_changed', '-')}, "
                   f"set aside {counts.get('set_aside', '-')})  {run['timings'].get('total_s', '-')} s"
                   + (f"  error: {literal(counts['error'])}" if "error" in counts else ""))


@main.group()
def rules() -> None:
    """The rulebook (the county folder)."""


@rules.command("check")
@rules_option
def rules_check(rules_dir: Path | None) -> None:
    """Check every file of the county folder; every error with file, line and column."""
    rulebook = _rulebook(rules_dir)
    click.echo(f"{len(rulebook.versions)} rule versions, sanctions, labels, wording and "
               f"responsibility list ok, hash {rulebook.hash[:12]}")


@rules.command("test")
@rules_option
def rules_test(rules_dir: Path | None) -> None:
    """Run the rule tests in <rules>/tests/*.yaml with both evaluators."""
    from usecases.rule_tests import run_rule_tests

    results = run_rule_tests(rules_dir)
    for result in results:
        mark = "[green]PASS[/]" if result.passed else "[red]FAIL[/]"
        console.print(f"{mark} {plain(result.file)}: {plain(result.name)}", highlight=False)
        for failure in result.failures:
            console.print(f"     {plain(failure)}", highlight=False)
    failed = sum(not r.passed for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(EXIT_BAD_INPUT if failed else 0)


if __name__ == "__main__":
    main()
