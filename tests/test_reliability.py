"""Issue 13: hostile input, edge flags and result folders end with a clear message and exit 2.

Most checks call the library or the Typer app in-process (fast); a few drive the real CLI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SMALL, simrun
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.executors import cap_workers, check_scheduler
from sim.experiments.runner import MAX_REPLICATIONS, check_replications, check_seed
from sim.outputs.files import check_out, default_out, publish
from sim.scenario import load_scenario, yamlio
from sim.scenario.errors import InputError
from sim.scenario.yamlio import MAX_DEPTH

WELL_FORMED = re.compile(r"^(?P<file>[^\n:]+)(:(?P<line>\d+))?: (?P<rest>[^\n]+)$")


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_scenario(path)
    lines = [str(p) for p in info.value.problems]
    assert all(WELL_FORMED.match(line) for line in lines), lines
    return lines


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


# -- 1. input errors -------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 600 + "]" * 600 + "\n",
        "a: " + "{a: " * 600 + "1" + "}" * 600 + "\n",
        "a:\n" + "".join("  " * (i + 1) + "-\n" for i in range(200)),
    ],
    ids=["flow-lists", "flow-maps", "block-lists"],
)
def test_deep_nesting_is_refused_at_its_line(tmp_path, text):
    lines = problems_of(write(tmp_path, "deep.yaml", text))
    assert len(lines) == 1 and f"nested more than {MAX_DEPTH} levels deep" in lines[0]
    if text.startswith("a:\n"):
        assert lines[0].startswith(f"{tmp_path / 'deep.yaml'}:{MAX_DEPTH + 1}: ")


def test_nesting_up_to_the_limit_is_parsed(tmp_path):
    # 64 levels parse (then fail validation as an unknown key, not as YAML)
    lines = problems_of(write(tmp_path, "ok.yaml", "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"))
    assert "nested" not in " ".join(lines)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml: only the Python loader exists")
def test_the_libyaml_loader_reads_what_the_python_one_reads(monkeypatch):
    # scenario files: the same data and key lines; broken ones: a problem at the same line
    texts = [p.read_text() for p in sorted((ROOT / "scenarios").rglob("*.yaml"))]
    texts += [
        "name: [unclosed\nissues: {\n",
        "- id: one\n  name: [unclosed\n",
        "a: &x 1\nb: *x\n",
        "a: " + "[" * 65 + "]" * 65 + "\n",
        "a: 1\na: 2\n",
        "? [a, b]\n: x\n",
        "a:\n  - b\n c: d\n",
        "\ufeffa: 1\r\nb: 'x\ty'\r\n",
        "a: \x86x\n",
        "a: " + "é" * 100 + "\nb: \x86\n" + "c: d\n" * 50,  # libyaml counts bytes, the line counts characters
        "a: é\nb: [1,\n",
        "x: !!python/object/apply:os.system ['echo']\n",
    ]

    def read(text: str, loader: type) -> tuple:
        monkeypatch.setattr(yamlio, "_Loader", loader)
        try:
            doc = yamlio.parse_yaml(text, "f.yaml")
        except InputError as exc:
            return ("problems at lines", [p.line for p in exc.problems])
        return (doc.data, doc.lines)

    assert yamlio._Loader is yamlio._FastNoAliasLoader
    for text in texts:
        assert read(text, yamlio._FastNoAliasLoader) == read(text, yamlio._NoAliasLoader), text[:60]


@pytest.mark.parametrize(("char", "code"), [("\x00", "0000"), ("\x0c", "000C"), ("\x1b", "001B"), ("\x7f", "007F")])
def test_control_characters_are_refused_with_their_line(tmp_path, char, code):
    text = SMALL.replace("name: A", f"name: A{char}x")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "name: A" in t)
    assert problems_of(write(tmp_path, "c.yaml", text)) == [
        f"{tmp_path / 'c.yaml'}:{line}: (file): control character U+{code} at column 12 is not allowed"
    ]


def test_tab_cr_and_bom_are_fine(tmp_path):
    text = "\ufeff" + SMALL.replace("\n", "\r\n").replace("name: A", "name: 'A\tB'")
    assert load_scenario(write(tmp_path, "crlf.yaml", text)).name == "small"


def test_devices_fifos_directories_and_large_files_are_refused_before_reading(tmp_path):
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.truncate(3_000_000)  # sparse: stat says 3 MB without writing it
    cases = {
        "/dev/zero": "is not a regular file",
        str(fifo): "is not a regular file",
        str(tmp_path): "is a directory",
        str(big): "file is larger than 2000000 bytes",
        str(tmp_path / "nope.yaml"): "no such file",
    }
    start = time.perf_counter()
    for target, message in cases.items():
        lines = problems_of(Path(target))
        assert len(lines) == 1 and lines[0].startswith(f"{target}: {message}"), lines
    assert time.perf_counter() - start < 2  # nothing was read (a FIFO would block, /dev/zero never ends)


def test_binary_file_names_its_line(tmp_path):
    lines = problems_of(write(tmp_path, "bin.yaml", b"name: x\n\xff\xfe\x00"))
    assert lines == [f"{tmp_path / 'bin.yaml'}:2: (file): not UTF-8 text (invalid start byte)"]


def test_complex_keys_are_refused(tmp_path):
    assert problems_of(write(tmp_path, "k.yaml", "name: x\n? [a, b]\n: c\n")) == [
        f"{tmp_path / 'k.yaml'}:2: (file): a key must be a plain name"
    ]


def test_huge_integer_is_a_value_error(tmp_path):
    lines = problems_of(write(tmp_path, "huge.yaml", SMALL.replace("tension: 0.5", "tension: 1" + "0" * 400)))
    assert any(": tension: number is too large" in line for line in lines), lines


@pytest.mark.parametrize("seed", [-1, 2**63])
def test_seed_out_of_range(seed):
    with pytest.raises(InputError) as info:
        check_seed(seed)
    assert str(info.value) == f"--seed: must be an integer with 0 <= seed < 2**63, got {seed}"
    check_seed(0)
    check_seed(2**63 - 1)


@pytest.mark.parametrize(
    "address", ["foo://bar", "tcp://host", "tcp://:8786", "127.0.0.1:8786", "tcp://h:99999", "tcp://h:1/x"]
)
def test_malformed_scheduler_address(address):
    with pytest.raises(InputError) as info:
        check_scheduler(address)
    assert str(info.value).startswith("--scheduler: ") and "tcp://HOST:PORT" in str(info.value)
    check_scheduler("tcp://127.0.0.1:8786")
    check_scheduler("tls://scheduler.example:8786")


def test_unreachable_scheduler_fails_within_the_connect_timeout(small_file, tmp_path):
    pytest.importorskip("dask.distributed")  # imported before the clock starts
    args = ["sweep", str(small_file), "--vary", "tension=0,1", "--scheduler", "tcp://127.0.0.1:1"]
    start = time.perf_counter()
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "s")])
    assert time.perf_counter() - start < 15  # was ~32 s and two tracebacks; 5 s to connect plus planning
    assert result.exit_code == 2, result.output
    message = "--scheduler: cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 5 s"
    assert result.output.strip().startswith(message), result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "s").exists()  # a failed sweep leaves no empty folder


# -- real CLI: exit 2, no traceback, nothing written ------------------------------------
def test_real_cli_rejects_bad_flags_and_files_without_traceback(tmp_path, small_file):
    deep = write(tmp_path, "deep.yaml", "a: " + "[" * 600 + "]" * 600 + "\n")
    cases = [
        (["validate", "/dev/zero"], "/dev/zero: is not a regular file"),
        (["run", str(small_file), "--seed", "-1", "--out", str(tmp_path / "r")], "--seed: must be"),
        (["sweep", str(small_file), "--vary", "tension=0,1", "--seed", "-1", "--out", str(tmp_path / "s")], "--seed:"),
        (["run", str(small_file), "-n", "1000000000", "--out", str(tmp_path / "r")], "--replications: 1000000000 is"),
        (["validate", str(deep)], f"{deep}:1: (file): not valid YAML: nested more than 64 levels deep"),
        (["sweep", str(small_file), "--vary", "tension=0,1", "--scheduler", "foo://bar", "--out", str(tmp_path / "s")],
         "--scheduler: 'foo://bar' is not a scheduler address"),
        (["run", str(small_file), "--out", "/proc/x"], "/proc/x: --out: cannot write in /proc"),
        (["report", str(tmp_path)], f"{tmp_path}: no manifest.json: not a simrun result folder"),
    ]  # fmt: skip
    for i, (args, message) in enumerate(cases):
        if i < 4:  # the real command line for a few (each costs an interpreter start)
            proc = simrun(*args, timeout=60)
            code, output = proc.returncode, proc.stderr + proc.stdout
        else:
            result = CliRunner().invoke(app, args)
            code, output = result.exit_code, result.output
        assert code == 2, (args, output)
        assert "Traceback" not in output, args
        assert output.strip().splitlines()[0].startswith(message), (args, output)
    assert not (tmp_path / "r").exists() and not (tmp_path / "s").exists()


# -- 2. distributions and supports ------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{normal: [0.5, -0.1]}", "normal sd must be > 0, got -0.1"),
        ("{normal: [0.5, 0]}", "normal sd must be > 0, got 0"),
        ("{normal: [0.5, .inf]}", "normal sd must be a finite number, got inf"),
        ("{normal: [.nan, 0.1]}", "normal mean must be a finite number, got nan"),
        ("{normal: [1.5, 0.1]}", "normal mean 1.5 is outside the allowed range [0, 1]"),
        ("{triangular: [0.5, 0.2, 0.9]}", "triangular needs low <= mode <= high with low < high"),
        ("{triangular: [0.5, 0.5, 0.5]}", "triangular needs low <= mode <= high with low < high"),
        ("{uniform: [0.9, 0.2]}", "uniform needs low <= high, got [0.9, 0.2]"),
        ("{uniform: [-0.1, 0.2]}", "uniform range -0.1..0.2 is outside [0, 1]"),
    ],
)
def test_distribution_values_are_checked_per_family(tmp_path, value, message):
    text = SMALL.replace("tension: 0.5", f"tension: {value}")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("tension"))
    lines = problems_of(write(tmp_path, "d.yaml", text))
    assert len(lines) == 1 and lines[0].startswith(f"{tmp_path / 'd.yaml'}:{line}: tension: {message}"), lines


def test_degenerate_uniform_and_triangular_are_accepted(tmp_path):
    text = SMALL.replace("tension: 0.5", "tension: {uniform: [0.5, 0.5]}")
    assert load_scenario(write(tmp_path, "u.yaml", text)).tension.params == (0.5, 0.5)
    text = SMALL.replace("tension: 0.5", "tension: {triangular: [0.2, 0.2, 0.9]}")
    assert load_scenario(write(tmp_path, "t.yaml", text)).tension.family == "triangular"


def test_a_variant_may_change_a_distributions_family(tmp_path):
    write(tmp_path, "base.yaml", SMALL.replace("tension: 0.5", "tension: {uniform: [0.4, 0.6]}"))
    variant = write(tmp_path, "v.yaml", "base: base.yaml\nname: v\ntension: {normal: [0.7, 0.05]}\n")
    scenario = load_scenario(variant)
    assert (scenario.tension.family, scenario.tension.params) == ("normal", (0.7, 0.05))
    variant.write_text("base: base.yaml\nname: v\ntension: {normal: [0.7, -1]}\n")
    assert problems_of(variant) == [f"{variant}:3: tension: normal sd must be > 0, got -1 (write a plain number for a "
                                    "fixed value)"]  # fmt: skip


def test_supports_paths_must_name_fields(tmp_path):
    text = SMALL.replace(
        "chair: a",
        "chair: a\nsources:\n  - quote: q\n    by: b\n    supports: [tension, actors.a.position.rules, "
        "actors.mars.position]\n",
    ).replace(
        "    salience: {rules: 1, testing: 1}\n  - id: b",
        "    salience: {rules: 1, testing: 1}\n    sources:\n      - quote: q\n        by: b\n"
        "        supports: [position.rules, chair, position.nonsense]\n  - id: b",
    )
    path = write(tmp_path, "s.yaml", text)
    lines = problems_of(path)
    src = next(i for i, t in enumerate(text.splitlines(), 1) if "actors.mars.position" in t)
    own = next(i for i, t in enumerate(text.splitlines(), 1) if "position.nonsense" in t)
    assert sorted(lines) == sorted(
        [
            f"{path}:{src}: sources.0.supports.2: 'actors.mars.position' names no field (actors has no item 'mars')",
            f"{path}:{own}: actors.0.sources.0.supports.2: 'position.nonsense' names no field "
            "(position has no entry 'nonsense')",
        ]
    )


def test_shipped_scenarios_supports_are_valid():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        load_scenario(path)


# -- 3. base: never reads or prints arbitrary files ---------------------------------------
SECRET = "root:$6$secret-hash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"


@pytest.mark.parametrize(
    ("base", "content", "message"),
    [
        ("secret", SECRET, "secret: a base must be a .yaml or .yml scenario file"),
        ("secret.txt", SECRET, "secret.txt: a base must be a .yaml or .yml scenario file"),
        (
            "keys.yaml",
            "root: x\ndaemon: y\n",
            "keys.yaml: not a scenario file (its top-level keys are not scenario keys)",
        ),
        ("secret.yaml", SECRET, "secret.yaml: not a scenario file (its top-level keys are not scenario keys)"),
        ("list.yaml", "- root\n- daemon\n", "list.yaml: a scenario must be a mapping of keys to values (line 1)"),
        ("dup.yaml", "root: 1\nroot: 2\n", "dup.yaml: duplicate key (line 2)"),
        ("ctl.yaml", "root\x01: x\n", "ctl.yaml: control character U+0001 at column 5 is not allowed (line 1)"),
    ],
)
def test_base_content_is_never_echoed(tmp_path, base, content, message):
    write(tmp_path, base, content)
    variant = write(tmp_path, "v.yaml", f"name: v\nbase: {base}\n")
    assert problems_of(variant) == [f"{variant}:2: base: {message}"]


def test_base_through_a_link_must_end_in_yaml(tmp_path):
    write(tmp_path, "secret", SECRET)
    (tmp_path / "link.yaml").symlink_to(tmp_path / "secret")
    variant = write(tmp_path, "v.yaml", "name: v\nbase: link.yaml\n")
    assert problems_of(variant) == [f"{variant}:2: base: link.yaml: a base must be a .yaml or .yml scenario file"]


def test_a_scenario_base_reports_its_own_lines(tmp_path):
    base = write(tmp_path, "base.yaml", SMALL.replace("rounds: 4", "rounds: 4\nmood: sunny"))
    variant = write(tmp_path, "v.yaml", "name: v\nbase: base.yaml\n")
    # mood is not a scenario key: the base is not a scenario, and its key is not printed
    assert problems_of(variant) == [f"{variant}:2: base: base.yaml: not a scenario file (its top-level keys are not "
                                    "scenario keys)"]  # fmt: skip
    base.write_text(SMALL.replace("rounds: 4", "rounds: 0"))
    line = next(i for i, t in enumerate(base.read_text().splitlines(), 1) if t.startswith("rounds"))
    assert problems_of(variant)[0].startswith(f"{base}:{line}: rounds: ")


# -- 4. result folders ------------------------------------------------------------------
def test_default_folders_started_in_the_same_second_differ(tmp_path):
    names = set()
    for _ in range(200):
        out = default_out("x", "", tmp_path)
        out.mkdir()  # as a run would: the next name must avoid it
        names.add(out)
    assert len(names) == 200
    assert all(re.fullmatch(r"x-\d{8}-\d{6}-[0-9a-f]{6}", p.name) for p in names)


def test_publish_never_overwrites_a_folder_filled_meanwhile(tmp_path):
    out = tmp_path / "same"

    def first(folder: Path) -> None:
        (folder / "a.txt").write_text("first")

    def second(folder: Path) -> None:
        (folder / "a.txt").write_text("second")
        publish(out, first)  # another run finishes first, into the same name

    used = publish(out, second)
    assert (out / "a.txt").read_text() == "first"
    assert used != out and used.parent == tmp_path and (used / "a.txt").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_unwritable_out_is_refused_before_any_replication(tmp_path):
    (tmp_path / "file").write_text("x")
    for bad in (Path("/proc/x"), tmp_path / "file" / "sub"):
        with pytest.raises(InputError) as info:
            check_out(bad)
        assert str(info.value).startswith(f"{bad}: --out: ")


def test_two_runs_in_the_same_second_keep_both_results(tmp_path, small_file, monkeypatch):
    # pandas is imported before datetime is patched below: its C code, first imported under the
    # patched class, crashes the interpreter (a segfault whenever no earlier test had imported it)
    import datetime as dt

    import pandas  # noqa: F401

    from sim.experiments.study import run_study
    from sim.outputs import files

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206 - both runs start in the same second
            return dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=tz)

    monkeypatch.setattr(files.dt, "datetime", Frozen)
    monkeypatch.chdir(tmp_path)
    first, second = (run_study(small_file, replications=2) for _ in range(2))
    assert first.out != second.out and first.out.name.startswith("small-20260101-120000-")
    folders = sorted((tmp_path / "results").iterdir())
    assert len(folders) == 2 and all((f / "summary.json").exists() for f in folders)


# -- 5. resource bounds -----------------------------------------------------------------
def test_replications_are_capped_unless_allowed():
    with pytest.raises(InputError, match="add --allow-large"):
        check_replications(MAX_REPLICATIONS + 1)
    check_replications(MAX_REPLICATIONS)
    with pytest.raises(InputError, match="GB of memory"):
        check_replications(MAX_REPLICATIONS + 1, allow_large=True, bytes_each=2**40)
    check_replications(MAX_REPLICATIONS + 1, allow_large=True)


def test_chunks_of_huge_company_groups_are_small():
    from sim.experiments.sweep_spec import chunk_size

    assert chunk_size(1000, 1, 2, agents=94) == 100  # the shipped scenarios: unchanged
    assert chunk_size(1000, 1, 2, agents=2_000_000) == 1
    assert chunk_size(1000, 1, 2, agents=20_000) == 10


def test_run_interrupted_leaves_no_folder_and_no_temporary_file(tmp_path, small_file):
    from sim.experiments.study import run_study

    def stop(k: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_study(small_file, out=tmp_path / "r", progress=stop)
    assert list(tmp_path.iterdir()) == [small_file]


def test_sigterm_and_sighup_stop_a_command_like_ctrl_c():
    import os
    import signal

    from sim.cli import Stopped, stop_on_signals

    for sig in (signal.SIGTERM, signal.SIGHUP):
        before = signal.getsignal(sig)
        with pytest.raises(Stopped) as info, stop_on_signals():
            os.kill(os.getpid(), sig)
            time.sleep(5)  # the handler raises before this ends
        assert info.value.code == 128 + sig
        assert signal.getsignal(sig) == before


def test_workers_are_capped_at_chunks_and_cores():
    from sim.experiments.executors import available_cores

    assert cap_workers(1000, 6) == 6
    assert cap_workers(1000, 10_000) == 4 * available_cores()
    assert cap_workers(None, 0) == 1


# -- 4. a sweep's status and the report -----------------------------------------------------
def test_report_on_missing_truncated_or_empty_summary(tmp_path, small_file):
    result = CliRunner().invoke(app, ["run", str(small_file), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    summary = tmp_path / "r" / "summary.json"
    full = summary.read_text()
    for text, message in (
        (full[: len(full) // 2], "not valid JSON"),
        ("", "file is empty"),
        ("{}", "not a complete simrun summary"),
        ("[1, 2]", "not a simrun file"),
    ):
        summary.write_text(text)
        result = CliRunner().invoke(app, ["report", str(tmp_path / "r")])
        assert result.exit_code == 2 and result.output.startswith(str(summary)), result.output
        assert message in result.output and "Traceback" not in result.output
    summary.unlink()
    result = CliRunner().invoke(app, ["report", str(tmp_path / "r")])
    assert result.exit_code == 2 and "no summary.json or summary.csv" in result.output


def test_interrupted_sweep_says_so_and_how_to_resume(tmp_path, small_file):
    from sim.experiments.sweep import plan_sweep, run_sweep

    plan = plan_sweep(small_file, vary=["tension=0,1"], replications=20)
    out = tmp_path / "s"
    calls = []

    def stop_after_one(k: int) -> None:
        calls.append(k)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, out=out, workers=1, progress=stop_after_one)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["chunks_finished"] == 1
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 2
    assert result.output.startswith(f"{out}: sweep was interrupted (1 of {manifest['chunks']} chunks finished); ")
    assert "--out" in result.output
    finished = run_sweep(plan, out=out, workers=1)
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert len(finished.rows) == 40
    assert CliRunner().invoke(app, ["report", str(out)]).exit_code == 0


def test_a_failed_new_sweep_leaves_no_folder(tmp_path, small_file):
    from sim.experiments.sweep import plan_sweep, run_sweep

    plan = plan_sweep(small_file, vary=["tension=0,1"], replications=10)

    def boom(k: int) -> None:
        raise KeyboardInterrupt

    out = tmp_path / "new"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, out=out, workers=1, progress=boom, on_total=lambda *a: boom(0))
    assert not out.exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_an_output_that_cannot_be_written_is_one_line_and_exit_1_and_the_results_stay(tmp_path):
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "sim.cli", str(ROOT / "scenarios" / "bletchley.yaml"), "-n", "5", "--out", str(tmp_path / "r")],
            cwd=ROOT, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
        )  # fmt: skip
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "simrun: cannot write the output: No space left on device"
    assert (tmp_path / "r" / "summary.json").exists()  # the folder was complete before the table was printed


def test_a_pool_stopped_by_an_error_leaves_no_manager_thread_for_the_exit_hook(monkeypatch):
    # Python 3.11's exit hook wakes every pool's manager pipe; one the thread closed meanwhile printed
    # "OSError: Bad file descriptor" after a clean Ctrl-C (seen in CI): the stopped pool waits for the thread
    from concurrent.futures import process

    from sim.experiments.executors import LocalExecutor

    manage = process._ExecutorManagerThread.run

    def slow_end(self):  # a manager thread still ending when the command does
        manage(self)
        time.sleep(0.5)

    monkeypatch.setattr(process._ExecutorManagerThread, "run", slow_end)
    executor = LocalExecutor(2)
    with pytest.raises(KeyboardInterrupt), executor:
        for _ in range(2):  # both workers busy for longer than the test
            executor.pool.submit(time.sleep, 30)
        time.sleep(0.2)
        manager = executor.pool._executor_manager_thread
        raise KeyboardInterrupt
    assert manager is not None and not manager.is_alive()


def test_a_manager_thread_that_cannot_end_is_kept_and_the_cli_ends_without_joining_it(monkeypatch):
    # a worker killed while writing its result leaves a partial message: the pool's manager thread then
    # waits for the rest for ever (seen: a Ctrl-C'd sweep still alive hours later), and so would the exit
    from concurrent.futures import process

    import sim.cli
    from sim.experiments import executors

    release = threading.Event()
    manage = process._ExecutorManagerThread.run

    def never_ends(self):
        manage(self)
        release.wait(30)

    monkeypatch.setattr(process._ExecutorManagerThread, "run", never_ends)
    monkeypatch.setattr(executors, "MANAGER_JOIN_TIMEOUT", 0.3)
    monkeypatch.setattr(executors, "STUCK", [])
    executor = executors.LocalExecutor(2)
    try:
        with pytest.raises(KeyboardInterrupt), executor:
            executor.pool.submit(time.sleep, 30)
            time.sleep(0.2)
            raise KeyboardInterrupt
        assert len(executors.STUCK) == 1 and executors.STUCK[0].is_alive()
    finally:
        release.set()  # let the thread end, so that this test process can
    # the command line then ends the process with the command's own status, without the exit's join

    class EndedError(Exception):
        pass

    def fake_exit(status):
        raise EndedError(status)

    def command():
        raise SystemExit(130)

    monkeypatch.setattr(sim.cli, "load_app", lambda: command)
    monkeypatch.setattr(os, "_exit", fake_exit)
    monkeypatch.setattr(sys, "argv", ["simrun", "sweep"])
    with pytest.raises(EndedError) as ended:
        sim.cli.main()
    assert ended.value.args == (130,)
    monkeypatch.setattr(executors, "STUCK", [])  # nothing stuck: SystemExit goes on as usual
    with pytest.raises(SystemExit):
        sim.cli.main()


# == Issue 23: concurrent writers, memory inside the caps, the last tracebacks ==========
HOLDER = re.compile(r"^(?P<out>.+): --out: simrun process \d+ \((?P<command>simrun [^\n]*)\) is writing this folder; ")


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def refused(args: list, message: str | re.Pattern) -> str:
    """The command exits 2 with ``message`` as its first line (a string: the start of it) and no traceback."""
    code, output = cli(*args)
    assert code == 2, (args, output)
    assert "Traceback" not in output, output
    first = output.strip().splitlines()[0]
    if isinstance(message, str):
        assert first.startswith(message), (first, message)
    else:
        assert message.match(first), first
    return output


# -- 1. one writer per result folder -----------------------------------------------------
def test_two_sweeps_racing_into_one_folder_never_mix(tmp_path, small_file):
    from sim.outputs.lock import lock_path

    out = tmp_path / "s"
    env = {**os.environ, "MPLBACKEND": "Agg"}

    def sweep(values: str) -> subprocess.Popen:
        # the Mesa engine keeps the first sweep busy for a few seconds: the second one meets it at work
        args = ["sweep", str(small_file), "--vary", f"tension={values}", "-n", "150", "--workers", "1",
                "--engine", "mesa", "--out", str(out)]  # fmt: skip
        return subprocess.Popen([sys.executable, "-m", "sim.cli", *args], cwd=ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip

    first = sweep("0.1,0.2")
    deadline = time.time() + 60
    while not lock_path(out).exists() and first.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    second = sweep("0.8,0.9")  # another sweep into the same folder while the first writes it
    _, err2 = second.communicate(timeout=120)
    _, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 2, err2
    assert "Traceback" not in err1 + err2
    line = err2.strip()
    assert len(line.splitlines()) == 1 and HOLDER.match(line), line
    assert str(first.pid) in line and "tension=0.1,0.2" in line
    # the folder holds the first sweep only, whole and readable
    from sim.experiments.sweep import read_parts

    rows = read_parts(out / "parts").to_pylist()
    assert len(rows) == 300 and {r["tension"] for r in rows} == {0.1, 0.2}
    assert json.loads((out / "sweep.json").read_text())["vary"] == ["tension=0.1,0.2"]
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert not [p.name for p in out.rglob(".*")] and not lock_path(out).exists()


@pytest.fixture
def held(tmp_path):
    """``tmp_path/out``'s lock held by "another process" (an flock on its own descriptor, as one would hold it)."""
    import fcntl

    from sim.outputs.lock import lock_path

    out = tmp_path / "out"
    fd = os.open(lock_path(out), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, b"4242 simrun sweep other.yaml --out out\x1b[2J\n")
    yield out
    os.close(fd)


def test_every_writing_command_refuses_a_folder_another_process_writes(held, small_file):
    message = f"{held}: --out: simrun process 4242 (simrun sweep other.yaml --out out\\x1b[2J) is writing this folder; "
    for args in (
        ["run", small_file, "--out", held],
        ["sweep", small_file, "--vary", "tension=0,1", "-n", "2", "--out", held],
        [
            "sensitivity",
            small_file,
            "--samples",
            "2",
            "-n",
            "1",
            "--vary",
            "tension=0:1",
            "--vary",
            "actors.a.gain=0:1",
            "--out",
            held,
        ],
        ["backtest", "deu", "--out", held],
    ):
        refused(args, message)
        assert not held.exists()  # nothing computed, nothing written


def test_the_lock_is_reentrant_and_leaves_no_file(tmp_path):
    from sim.outputs.lock import lock_path, writer_lock

    out = tmp_path / "out"
    with writer_lock(out), writer_lock(out):
        assert lock_path(out).read_text().split()[0] == str(os.getpid())
    assert list(tmp_path.iterdir()) == []


# -- 2. parts verified before a resume trusts them, written durably ------------------------
def test_a_damaged_part_is_computed_again_to_the_same_bytes(tmp_path, small_file, monkeypatch):
    import shutil

    from sim.experiments.sweep import plan_sweep, run_sweep

    plan = plan_sweep(small_file, vary=["tension=0,1"], replications=20)
    clean = run_sweep(plan, out=tmp_path / "clean", workers=1)
    damaged = tmp_path / "damaged"
    shutil.copytree(clean.out, damaged)
    parts = sorted((damaged / "parts").glob("*.parquet"))
    parts[0].write_bytes(b"")  # a part cut by a crash before its data reached the disk
    parts[1].write_bytes(parts[1].read_bytes()[:-40] + b"\0" * 40)  # a torn footer
    (damaged / "summary.csv").unlink()
    notes: list[str] = []
    synced: list[int] = []
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), fsync(fd))[1])
    again = run_sweep(plan, out=damaged, workers=1, on_note=notes.append)
    assert again.computed == 2 * plan.chunk
    assert [n.split(": note: ")[0] for n in notes] == [str(p) for p in parts[:2]], notes
    assert all(re.fullmatch(r".*: note: cannot be read \(.+\); it is computed again", n) for n in notes), notes
    assert len(synced) >= 4  # each new part and the folder after its rename
    for part in sorted((clean.out / "parts").glob("*.parquet")):
        assert (damaged / "parts" / part.name).read_bytes() == part.read_bytes()
    assert (damaged / "summary.csv").read_bytes() == (clean.out / "summary.csv").read_bytes()


def test_a_folder_left_half_made_by_a_full_disk_is_started_again(tmp_path, small_file):
    from sim.experiments.sweep import plan_sweep, run_sweep

    out = tmp_path / "s"
    (out / "parts").mkdir(parents=True)
    (out / ".sweep.json.tmp").write_text('{"scen')
    result = run_sweep(plan_sweep(small_file, vary=["tension=0,1"], replications=4), out=out, workers=1)
    assert len(result.rows) == 8 and not (out / ".sweep.json.tmp").exists()


# -- 3. memory: what a request allocates, against the process's own limits -----------------
@pytest.fixture
def one_gib(monkeypatch):
    from sim.experiments import budget

    monkeypatch.setattr(budget, "memory_room", lambda: (2**30, "left under this process's address-space limit"))


def test_a_huge_grid_is_refused_before_a_point_is_built(small_file, one_gib):
    from sim.experiments.sweep import plan_sweep

    start = time.perf_counter()
    with pytest.raises(InputError) as info:
        plan_sweep(small_file, vary=["tension=0:1:1000", "actors.a.flexibility=0:1:1000"], replications=5)
    assert time.perf_counter() - start < 2  # was 28 s and a MemoryError
    assert re.fullmatch(
        r"--vary: 1,000,000 points × 5 replications need about \d+\.\d GB of memory; "
        r"1\.0 GB is left under this process's address-space limit",
        str(info.value),
    ), str(info.value)


def test_companies_times_replications_are_counted(tmp_path, one_gib):
    text = SMALL.replace("count: 6", "count: 1000000").replace("replications: 5", "replications: 50")
    text = text.replace("chair: a", "  - {id: more, name: More, kind: company, bloc: east, home: b, count: 1000000,\n"
                        "     position: {testing: 0.5}, salience: {testing: 1}}\nchair: a")  # fmt: skip
    path = write(tmp_path, "big.yaml", text)
    out = tmp_path / "r"
    refused(["run", path, "--out", out],
            re.compile(r"--replications: 50 replications of 2,000,000 companies need about \d+\.\d GB of memory"))  # fmt: skip
    vary = ["--vary", "tension=0:1", "--vary", "actors.a.gain=0:1"]
    refused(["sensitivity", path, "--samples", "100000", "-n", "1", *vary, "--out", out],
            re.compile(r"--samples: 300,000 points × 1 replications need about \d+\.\d GB of memory; 1\.0 GB is left"))  # fmt: skip
    assert not out.exists()


def test_the_memory_room_is_the_smallest_limit(monkeypatch):
    import resource

    from sim.experiments import budget

    monkeypatch.setattr(budget, "_meminfo", lambda key: 64 * 2**30)
    monkeypatch.setattr(budget, "_cgroup_room", lambda: None)
    monkeypatch.setattr(budget, "_vm_size", lambda: 2**30)
    monkeypatch.setattr(resource, "getrlimit", lambda which: (3 * 2**30, resource.RLIM_INFINITY))
    assert budget.memory_room() == (2 * 2**30, "left under this process's address-space limit (ulimit -v)")
    monkeypatch.setattr(budget, "_cgroup_room", lambda: 2**29)
    assert budget.memory_room() == (2**29, "left under this process's cgroup limit (memory.max)")


# -- 3b. time: a long request inside the caps says so before it starts ------------------------
LONG = re.compile(
    r"This will take about [\d,]+ minutes? \(estimate from a [\d,]+-replication probe; "
    r"Ctrl-C stops it, and a sweep resumes with the same --out\)\."
)


def test_the_estimate_is_computed_from_counts_and_a_cost():
    from sim.experiments import budget

    assert budget.long_notice(60, 5) is None
    assert budget.long_notice(budget.estimate_seconds(10**9, 1e-6, workers=2), 50) == (
        "This will take about 8 minutes (estimate from a 50-replication probe; Ctrl-C stops it, "
        "and a sweep resumes with the same --out)."
    )
    assert budget.estimate_seconds(1000, 0.5, workers=4, chunks=10, chunk_seconds=2) == 145
    bletchley = load_scenario(ROOT / "scenarios/bletchley.yaml")
    assert budget.agent_rounds(bletchley) == 94 * 12


@pytest.fixture
def slow_probe(monkeypatch):
    """Every request looks worth probing, and the probe (run for real) measures 100 s: every request is long."""
    from sim.experiments import budget

    probed = []

    def timed(work, times=2):
        work()
        probed.append(work)
        return 100.0

    monkeypatch.setattr(budget, "PROBE_ABOVE", 0)
    monkeypatch.setattr(budget, "timed", timed)
    return probed


def test_a_long_run_and_sweep_say_so_first_and_keep_their_bytes(tmp_path, small_file, slow_probe, monkeypatch):
    result = CliRunner().invoke(app, ["run", str(small_file), "--out", str(tmp_path / "long")])
    assert result.exit_code == 0, result.output
    assert LONG.fullmatch(result.stderr.strip().splitlines()[0]), repr(result.stderr)
    result = CliRunner().invoke(app, ["sweep", str(small_file), "--vary", "tension=0,1", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert LONG.fullmatch(result.stderr.strip().splitlines()[0]), repr(result.stderr)
    assert not list((tmp_path / "s" / "parts").glob(".*"))  # the probe's part is gone
    assert len(slow_probe) == 3  # the run's replications, the sweep's chunk and its part
    slow_probe.clear()
    from sim.experiments import budget

    monkeypatch.setattr(budget, "PROBE_ABOVE", float("inf"))
    result = CliRunner().invoke(app, ["run", str(small_file), "--out", str(tmp_path / "short")])
    assert result.exit_code == 0 and "This will take" not in result.stderr and not slow_probe
    for name in ("outcomes.csv", "rounds.csv", "events.csv", "summary.json"):
        assert (tmp_path / "long" / name).read_bytes() == (tmp_path / "short" / name).read_bytes(), name


def test_the_shipped_scenarios_default_run_probes_nothing(tmp_path, monkeypatch):
    from sim.experiments import budget

    def never(*args, **kwargs):
        raise AssertionError("probed")

    monkeypatch.setattr(budget, "timed", never)
    scenario = load_scenario(ROOT / "scenarios/bletchley.yaml")
    assert budget.run_notice(scenario, scenario.replications) is None
    assert budget.run_notice(scenario, 2_000) is None
    monkeypatch.setattr(budget, "timed", lambda work, times=2: 1e-4)  # a probe of 50 that finds them quick
    assert budget.run_notice(scenario, 1_000_000) is None
    monkeypatch.setattr(budget, "timed", lambda work, times=2: 0.05)  # 1 ms each, and 1.5 times that after
    assert budget.run_notice(scenario, 1_000_000) == (
        "This will take about 42 minutes (estimate from a 50-replication probe; Ctrl-C stops it, "
        "and a sweep resumes with the same --out)."
    )


# -- 4. the last tracebacks ------------------------------------------------------------------
HUGE = "1" + "0" * 5000


def test_integers_of_more_than_4300_digits_anywhere(tmp_path, small_file):
    text = SMALL.replace("rounds: 4", f"rounds: {HUGE}")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("rounds"))
    path = write(tmp_path, "huge.yaml", text)
    assert problems_of(path) == [f"{path}:{line}: rounds: an integer has more than 4,300 digits"]
    write(tmp_path, "base.yaml", SMALL.replace("seed: 7", f"seed: {HUGE}"))
    variant = write(tmp_path, "v.yaml", "name: v\nbase: base.yaml\n")
    assert problems_of(variant) == [f"{variant}:2: base: base.yaml: an integer has more than 4,300 digits (line 35)"]
    out = tmp_path / "s"
    for flag in ("--vary", "--fit"):
        with pytest.raises(InputError) as info:
            if flag == "--vary":
                from sim.experiments.sweep_spec import parse_vary

                parse_vary(f"tension=0,{HUGE}")
            else:
                from sim.experiments.history import parse_fit

                parse_fit([f"model.kappa1_government=0:{HUGE}:3"])
        assert str(info.value).startswith(f"{flag}: ") and "a number is too large" in str(info.value)
    refused(["sweep", small_file, "--vary", f"tension={HUGE}:1:3", "--out", out], "--vary: tension: a number is too")
    assert not out.exists()


def test_a_base_link_loop_and_a_chain_1500_deep(tmp_path):
    from sim.scenario.load import MAX_BASES

    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    variant = write(tmp_path, "v.yaml", "name: v\nbase: loop.yaml\n")
    assert problems_of(variant) == [f"{variant}:2: base: loop.yaml: cannot be resolved (links in a loop)"]
    for i in range(1500):
        write(tmp_path, f"c{i}.yaml", f"name: c{i}\nbase: c{i + 1}.yaml\n")
    start = time.perf_counter()
    lines = problems_of(tmp_path / "c0.yaml")
    assert lines == [f"{tmp_path / f'c{MAX_BASES}.yaml'}:2: base: bases chain more than {MAX_BASES} files deep; "
                     "write a shorter chain"]  # fmt: skip
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize("out", ["", ".", "sub/.."])
def test_out_naming_the_current_folder_is_refused_before_computing(tmp_path, small_file, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    shown = out or '""'
    message = f"{shown if out != '' else '.'}: --out: name a new folder (not the current folder or a parent)"
    for args in (["run", small_file, "--out", out], ["sweep", small_file, "--vary", "tension=0,1", "--out", out]):
        code, output = cli(*args)
        assert code == 2 and output.strip() in (message, message.replace(". ", '"": ', 1)), output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_report_that_cannot_be_written_and_a_crafted_summary(tmp_path, small_file):
    folder = tmp_path / "r"
    assert cli("run", small_file, "-n", "3", "--out", folder)[0] == 0
    (folder / "report.html").mkdir()  # as root no folder is read-only: a folder in the way fails the same way
    refused(["report", folder], f"{folder}: cannot write report.html: Is a directory")
    (folder / "report.html").rmdir()
    summary = json.loads((folder / "summary.json").read_text())
    summary["top_blockers"] = [0] * 6_000_000
    (folder / "summary.json").write_text(json.dumps(summary, separators=(",", ":")))
    refused(["report", folder], f"{folder / 'summary.json'}: file is larger than 5000000 bytes")
    assert not (folder / "report.html").exists()


def test_schema_with_standard_output_closed(tmp_path):
    proc = subprocess.run(["sh", "-c", f"exec '{sys.executable}' -m sim.cli schema >&-"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr == "simrun: standard output is closed; redirect it (to a file or /dev/null) instead\n"


# -- 5. terminal control characters and !!binary -----------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ("name: small", 'name: small\ntitle: "\\e]0;owned\\a"', "title", "text holds the control character U+001B"),
        ("name: A", 'name: "A\\x9b2J"', "actors.0.name", "text holds the control character U+009B"),
        ("name: A", 'name: "A\\u202egnp.exe"', "actors.0.name", "text holds the control character U+202E"),
        ("name: A", 'name: "A\\rB"', "actors.0.name", "text holds the control character U+000D"),
        ("name: A", 'name: "A\\nB"', "actors.0.name", "this text must be one line (it holds a line break)"),
        ("name: A", "name: !!binary QUJD", "actors.0.name", "binary data (!!binary) is not text"),
        ("rounds: 4", 'rounds: 4\n"x\\e[2J": 1', "(file)", "a key holds the control character U+001B"),
    ],
    ids=["osc-title", "c1-csi", "bidi", "cr", "newline-in-name", "binary", "key"],
)
def test_control_characters_in_any_text_are_refused(tmp_path, old, new, key, message):
    text = SMALL.replace(old, new, 1)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if new.splitlines()[-1] in t)
    path = write(tmp_path, "c.yaml", text)
    found = problems_of(path)
    assert len(found) == 1 and found[0].startswith(f"{path}:{line}: {key}: {message}"), found


def test_a_newline_in_base_cannot_forge_an_error_line(tmp_path):
    variant = write(tmp_path, "v.yaml", 'name: v\nbase: "x.yaml\\n/etc/passwd:1: name: forged"\n')
    assert problems_of(variant) == [f"{variant}:2: base: this text must be one line (it holds a line break)"]
    from sim.scenario.errors import Problem

    assert str(Problem("a\nb.yaml", 3, "k", "m\x1b[2J")) == "a\\x0ab.yaml:3: k: m\\x1b[2J"


def test_text_may_hold_tabs_and_line_breaks_where_text_allows_them(tmp_path):
    text = SMALL.replace("name: small", 'name: small\ndescription: "two\\tcolumns\\nand lines"')
    assert load_scenario(write(tmp_path, "ok.yaml", text)).description == "two\tcolumns\nand lines"


# -- 6. strict integers, degenerate tables ---------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "key", "got"),
    [
        ("rounds: 4", 'rounds: "12"', "rounds", "str"),
        ("rounds: 4", "rounds: true", "rounds", "bool"),
        ("seed: 7", 'seed: "7"', "seed", "str"),
        ("replications: 5", "replications: yes", "replications", "bool"),
        ("count: 6", "count: true", "actors.2.count", "bool"),
        ("chair: a", 'chair: a\nevents:\n  - round: "2"', "events.0.round", "str"),
    ],
)
def test_integers_refuse_text_and_booleans(tmp_path, old, new, key, got):
    text = SMALL.replace(old, new, 1)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if new.splitlines()[-1] in t)
    path = write(tmp_path, "i.yaml", text)
    assert problems_of(path) == [f"{path}:{line}: {key}: expected an integer, got {got}"]


def test_a_table_of_no_weight_says_nothing_can_be_computed(tmp_path):
    text = SMALL.replace("    bloc: west\n    position: {rules: 0.2", "    bloc: west\n    capability: 0\n"
                         "    position: {rules: 0.2").replace("    bloc: east\n", "    bloc: east\n    capability: 0\n")  # fmt: skip
    path = write(tmp_path, "zero.yaml", text)
    out = tmp_path / "r"
    refused(
        ["run", path, "--out", out], f"{path}:11: actors: every government has capability 0: nothing can be computed"
    )
    assert not out.exists()
    one = write(
        tmp_path,
        "one.yaml",
        SMALL.replace("    bloc: east\n", "    bloc: east\n    capability: {normal: [0.1, 0.5]}\n"),
    )
    assert problems_of(one)[0].endswith("actors.1.capability: capability can be 0: nothing can be computed for a "
                                        "government of no weight (keep it above 0)")  # fmt: skip
