"""Command line: ``python -m nst stylize CONTENT STYLE`` and ``python -m nst batch FOLDER``.

It only parses arguments and prints progress; the work is :func:`nst.optimize.stylize`.
"""
from __future__ import annotations

import argparse
import os
import sys
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
    g.add_argument("--no-xla", dest="xla", action="store_false", default=None, help="do not compile with XLA")
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
    g.add_argument("--npz", metavar="PATH", help="path of the npz weight file for --weights npz")
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
    sub.add_parser("samples", help="write the bundled sample images into assets/")
    return p


def config_from_args(args) -> "StyleConfig":
    from .config import preset

    changes = {}
    for key in ("alpha", "beta", "tv_weight", "size", "iterations", "optimizer", "learning_rate", "init", "seed",
                "pooling", "scales", "xla", "preserve_color", "style_scale", "weights", "snapshot_every"):
        value = getattr(args, key, None)
        if value is not None:
            changes[key] = value
    if args.content_layers:
        changes["content_layers"] = tuple(x.strip() for x in args.content_layers.split(",") if x.strip())
    if args.style_layers is not None:
        changes["style_layers"] = tuple(x.strip() for x in args.style_layers.split(",") if x.strip())
    config = preset(args.preset, **changes)
    if args.layer_weights:
        values = [float(x) for x in args.layer_weights.split(",")]
        if len(values) != len(config.style_layers):
            raise ValueError(f"--layer-weights has {len(values)} values for {len(config.style_layers)} style layers.")
        config = config.replace(style_weights=dict(zip(config.style_layers, values)))
    if getattr(args, "blend", None):
        config = config.replace(style_blend=tuple(float(x) for x in args.blend.split(",")))
    return config.validate()


def run_one(content, styles, content_path, style_paths, config, args, features, label="") -> Path:
    """Stylise one pair of loaded images into the next data/gen_N, with a progress bar."""
    from tqdm import tqdm

    from .optimize import stylize
    from .pipeline import RunRecorder

    recorder = RunRecorder.create(config, args.out, content=str(content_path),
                                  styles=[str(p) for p in style_paths])
    bar = tqdm(total=config.iterations, desc=label or recorder.folder.name, unit="it", disable=args.quiet,
               dynamic_ncols=True)
    event = None
    try:
        for event in stylize(content, styles, config, features, image_every=config.snapshot_every or 0):
            recorder.record(event)
            bar.n = event.iteration
            bar.set_postfix(loss=f"{event.losses.get('total', float('nan')):.4g}",
                            content=f"{event.losses.get('content', float('nan')):.3g}",
                            style=f"{event.losses.get('style', float('nan')):.3g}", refresh=False)
            bar.update(0)
    finally:
        bar.close()
    if event is not None and event.status == "diverged":
        print(f"warning: {event.message}", file=sys.stderr)
    return recorder.folder


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "samples":
        from .samples import write_assets

        write_assets()
        return 0
    from .images import ImageError
    from .weights import WeightsUnavailable

    try:
        config = config_from_args(args)
        from .optimize import get_features

        features = get_features(config.weights, config.pooling, args.npz)
        if args.command == "stylize":
            from .images import load_image

            folder = run_one(load_image(args.content), [load_image(p) for p in args.style],
                             args.content, args.style, config, args, features)
            print(f"wrote {folder / 'result.png'}")
        else:
            from .pipeline import find_inputs, pairs

            contents, styles = find_inputs(args.folder)
            if not contents or not styles:
                raise FileNotFoundError(f"{args.folder} needs content_*.jpg|png and style_*.jpg|png images "
                                        f"(found {len(contents)} content, {len(styles)} style).")
            total = len(contents) * len(styles)
            for k, (c, s, content, style) in enumerate(pairs(args.folder, config.size), start=1):
                folder = run_one(content, [style], c, [s], config, args, features,
                                 label=f"[{k}/{total}] {c.stem} x {s.stem}")
                print(f"wrote {folder / 'result.png'}  ({c.name} x {s.name})")
    except (ImageError, WeightsUnavailable, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
