"""The `robustsim` command."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simulator import registry
from simulator.analysis.errors import ResultsNotFoundError, UnsupportedResultsError
from simulator.assets import AssetError, builtin_environments, builtin_objects
from simulator.config import ConfigError, check_scheduler_address
from simulator.execution.base import Executor
from simulator.execution.cluster import ClusterError
from simulator.experiment import Experiment, load_experiment
from simulator.interrupts import InterruptWatch
from simulator.labels import imagenet_classes
from simulator.messages import short_value
from simulator.models.fit import check_model_fits
from simulator.models.loading import ModelError, load_model
from simulator.progress import RichProgress
from simulator.specs.box import SpecBox, load_specs
from simulator.results.store import OutputMismatchError, writable_folder

console = Console(stderr=True, soft_wrap=True)  # messages are never hard-wrapped (paths stay whole)
USER_ERRORS = (
    ConfigError,
    AssetError,
    OutputMismatchError,
    ModelError,
    registry.UnknownNameError,
    ClusterError,
    ResultsNotFoundError,
    UnsupportedResultsError,
)


def user_errors_without_traceback(command: Callable[..., Any]) -> Callable[..., Any]:
    """Show a user's mistake as a message and exit 2, never as a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except USER_ERRORS as error:
            console.print(f"[bold red]error:[/] {escape(str(error))}", markup=True, highlight=False)
            sys.exit(2)

    return wrapper


def scheduler_address(context: click.Context, parameter: click.Parameter, value: str | None) -> str | None:
    """--scheduler gets the check `cluster.address` gets in the file."""
    try:
        return value if value is None else check_scheduler_address(value)
    except ValueError as error:
        raise click.BadParameter(str(error), context, parameter) from None


def binning_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--bins and --binning, for the commands that bin continuous parameters (report, dashboard)."""
    command = click.option(
        "--binning",
        type=click.Choice(["quantile", "width"]),
        default="quantile",
        show_default=True,
        help="quantile (equal-count) or equal-width bins for continuous parameters",
    )(command)
    return click.option(
        "--bins", type=click.IntRange(min=1), default=4, show_default=True, help="bins per continuous parameter"
    )(command)


@click.group()
@click.version_option(package_name="robustsim")
def main() -> None:
    """robustsim: find where vision models fail, by rendering the conditions you declare."""


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@user_errors_without_traceback
def validate(config: Path) -> None:
    """Check an experiment file and show what it would run, without rendering."""
    experiment = load_experiment(config)
    _describe(experiment)
    _describe_specs(load_specs(experiment))
    for spec in experiment.models:
        model = load_model(spec.config)  # builds it once: bad modules or weights fail here
        check_model_fits(experiment, model, spec)  # and runs it once on a blank render
    console.print(f"[green]{config} is valid.[/]")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), help="results folder")
@click.option("--batch-size", default=16, show_default=True, help="samples per task (one model batch)")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="worker processes of the local Dask cluster (default: cluster.workers, else one per 4 cores); "
    "0 runs everything in this process, without Dask",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    callback=scheduler_address,
    help="run on an existing Dask cluster (e.g. tcp://head:8786) instead of a local one; default: cluster.address",
)
@click.option("--max-failures", type=click.IntRange(min=0), help="stop the run once more than N samples have failed")
@click.option("--retry-failed", is_flag=True, help="render again the samples that failed in earlier runs (else they count as done)")
@user_errors_without_traceback
def run(
    config: Path,
    output: Path | None,
    batch_size: int,
    workers: int | None,
    scheduler: str | None,
    max_failures: int | None,
    retry_failed: bool,
) -> None:
    """Render, judge and log every sample of an experiment (resumes where a previous run stopped).

    Batches run on a local Dask cluster by default (one single-threaded process per worker, the
    cores split between them), on an existing cluster with --scheduler, or in this process with
    --workers 0.
    """
    from simulator.results.reader import read_results
    from simulator.runner import TooManyFailuresError, run_experiment

    experiment = load_experiment(config)
    output = output or experiment.config.output.dir or Path("results") / experiment.name
    _log_to_file(output / "run.log")
    _describe(experiment)
    executor = _executor(experiment, workers, scheduler)
    progress = RichProgress(console)
    try:
        with InterruptWatch() as interrupt:
            outcome = run_experiment(
                experiment, output, executor, progress, batch_size, max_failures, lambda: interrupt.requested,
                retry_failed=retry_failed,
            )
    except KeyboardInterrupt:
        progress.stop()
        console.print(f"[yellow]Interrupted.[/] Finished samples are saved in {output}; run again to resume.")
        sys.exit(130)
    except TooManyFailuresError as error:
        progress.stop()
        _fail(f"{error}; finished samples are saved, details in {output / 'run.log'}")
    finally:
        progress.stop()
        executor.close()
    if outcome.rendered and outcome.failed == outcome.rendered:
        _fail(f"all {outcome.failed} samples failed (last error: {outcome.last_error}); details in {output / 'run.log'}")
    results = read_results(outcome.results_dir)
    _print_accuracy(results, getattr(experiment.make_evaluator(), "topk", None))
    _print_worst_cases(results, experiment)
    console.print(
        f"Rendered {outcome.rendered} samples ({outcome.failed} failed{_retried(outcome.retried)}), "
        f"skipped {outcome.skipped} already done.\n"
        f"Results: [bold]{outcome.results_dir}[/] (Parquet; pandas.read_parquet reads the folder)"
    )


def _fail(message: str) -> None:
    """One line on the terminal (tracebacks are in the log file), exit status 1."""
    console.print(f"[bold red]error:[/] {escape(' '.join(message.split()))}", highlight=False)
    sys.exit(1)


def _executor(experiment: Experiment, workers: int | None, scheduler: str | None) -> Executor:
    """In-process, a local Dask cluster or an existing one; the model is checked here before any rendering."""
    from simulator.execution.cluster import default_workers
    from simulator.execution.dask import DaskExecutor
    from simulator.execution.worker import available_cores
    from simulator.execution.local import LocalExecutor

    cluster = experiment.config.cluster
    scheduler = scheduler or cluster.address
    workers = workers if workers is not None else cluster.workers
    in_process = scheduler is None and workers == 0
    models = {}
    for spec in experiment.models:
        config = spec.config if in_process else spec.config.model_copy(update={"device": "cpu"})  # workers pick their own device
        models[spec.name] = load_model(config)
        check_model_fits(experiment, models[spec.name], spec)  # one blank render through it, as in validate
    if in_process:
        return LocalExecutor(models)
    if scheduler is not None:
        executor = DaskExecutor.connect(scheduler, cluster.resources)
    else:
        count = workers or default_workers()
        executor = DaskExecutor.local(count, cluster.resources)
        threads = experiment.config.render.threads or max(1, available_cores() // count)
        console.print(
            f"Local Dask cluster: {count} worker process(es) on {available_cores()} cores, {threads} CPU thread(s) "
            "each for Cycles, torch, OpenCV and OpenMP/BLAS (docs/cluster.md)"
        )
    link = executor.dashboard_link
    console.print(f"Dask dashboard: {link}" if link else "Dask dashboard: none (the scheduler serves none)")
    return executor


@main.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="HTML file to write",
)
@binning_options
@user_errors_without_traceback
def report(results: Path, output: Path, bins: int, binning: str) -> None:
    """Write one self-contained HTML report of a results folder (RESULTS: the -o folder of `run`).

    Summary, object x environment heat map, sensitivity to each control, the interaction of the two
    most influential ones, wrong predictions, a failure gallery and the top failure modes in words.
    """
    from simulator.analysis.report import write_report

    written = write_report(results, output, bins=bins, method=binning)
    console.print(f"Report: [bold]{written}[/]")


@main.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on (0.0.0.0: every interface)")
@click.option("--port", type=click.IntRange(0, 65535), default=8050, show_default=True, help="port (0: a free one)")
@binning_options
@user_errors_without_traceback
def dashboard(results: Path, host: str, port: int, bins: int, binning: str) -> None:
    """Serve an interactive dashboard of a results folder (RESULTS: the -o folder of `run`).

    Heat maps over any two parameters with sliders for others, per-object and per-environment
    accuracy, the renders of any cell and a failure gallery; new part files of a running experiment
    appear as they are written. Ctrl-C stops it.
    """
    from simulator.dashboard.server import DashboardServer

    try:
        server = DashboardServer(results, host, port, bins=bins, method=binning)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    console.print(f"Dashboard: [bold]{server.url}[/] (Ctrl-C stops it)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("Dashboard stopped.")
    finally:
        server.server_close()


@main.command(name="list")
@click.argument("what", type=click.Choice(["objects", "environments", "controls", "policies"]))
def list_(what: str) -> None:
    """List built-in objects, bundled environments, controls or policies."""
    table = Table(show_header=True, header_style="bold")
    if what == "objects":
        names = imagenet_classes()
        table.add_column("object"), table.add_column("accepted ImageNet classes"), table.add_column("mesh")
        for name, asset in builtin_objects().items():
            table.add_row(name, ", ".join(f"{names[i]} ({i})" for i in asset.labels), asset.mesh_path.name)
    elif what == "environments":
        table.add_column("environment"), table.add_column("file")
        for name, path in builtin_environments().items():
            table.add_row(name, str(path))
        table.caption = "Also: any .exr/.hdr path, or a solid colour '#rrggbb'"
    elif what == "controls":
        table.add_column("control"), table.add_column("parameters"), table.add_column("what it does")
        for name in registry.names("controls"):
            control = registry.lookup("controls", name)
            params = ", ".join(f"{p.name}" + (f" ({p.unit})" if p.unit else "") for p in control.parameters)
            table.add_row(name, params, control.summary)
    else:
        table.add_column("policy"), table.add_column("what it does")
        for name in registry.names("policies"):
            table.add_row(name, registry.lookup("policies", name).summary)
    _wide_console().print(table)


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("docs/controls.md"),
    show_default=True,
    help="markdown file to write; the PNG strips go to a gallery/ folder beside it",
)
@click.option("--resolution", type=click.IntRange(min=8, max=1024), default=96, show_default=True, help="frame size (px)")
@click.option("--steps", type=click.IntRange(min=1, max=20), default=5, show_default=True, help="frames per strip")
@click.option("--samples", type=click.IntRange(min=1), default=16, show_default=True, help="Cycles samples per pixel")
@user_errors_without_traceback
def gallery(output: Path, resolution: int, steps: int, samples: int) -> None:
    """Document every registered control: a parameter table and a strip of renders across its range."""
    from simulator.gallery import write_gallery

    written = write_gallery(output, resolution, steps, samples, progress=lambda message: console.print(message))
    console.print(f"Gallery: [bold]{written}[/]")


@main.command()
@click.argument("obj", metavar="OBJECT")
@click.option("--environment", default="studio", show_default=True, help="bundled HDRI, .exr/.hdr file or '#rrggbb'")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="PNG to write (default: preview-OBJECT.png)"
)
@click.option("--resolution", type=click.IntRange(min=8, max=1024), default=160, show_default=True, help="size of each view (px)")
@click.option("--samples", type=click.IntRange(min=1), default=16, show_default=True, help="Cycles samples per pixel")
@user_errors_without_traceback
def preview(obj: str, environment: str, output: Path | None, resolution: int, samples: int) -> None:
    """Render OBJECT (a built-in name or an object folder) from the front, back, left, right, top and
    three-quarters onto one labelled PNG, to check its scale, up axis and front before a run; warn about
    a mesh without UVs or with degenerate geometry."""
    from simulator.preview import render_preview, write_preview

    rendered = render_preview(obj, environment, resolution, samples)
    for warning in rendered.warnings:
        console.print(f"[yellow]warning:[/] {escape(rendered.object_name)}: {escape(warning)}", highlight=False)
    written = write_preview(rendered, output or Path(f"preview-{rendered.object_name}.png"))
    console.print(f"Preview: [bold]{escape(str(written))}[/]")


@main.command(name="optimize-texture")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True, help="output folder")
@click.option("--resume", is_flag=True, help="require a checkpoint in the output folder (one is always resumed from)")
@user_errors_without_traceback
def optimize_texture(config: Path, output: Path, resume: bool) -> None:
    """Optimize an unadversarial texture for the object of CONFIG by differentiable rendering (Mitsuba 3).

    Writes texture.png (for the texture control's `image`), curves.png, history.csv, summary.md and
    checkpoint.pt; running the same command again continues from the checkpoint.
    """
    from simulator.render.mitsuba_setup import MitsubaSetupError
    from simulator.texture.app import NoCheckpointError, optimize_texture as optimize
    from simulator.texture.loop import CheckpointMismatchError

    _log_to_file(output / "optimize.log")
    try:
        summary = optimize(config, output, resume, console)
    except (NoCheckpointError, CheckpointMismatchError, MitsubaSetupError) as error:
        console.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        console.print(f"[yellow]Interrupted.[/] Checkpoint saved in {output}; run the same command to resume.")
        sys.exit(130)
    console.print(
        f"loss {summary['loss_first']:.3f} -> {summary['loss_last']:.3f}, training top-1 "
        f"{summary['accuracy_first']:.2f} -> {summary['accuracy_last']:.2f}. Texture: [bold]{output / 'texture.png'}[/]"
    )


@main.command(name="optimize-patch")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True, help="output folder")
@user_errors_without_traceback
def optimize_patch(config: Path, output: Path) -> None:
    """Optimize an unadversarial 2D sticker for a class on images, and evaluate it on held-out ones."""
    from simulator.texture.app import optimize_patch as optimize

    _log_to_file(output / "optimize.log")
    summary = optimize(config, output, console)
    for key, value in summary["accuracy"].items():
        console.print(f"{key}: top-1 {value['accuracy']:.2f} [{value['low']:.2f}, {value['high']:.2f}] (n = {value['n']})")
    console.print(f"Patch: [bold]{output / 'patch.png'}[/]")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), help="folder for the specs' renders and verdicts")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), help="also write a JUnit XML report here")
@click.option(
    "--inconclusive",
    type=click.Choice(["fail", "pass"]),
    default="fail",
    show_default=True,
    help="whether an INCONCLUSIVE verdict (budget spent before a decision) fails the check",
)
@click.option("--spec", "names", multiple=True, help="run only this spec (repeatable); default: all")
@click.option("--workers", type=click.IntRange(min=0), help="as for run: local Dask workers; 0 renders in this process")
@click.option("--scheduler", metavar="ADDRESS", callback=scheduler_address, help="as for run: an existing Dask cluster")
@user_errors_without_traceback
def check(
    config: Path,
    output: Path | None,
    junit: Path | None,
    inconclusive: str,
    names: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Test the experiment's specs: a PASS/FAIL/INCONCLUSIVE verdict for each, exit status 1 on a FAIL.

    Each spec renders draws from its box until its sequential test (or the fixed-n test) decides,
    reusing renders stored in the output folder by an earlier check; after a PASS, `falsify` searches
    the box for a counterexample. Writes verdicts.json and verdicts.parquet (and --junit FILE).
    """
    from simulator.specs.check import check_spec
    from simulator.specs.outputs import describe, failing, write_junit, write_verdicts

    experiment = load_experiment(config)
    boxes = load_specs(experiment)
    every_spec = [box.spec.name for box in boxes]
    unknown = [name for name in names if name not in every_spec]
    if unknown or not boxes:
        known = ", ".join(box.spec.name for box in boxes) or "none"
        raise ConfigError(str(config), [("specs", f"no spec named {', '.join(map(repr, unknown))} (specs: {known})" if unknown else "the file has no specs")])
    boxes = tuple(box for box in boxes if not names or box.spec.name in names)
    output = output or experiment.config.output.dir or Path("results") / experiment.name
    _log_to_file(output / "check.log")
    _describe(experiment)
    _describe_specs(boxes)
    executor = _executor(experiment, workers, scheduler)
    results = []
    try:
        for box in boxes:
            progress = RichProgress(console, label=f"spec {box.spec.name}")
            progress.start(box.spec.budget, 0)
            try:
                results.append(check_spec(experiment, box, output, executor, progress.advance))
            finally:
                progress.stop()
            console.print(f"{_verdict_markup(results[-1].verdict)} {escape(box.spec.name)}: {escape(describe(results[-1]))}", highlight=False)
    except KeyboardInterrupt:
        console.print(f"[yellow]Interrupted.[/] Renders are saved in {output}; run again to reuse them.")
        sys.exit(130)
    finally:
        executor.close()
    write_verdicts(output, results, every_spec)
    if junit is not None:
        write_junit(junit, experiment.name, results, inconclusive == "fail")
    _print_verdicts(results)
    console.print(f"Verdicts: [bold]{output / 'verdicts.json'}[/]" + (f", JUnit: [bold]{junit}[/]" if junit else ""))
    if any(failing(result, inconclusive == "fail") for result in results):
        sys.exit(1)


def _verdict_markup(verdict: str) -> str:
    colour = {"PASS": "green", "FAIL": "bold red"}.get(verdict, "yellow")
    return f"[{colour}]{verdict}[/]"


def _print_verdicts(results: list[Any]) -> None:
    table = Table(title="Specs (95% Clopper-Pearson intervals)", header_style="bold")
    found = any(result.counterexample for result in results)
    columns = ("spec", "verdict", "n", "failed", "share met [95% CI]", "required", "renders saved")
    for column in (*columns, "found by search") if found else columns:
        table.add_column(column, justify="left" if column in ("spec", "verdict", "found by search") else "right", no_wrap=True)
    for result in results:
        share = "n/a" if result.share is None else f"{result.share:.2f} [{result.share_low:.2f}, {result.share_high:.2f}]"
        saved = f"{result.saved} of {result.fixed_n}" if result.test == "sprt" else "(fixed-n)"
        cells = [escape(result.spec), _verdict_markup(result.verdict), str(result.n), str(result.failures), share]
        cells += [f">= {result.at_least:g}", saved] + ([result.counterexample or ""] if found else [])
        table.add_row(*cells)
    _wide_console().print(table)


def _describe(experiment: Experiment) -> None:
    from simulator.runner import budget

    size = budget(experiment)
    per_pair = "?" if size.per_pair is None else f"{size.per_pair:,}"
    total = "an open-ended number of" if size.total is None else f"[bold]{size.total:,}[/]"
    varying = ", ".join(d.key for d in experiment.space.varying) or "none"
    settings = experiment.render_settings()
    policy = experiment.config.policy
    searched = f", minimising {experiment.objective.describe()}" if experiment.policy_class.adaptive else ""
    console.print(
        f"[bold]{escape(experiment.name)}[/]: {len(experiment.objects)} object(s) x {len(experiment.environments)} "
        f"environment(s) x {per_pair} sample(s) per pair = {total} renders\n"
        f"  policy {escape(policy.type)}{escape(searched)}, varying: {escape(varying)}\n"
        f"  render with {settings.renderer}: {settings.width}x{settings.height} px, "
        f"{settings.samples} spp on {settings.device}, "
        f"channels {', '.join(settings.channels)}"
    )


def _describe_specs(boxes: tuple[SpecBox, ...]) -> None:
    for box in boxes:
        spec = box.spec
        console.print(
            f"  spec [bold]{escape(spec.name)}[/] ({spec.kind}, at least {spec.at_least:g}, {spec.test} test, "
            f"at most {spec.budget} renders): {escape(box.describe())}",
            highlight=False,
        )


def _retried(count: int) -> str:
    return f"; {count} of them failed before and were retried" if count else ""


def _print_accuracy(results: Any, topk: int | None) -> None:
    """Top-1/top-k per object and environment, for evaluators that write those columns."""
    from simulator.analysis.stats import accuracy_table

    headers = {"correct_top1": "top-1", "correct_topk": f"top-{topk or 'k'}"}
    columns = [column for column in headers if column in results.columns] or (["correct"] if "correct" in results.columns else [])
    headers["correct"] = "correct"
    several = "model" in results.columns and results["model"].nunique() > 1
    keys = ["model", "object", "environment"] if several else ["object", "environment"]
    table_data = accuracy_table(results, by=keys, columns=columns) if columns else None
    if table_data is None or table_data.empty:
        return
    table = Table(title="Accuracy (95% Wilson intervals)", header_style="bold")
    for column in (*keys, "n", "failed", *(headers[c] for c in columns)):
        table.add_column(column, justify="left" if column in keys else "right")
    for row in table_data.to_dict("records"):
        shares = []
        for column in columns:
            short = column.removeprefix("correct_")
            shares.append(f"{row[short]:.2f} [{row[short + '_low']:.2f}, {row[short + '_high']:.2f}]")
        table.add_row(*(str(row[key]) for key in keys), str(row["n"]), str(row["failed"]), *shares)
    _wide_console().print(table)


def _print_worst_cases(results: Any, experiment: Experiment) -> None:
    """Per object: failures found (distinct ones too) and the worst case the run met, with its parameters."""
    from simulator.analysis.search import search_summary

    objective = experiment.objective
    judged = objective.versus[0] if objective.versus is not None else objective.model or experiment.models[0].name
    if "model" in results.columns:
        results = results[results["model"] == judged]  # the worst cases of the model the search scored
    summary = search_summary(results, experiment.space.ranges())
    if summary.empty:
        return
    table = Table(title=f"Worst case per object (lowest {experiment.objective.describe()})", header_style="bold")
    for column in ("object", "failures", "distinct", "environment", "prediction", "objective"):
        table.add_column(column, justify="right" if column in ("failures", "distinct", "objective") else "left", no_wrap=True)
    table.add_column("parameters", min_width=36)
    parameters = [c.removeprefix("worst_") for c in summary.columns if c.startswith("worst_") and "." in c]
    for row in summary.to_dict("records"):
        if "worst_id" not in row or row["worst_id"] is None or row["worst_id"] != row["worst_id"]:
            continue
        values = "\n".join(f"{key} = {short_value(row[f'worst_{key}'])}" for key in parameters)
        table.add_row(
            escape(str(row["object"])), str(row["failures"]), str(row["distinct_failures"]),
            escape(str(row["worst_environment"])), escape(str(row.get("worst_prediction") or "")),
            f"{row['worst_objective']:.2f}", escape(values),
        )
    _wide_console().print(table)


def _wide_console() -> Console:
    """A stdout console at least 110 columns wide, so tables do not wrap in logs and CI."""
    return Console(width=max(Console().width, 110))


def _log_to_file(path: Path) -> None:
    writable_folder(path.parent)  # a clear error for an output folder below a file or not writable
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
