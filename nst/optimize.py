"""The run: a generator of progress events that the CLI, the app and the tests all drive.

:func:`stylize` is the loop: for each scale of :func:`scale_plan`, coarse to fine, it sizes the
photo and the painting, builds the objective (:class:`nst.objective.LossModel`: targets computed
once per scale, the loss of :func:`nst.objective.loss_terms` compiled and shared between runs),
starts from the content (or noise, the style, an image) or from the coarser scale's result
enlarged, and steps an optimiser of :mod:`nst.optimizers` (L-BFGS-B or the article's Adam),
yielding a :class:`Progress` after every iteration. Only the generated image g is trained.
"""
from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import tensorflow as tf

from . import images as imgs
from .config import StyleConfig
from .objective import LossModel
from .optimizers import run_adam, run_lbfgs
from .vgg import VGGFeatures
from .weights import load_weights


STATUSES = ("running", "finished", "stopped", "diverged")  # Progress.status is always one of these


@dataclass(kw_only=True)
class Progress:
    """One step of a run, as the UI and the CLI see it (built by keyword only).

    ``status`` is one of :data:`STATUSES`. A run that ended at a coarser scale than the
    last says so in data: ``enlarged_from`` is the (height, width) of the image it had
    there, before it was enlarged to the size asked for (``None`` otherwise); ``scale``
    is the scale it ended at, of ``scales``.
    """

    iteration: int                 # iterations done so far over all scales (1-based)
    total_iterations: int
    losses: dict[str, float]       # 'total', 'content', 'style', 'tv', 'content/<layer>', 'style/<layer>'
    elapsed: float                 # seconds since the run started
    scale: int = 0                 # index of the current scale (multi-scale)
    shape: tuple[int, int] = (0, 0)
    image: np.ndarray | None = None  # (H, W, 3) uint8, every image_every iterations and at the end
    done: bool = False
    status: str = "running"        # one of STATUSES
    message: str = ""
    evaluations: int = 0           # loss-and-gradient evaluations so far
    scales: int = 1                # how many scales the run has
    enlarged_from: tuple[int, int] | None = None  # (h, w) of a coarse-scale image enlarged at the end
    image_float: np.ndarray | None = None  # the final image before rounding, float32 RGB 0..255 (last event)


def configure_threads(intra: int | None = None, inter: int = 1) -> tuple[int, int]:
    """TensorFlow's thread pools: ``intra`` threads inside an op (default: one per core), ``inter`` ops at once.

    The step is a chain of big ops (convolutions, matmuls) that each use every core, so
    running several ops at once only makes them fight over the cores. TensorFlow takes these
    settings only before its runtime starts; later calls change nothing. Returns the values in
    effect (0 = TensorFlow's default).
    """
    import os

    try:
        tf.config.threading.set_intra_op_parallelism_threads(int(intra or os.cpu_count() or 0))
        tf.config.threading.set_inter_op_parallelism_threads(int(inter))
    except RuntimeError:
        pass  # the runtime is already up: keep what it has
    return (tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads())


@functools.lru_cache(maxsize=4)
def get_features(weights: str = "hed", pooling: str = "avg", npz_path: str | None = None) -> VGGFeatures:
    """The feature extractor for a weight source, loaded once per process.

    The first call also sets TensorFlow's thread pools (:func:`configure_threads`: one op at a
    time, each over every core) if TensorFlow's runtime has not started yet.
    """
    configure_threads()
    return VGGFeatures(load_weights(weights, npz_path), pooling)


def scale_sizes(size: int, scales: int, minimum: int = 64, min_size: int = 0) -> list[int]:
    """Longest sides, coarse to fine.

    Without ``min_size``: size / 2^(k-1), ..., size / 2, size (never below ``minimum``).
    With ``min_size``: ``scales`` sizes in a geometric series from ``min_size`` to ``size``.
    Sizes that would repeat are dropped, so fewer scales may come back than asked for.
    """
    if min_size and scales > 1:
        low = min(int(min_size), size)
        sizes = [round(low * (size / low) ** (k / (scales - 1))) for k in range(scales)]
        sizes[-1] = size
    else:
        minimum = min(minimum, size)
        sizes = [max(minimum, round(size / 2 ** k)) for k in range(scales - 1, -1, -1)]
    return sorted(set(sizes))


def split_iterations(total: int, parts: int, shares: Sequence[float] | None = None) -> list[int]:
    """``total`` iterations over ``parts`` scales: evenly, or in proportion to ``shares``.

    Every scale gets at least one iteration when there are enough; the sum is ``total``.
    """
    if not shares:
        base, rest = divmod(total, parts)
        return [base + (1 if i >= parts - rest else 0) for i in range(parts)]
    weights = np.asarray(shares, np.float64) / float(np.sum(shares))
    counts = np.floor(weights * total).astype(int)
    if total >= parts:
        counts = np.maximum(counts, 1)
    while counts.sum() > total:  # take back from the largest
        counts[int(np.argmax(counts))] -= 1
    remainders = weights * total - counts
    order = sorted(range(parts), key=lambda i: (-round(remainders[i], 9), -i))  # ties: the finer scale
    for i in order[: total - counts.sum()]:  # largest remainders
        counts[i] += 1
    return [int(c) for c in counts]


@dataclass(frozen=True)
class ScaleStep:
    """One scale of a run: the result's longest side, the iterations spent there, the style's longest side."""

    size: int
    iterations: int
    style_size: int


def style_size_at(config: StyleConfig, size: int) -> int:
    """The style image's longest side when the result's longest side is ``size``."""
    if int(config.style_size):
        return max(16, round(int(config.style_size) * size / int(config.size)))
    return max(16, round(size * float(config.style_scale)))


def scale_plan(config: StyleConfig) -> list[ScaleStep]:
    """What a run will do, coarse to fine (what ran is what params.json should record)."""
    sizes = scale_sizes(int(config.size), int(config.scales), min_size=int(config.min_size))
    power = float(config.coarse_weight)
    shares = [(sizes[-1] / s) ** power for s in sizes] if power else None
    plan = split_iterations(int(config.iterations), len(sizes), shares)
    return [ScaleStep(size, iters, style_size_at(config, size)) for size, iters in zip(sizes, plan)]


def _initial_image(config: StyleConfig, content: np.ndarray, styles: Sequence[np.ndarray],
                   blend: Sequence[float], rng: np.random.Generator,
                   init_image: np.ndarray | None = None) -> np.ndarray:
    if config.init == "image":
        if init_image is None:
            raise ValueError("init 'image' needs an init image.")
        return imgs.resize_exact(np.asarray(init_image, np.uint8), *content.shape[:2]).astype(np.float32)
    if config.init == "content":
        return content.astype(np.float32)
    if config.init == "recolored":  # the photo's shading in the painting's colours: g need not drag them in
        return imgs.transfer_colors(content, styles, blend).astype(np.float32)
    if config.init == "style":
        return imgs.center_crop_to_aspect(styles[0], *content.shape[:2]).astype(np.float32)
    noise = rng.normal(128.0, 50.0, size=content.shape)
    return np.clip(noise, 0, 255).astype(np.float32)


def prepare_inputs(content: np.ndarray, styles: Sequence[np.ndarray], config: StyleConfig, size: int):
    """Content scaled to ``size`` on its longest side, styles to ``size * style_scale``; colour matching."""
    content_s = imgs.resize_to(content, size)
    style_size = style_size_at(config, size)
    styles_s = [imgs.resize_to(s, style_size) for s in styles]
    if config.preserve_color == "histogram":
        styles_s = [imgs.match_color_histogram(s, content_s) for s in styles_s]
    return content_s, styles_s


def stylize(content: np.ndarray, styles: np.ndarray | Sequence[np.ndarray], config: StyleConfig,
            features: VGGFeatures | None = None, image_every: int = 10,
            stop: threading.Event | None = None, init_image: np.ndarray | None = None) -> Iterator[Progress]:
    """Run style transfer, yielding a :class:`Progress` after every iteration.

    ``content`` and ``styles`` are (H, W, 3) uint8 RGB arrays at any size; the
    result has the content's aspect ratio with ``config.size`` px on its longest
    side. ``init_image`` (any size; resized to the content's) is the start image when
    ``config.init == "image"``. The last event has ``done=True`` and the final image. Closing the
    generator (or setting ``stop``) ends the run at the next iteration.
    """
    config.validate()
    if isinstance(styles, np.ndarray):
        styles = [styles]
    styles = list(styles)
    if not styles:
        raise ValueError("Give at least one style image.")
    blend = list(config.style_blend) or [1.0] * len(styles)
    if len(blend) != len(styles):
        raise ValueError(f"{len(styles)} style images but {len(blend)} blend weights.")
    if sum(blend) <= 0:
        blend = [1.0] * len(styles)
    features = (features or get_features(config.vgg_weights, config.pooling)).variant(config.pooling, config.padding)
    rng = np.random.default_rng(config.seed)  # all of a run's randomness

    if config.init == "image" and init_image is None:
        raise ValueError("init 'image' needs an init image.")
    steps_plan = scale_plan(config)
    sizes = [step.size for step in steps_plan]
    plan = [step.iterations for step in steps_plan]
    start = time.perf_counter()
    done_iters = 0
    evaluations = 0
    current = None  # float32 (H, W, 3) RGB 0..255 of the latest good image
    last_losses: dict[str, float] = {}
    content_full = content
    for scale_index, (size, iters) in enumerate(zip(sizes, plan)):
        content_s, styles_s = prepare_inputs(content_full, styles, config, size)
        h, w = content_s.shape[:2]
        model = LossModel(features, config, content_s, styles_s, blend)
        if current is None:
            init = _initial_image(config, content_s, styles_s, blend, rng, init_image)
        else:
            init = enlarge(current, content_s, float(config.content_detail))
        start_image = init  # what the run hands back if it takes no step (nothing to optimise)
        x0 = features.preprocess(init)
        if iters == 0:
            current = init
            continue
        if config.optimizer == "adam":
            steps = run_adam(model, x0, iters)
        else:
            steps = run_lbfgs(model, x0, iters)
        final_scale = scale_index == len(sizes) - 1
        status = "finished"
        message = ""
        try:
            for local_iter, out, x, n_eval in steps:
                evaluations += n_eval
                if not all(np.isfinite(v) for v in out.values()):
                    status = "diverged"
                    message = ("The loss became NaN or infinite, so the run stopped; the last good image "
                               "is kept. Lower the learning rate, alpha or beta.")
                    break
                done_iters += 1
                current = features.deprocess(x).astype(np.float32)
                last_losses = out
                is_last = final_scale and local_iter == iters
                show = is_last or (image_every and done_iters % image_every == 0) or \
                    (config.snapshot_every and done_iters % config.snapshot_every == 0)
                event = Progress(iteration=done_iters, total_iterations=int(config.iterations), losses=out,
                                 elapsed=time.perf_counter() - start, scale=scale_index, shape=(h, w),
                                 evaluations=evaluations, scales=len(sizes))
                if show:
                    event.image = _finish_image(current, content_s, config)
                if is_last:
                    break
                yield event
                if stop is not None and stop.is_set():
                    status = "stopped"
                    message = "Stopped by request."
                    break
        finally:
            steps.close()
        if status != "finished":
            break
    final = imgs.resize_to(content, int(config.size))
    enlarged_from = None
    if current is None and status != "diverged":  # no step taken (a flat loss): the start image
        current = start_image
    if current is None:  # not one good iteration (diverged at once): hand back the content image at size
        current = final.astype(np.float32)
    elif current.shape[:2] != final.shape[:2]:
        # stopped (or diverged) at a coarser scale: hand back the image so far at the size asked for
        enlarged_from = tuple(current.shape[:2])
        current = imgs.resize_exact(np.clip(current, 0, 255).round().astype(np.uint8),
                                    *final.shape[:2]).astype(np.float32)
    image = _finish_image(current, final, config)
    exact = np.clip(current, 0, 255).astype(np.float32) if config.preserve_color != "luminance" \
        else image.astype(np.float32)
    event = Progress(iteration=done_iters, total_iterations=int(config.iterations), losses=last_losses,
                     elapsed=time.perf_counter() - start,
                     scale=scale_index if status != "finished" else len(sizes) - 1, shape=image.shape[:2],
                     image=image, done=True, status=status, message=message, evaluations=evaluations,
                     scales=len(sizes), enlarged_from=enlarged_from, image_float=exact)
    event.message = f"{message} {coarse_note(event)}".strip()
    yield event


def coarse_note(event: Progress) -> str:
    """One sentence, from the event's data, for a run that ended at a coarser scale than the last ('' if not)."""
    if event.enlarged_from is None:
        return ""
    h0, w0 = event.enlarged_from
    return (f"It ended at the coarse scale {event.scale + 1} of {event.scales}, so its {w0}x{h0} px image "
            f"was enlarged to {event.shape[1]}x{event.shape[0]} px.")


def enlarge(image: np.ndarray, content: np.ndarray, detail: float = 0.0) -> np.ndarray:
    """The image of a coarser scale enlarged to the content's size, as float32 RGB 0..255.

    With ``detail`` > 0 the photo's fine detail that the coarser scale could not hold (the
    content minus the content shrunk to the coarse size and enlarged again) is added back,
    times ``detail``: the strokes formed at the coarse scale stay, and the edges of the
    photo come back crisp for the finer scale to paint over.
    """
    h, w = content.shape[:2]
    up = imgs.resize_exact(np.clip(image, 0, 255).round().astype(np.uint8), h, w).astype(np.float32)
    if detail:
        low = imgs.resize_exact(imgs.resize_exact(content, *image.shape[:2]), h, w).astype(np.float32)
        up = np.clip(up + detail * (content.astype(np.float32) - low), 0, 255)
    return up


def _finish_image(rgb: np.ndarray, content_s: np.ndarray, config: StyleConfig) -> np.ndarray:
    out = np.clip(rgb, 0, 255).round().astype(np.uint8)
    if config.preserve_color == "luminance":
        out = imgs.luminance_transfer(out, content_s)
    return out

