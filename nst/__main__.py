"""Command line: ``python -m nst stylize CONTENT STYLE`` and ``python -m nst batch FOLDER``.

It only parses arguments and prints progress; the work is :func:`nst.optimize.stylize`.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up chatter out of the terminal


def _add_options(p: argparse.ArgumentParser) -> None:
    from .config import INITS, OPTIMIZERS, PRESERVE_COLOR, PRESETS, MAX_SIZE, MIN_SIZE
    from .weights import SOURCES

    g = p.add_argument_group("what to optimise")
    g.add_argument("--preset", choices=list(PRESETS), default="article",
                   help="layer set: 'article' = first 7 conv layers, content on block3_conv3, style on all "
                        "(uniform w_l); 'gatys' = content block4_conv2, style block1..5_conv1 (default: article)")
    g.add_argument("--content-layers", metavar="L1,L2", help="override the content layer(s), e.g. block4_conv2")
    g.add_argument("--style-layers", metavar="L1,L2", help="override the style layers, e.g. block1_conv1,block2_conv1")
    g.add_argument("--layer-weights", metavar="W1,W2",
                   help="per-style-layer weights w_l, in the order of the style layers (default: all 1)")
    g.add_argument("--alpha", type=float, help="weight of the content loss (default: the preset's)")
    g.add_argument("--beta", type=float, help="weight of the style loss (default: the preset's)")
    g.add_argument("--tv", type=float, dest="tv_weight", help="weight of the total-variation (smoothness) loss")
    g = p.add_argument_group("how to optimise")
    g.add_argument("--size", type=int, help=f"longest side of the result in px, {MIN_SIZE}..{MAX_SIZE} (default 256)")
    g.add_argument("--iterations", "-n", type=int, help="optimiser iterations (default: the preset's)")
    g.add_argument("--optimizer", choices=OPTIMIZERS, help="'lbfgs' converges in far fewer iterations; "
                                                           "'adam' is the article's (default: lbfgs)")
    g.add_argument("--lr", type=float, dest="learning_rate", help="Adam's learning rate, in pixel units (default 5)")
    g.add_argument("--init", choices=INITS, help="start from the content image, noise, or the style image")
    g.add_argument("--seed", type=int, help="random seed: the same seed gives the same result")
    g.add_argument("--pooling", choices=("avg", "max"), help="VGG pooling: average (the article's) or max")
    g.add_argument("--scales", type=int, help="multi-scale: optimise at 1..4 sizes, coarse to fine, half the size each (default 2)")
    g.add_argument("--xla", action=argparse.BooleanOptionalAction, default=None,
                   help="compile the loss with XLA (off by default: slower on most CPUs)")
    g = p.add_argument_group("style options")
    g.add_argument("--preserve-color", choices=PRESERVE_COLOR,
                   help="keep the content's colours: 'luminance' transfers only brightness, "
                        "'histogram' recolours the style image first (default: none)")
    g.add_argument("--style-scale", type=float, help="size of the style image relative to the result (0.1..4)")
    g.add_argument("--blend", metavar="W1,W2", help="blend weights for several style images (default: equal)")
    g = p.add_argument_group("weights and output")
    g.add_argument("--weights", choices=SOURCES, default=None,
                   help="VGG-16 weights: 'hed' (bundled, offline), 'imagenet' (Keras download), "
                        "'npz' (vgg/vgg16_weights.npz) (default: hed)")
    g.add_argument("--npz", metavar="PATH", help="path of an npz weight file (implies --weights npz)")
    g.add_argument("--out", default="data", help="folder for the gen_N result folders (default: data)")
    g.add_argument("--snapshot-every", type=int, help="also save the image every N iterations")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m nst",
        description="Neural style transfer (Gatys et al.) on VGG-16: paint a content photo in the style of "
                    "a painting. Results go to data/gen_N with params.json and losses.csv.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("stylize", help="stylise one content image with one or more style images",
                       description="Stylise CONTENT with STYLE (several STYLE files are blended).")
    s.add_argument("content", help="the content photo (jpg, png, ...)")
    s.add_argument("style", nargs="+", help="the style image(s)")
    _add_options(s)
    b = sub.add_parser("batch", help="every content_* x style_* pair in a folder (the article's pipeline)",
                       description="Run every content_*.jpg|png x style_*.jpg|png pair found in FOLDER.")
    b.add_argument("folder", help="folder with content_* and style_* images")
    _add_options(b)
    smp = sub.add_parser("samples", help="draw the sample images (procedural styles, scikit-image photos)",
                         description="Draw the sample images into FOLDER: style_*.png made by this project "
                                     "and content_*.jpg from scikit-image's photos.")
    smp.add_argument("--out", default="assets", help="folder to write them into (default: assets)")
    return p


def _numbers(text: str, flag: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise ValueError(f"{flag} takes numbers separated by commas, like 1,0.5 (got {text!r}).") from None


def config_from_args(args) -> "StyleConfig":
    from .config import preset

    changes = {}
    for key in ("alpha", "beta", "tv_weight", "size", "iterations", "optimizer", "learning_rate", "init", "seed",
                "pooling", "scales", "xla", "preserve_color", "style_scale", "weights", "snapshot_every"):
        value = getattr(args, key, None)
        if value is not None:
            changes[key] = value
    if args.npz and args.weights not in (None, "npz"):
        raise ValueError(f"--npz gives a weight file, so it goes with --weights npz, not --weights {args.weights}.")
    if args.npz:
        changes["weights"] = "npz"
    if args.content_layers is not None:
        changes["content_layers"] = tuple(x.strip() for x in args.content_layers.split(",") if x.strip())
    if args.style_layers is not None:
        changes["style_layers"] = tuple(x.strip() for x in args.style_layers.split(",") if x.strip())
    config = preset(args.preset, **changes)
    if args.layer_weights:
        values = _numbers(args.layer_weights, "--layer-weights")
        if len(values) != len(config.style_layers):
            raise ValueError(f"--layer-weights has {len(values)} values for {len(config.style_layers)} style layers.")
        config = config.replace(style_weights=dict(zip(config.style_layers, values)))
    if getattr(args, "blend", None):
        config = config.replace(style_blend=_numbers(args.blend, "--blend"))
    return config.validate()


class _CtrlC:
    """The first Ctrl-C asks the run to stop after the current iteration (keeping the image,
    the losses and a params.json that says "stopped"); a second one quits at once."""

    def __init__(self):
        self.stop = threading.Event()
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.stop.is_set():
            raise KeyboardInterrupt
        self.stop.set()
        print("\nstopping after this iteration and saving what there is (Ctrl-C again to quit now)",
              file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def run_one(content, styles, content_path, style_paths, config, args, features, stop: threading.Event,
            label="") -> tuple[Path, str]:
    """Stylise one pair of loaded images into the next gen_N, with a progress bar.

    Returns (folder, status). Whatever happens, the folder ends with a params.json that says
    how the run ended and the losses so far; a stopped run keeps its last image too.
    """
    from tqdm import tqdm

    from .optimize import stylize
    from .pipeline import RunRecorder

    inputs = dict(content=str(content_path), styles=[str(p) for p in style_paths])
    if config.weights == "npz":
        inputs["npz"] = str(args.npz or "vgg/vgg16_weights.npz")
    recorder = RunRecorder.create(config, args.out, **inputs)
    bar = tqdm(total=config.iterations, desc=label or recorder.folder.name, unit="it", disable=args.quiet,
               dynamic_ncols=True)
    event = None
    try:
        for event in stylize(content, styles, config, features, image_every=config.snapshot_every or 0, stop=stop):
            recorder.record(event)
            bar.n = event.iteration
            bar.set_postfix(loss=f"{event.losses.get('total', float('nan')):.4g}",
                            content=f"{event.losses.get('content', float('nan')):.3g}",
                            style=f"{event.losses.get('style', float('nan')):.3g}", refresh=False)
            bar.update(0)
    except BaseException:
        # quit at once (a second Ctrl-C) or a failure: keep the losses so far and say so
        recorder.write_losses()
        recorder.write_params(status="interrupted", iterations_done=event.iteration if event else 0)
        raise
    finally:
        bar.close()
    if event is not None and event.status == "diverged":
        print(f"warning: {event.message}", file=sys.stderr)
    if event is not None and event.status == "finished" and event.iteration == 0:
        print("note: the loss was already at its minimum, so the result is the start image "
              "(are alpha, beta and tv all 0?).", file=sys.stderr)
    return recorder.folder, event.status if event is not None else "stopped"


@contextlib.contextmanager
def _quiet_stderr():
    """Hide TensorFlow's start-up lines (oneDNN, CUDA, absl), which its log level does not reach,
    by pointing file descriptor 2 at /dev/null while it loads; our own messages come after."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _check_out(folder: str) -> None:
    """The results folder exists (or can be made) and takes files; else one sentence."""
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".nst-write-test-"):
            pass
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise ValueError(f"--out {folder}: cannot write results there ({why.lower()}).") from None


def _load_batch(folder: str, size: int):
    """Every content_* and style_* image of ``folder``, loaded and checked before any work starts.

    Returns (contents, styles, skipped): lists of (path, RGB at ``size``), and a warning per
    unreadable file (those are skipped, so one bad file does not stop the others)."""
    from . import images as imgs
    from .pipeline import find_inputs

    contents, styles = find_inputs(folder)
    if not contents or not styles:
        raise FileNotFoundError(f"{folder} needs content_*.jpg|png and style_*.jpg|png images "
                                f"(found {len(contents)} content, {len(styles)} style).")
    good = {"content": [], "style": []}
    skipped = []
    for kind, paths in (("content", contents), ("style", styles)):
        for path in paths:
            try:
                good[kind].append((path, imgs.resize_to(imgs.load_image(path, name=path.name), size)))
            except imgs.ImageError as exc:
                skipped.append(f"skipping {exc}")
    if not good["content"] or not good["style"]:
        raise imgs.ImageError(f"{folder} has no readable {'content' if not good['content'] else 'style'} image "
                              f"({'; '.join(s.removeprefix('skipping ') for s in skipped)})")
    return good["content"], good["style"], skipped


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "samples":
        from .samples import write_assets

        try:
            written = write_assets(args.out)
        except OSError as exc:
            print(f"error: --out {args.out}: cannot write the samples there ({(exc.strerror or str(exc)).lower()}).",
                  file=sys.stderr)
            return 2
        print(f"wrote {len(written)} sample images to {args.out}/: {', '.join(p.name for p in written)}")
        return 0
    from .images import ImageError, load_image
    from .weights import WeightsUnavailable

    stopped = False
    try:
        config = config_from_args(args)
        if args.command == "batch" and args.blend:
            raise ValueError("--blend mixes several style images in one run (stylize); batch runs one style "
                             "per pair.")
        _check_out(args.out)
        # read every image first: a bad one is reported in a second, before the network loads
        if args.command == "stylize":
            if config.style_blend and len(config.style_blend) != len(args.style):
                raise ValueError(f"--blend has {len(config.style_blend)} weights for {len(args.style)} style images.")
            content = load_image(args.content, name=args.content)
            styles = [load_image(p, name=p) for p in args.style]
            jobs = [(content, styles, args.content, args.style, "")]
        else:
            contents, style_list, skipped = _load_batch(args.folder, config.size)
            for line in skipped:
                print(f"warning: {line}", file=sys.stderr)
            total = len(contents) * len(style_list)
            jobs = [(content, [style], c, [s], f"[{k}/{total}] {c.stem} x {s.stem}")
                    for k, ((c, content), (s, style)) in enumerate(
                        ((cc, ss) for cc in contents for ss in style_list), start=1)]
        with _quiet_stderr():
            from .optimize import get_features

            features = get_features(config.weights, config.pooling, args.npz)
        with _CtrlC() as ctrl_c:
            for content, styles, c, s, label in jobs:
                folder, status = run_one(content, styles, c, s, config, args, features, ctrl_c.stop, label)
                what = f"  ({Path(c).name} x {', '.join(Path(p).name for p in s)})" if args.command == "batch" else ""
                if status == "stopped":
                    print(f"stopped: kept the image so far in {folder / 'result.png'}{what}", file=sys.stderr)
                    stopped = True
                    break
                print(f"wrote {folder / 'result.png'}{what}")
    except (ImageError, WeightsUnavailable, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the run folder keeps its losses and says 'interrupted'", file=sys.stderr)
        return 130
    if stopped:
        return 130
    if args.command == "batch" and skipped:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
