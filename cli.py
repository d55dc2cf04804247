"""The ``wenze`` command line: parse, call one function, print."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

console = Console(stderr=True)
db_option = click.option(
    "--db", "db_url", envvar="WENZE_DB", default=None,
    help="Store URL (default sqlite:///wenze.db in the working folder; or postgresql://...).")


@click.group()
def main() -> None:
    """wenze (问责): accountability recommendations from duty ledgers and inspection records."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Load the good rows; write the bad ones to a rejects file.")
@click.option("--replace", is_flag=True, help="Load new versions of stored facts (earlier versions are kept).")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where --skip-bad writes rejected rows (default wenze-rejects.jsonl).")
@db_option
def ingest(files: tuple[Path, ...], skip_bad: bool, replace: bool, rejects: Path | None,
           db_url: str | None) -> None:
    """Load JSON Lines, CSV and XLSX exports into the store."""
    from facts.ingest import ingest as run_ingest
    from facts.store import open_store

    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        def progress(name: str, total: int):
            task = bar.add_task(name, total=total)
            return lambda n: bar.advance(task, n)

        report = run_ingest(open_store(db_url), files, skip_bad=skip_bad, replace=replace,
                            rejects_path=rejects, progress=progress)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    for error in report.errors[:200]:
        console.print(f"[red]error:[/] {error}", highlight=False)
    if len(report.errors) > 200:
        console.print(f"... and {len(report.errors) - 200} more errors")
    kinds = sorted(set(report.loaded) | set(report.unchanged) | set(report.replaced))
    for kind in kinds:
        console.print(f"  {kind:15} {report.loaded[kind]:>9} new  {report.unchanged[kind]:>9} "
                      f"unchanged  {report.replaced[kind]:>6} replaced")
    if report.rejects_file:
        console.print(f"{report.rejected_rows} bad rows written to {report.rejects_file}")
    if report.errors and not skip_bad:
        console.print(f"[red]{report.rejected_rows} bad rows: nothing was loaded[/] "
                      "(fix them, or use --skip-bad to load the good rows)")
        sys.exit(1)
    console.print("loaded" if report.committed else "nothing new to load")


@main.group()
def facts() -> None:
    """The fact contract and what the store holds."""


@facts.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object of counts per kind.")
@db_option
def stats(as_json: bool, db_url: str | None) -> None:
    """Number of stored facts per kind."""
    from facts.store import counts, open_store

    result = counts(open_store(db_url))
    if as_json:
        click.echo(json.dumps(result))
    else:
        for kind, n in result.items():
            click.echo(f"{kind:15} {n:>9}")


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


if __name__ == "__main__":
    main()
