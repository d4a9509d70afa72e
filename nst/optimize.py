"""The optimisation: a generator of progress events that the CLI, the app and the tests all drive.

Only the generated image g is trained; the VGG-16 weights and the content and
style targets are constants, computed once per scale. The loss and its gradient
are one compiled TensorFlow function (XLA where enabled). Two optimisers:

* Adam (the article's), written out in TF ops inside the compiled step;
* L-BFGS-B from SciPy over the compiled value-and-gradient, with the pixel
  bounds as box constraints, driven step by step from the generator through
  SciPy's reverse-communication ``setulb`` (OpenBLAS held at one thread meanwhile;
  a worker thread around ``scipy.optimize.minimize`` where ``setulb`` is missing).

The compiled functions are shared between runs: one trace per feature extractor,
layer set and image shape (see :func:`compiled_loss`); targets and weights are
tensor arguments. The loss terms are those of :mod:`nst.losses`.
"""
from __future__ import annotations

import functools
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np
import tensorflow as tf

from . import images as imgs
from . import losses
from .config import StyleConfig
from .vgg import VGGFeatures
from .weights import load_weights


STATUSES = ("running", "finished", "stopped", "diverged")  # Progress.status is always one of these


@dataclass
class Progress:
    """One step of a run, as the UI and the CLI see it (build it by keyword).

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


class _Compiled:
    """The compiled loss, value-and-gradient and Adam step for one loss *structure*.

    A structure is a feature extractor (its weights and pooling), the content and style
    layers, XLA on or off, and the image shape. Everything else that changes from run to run
    -- the content targets, the style Gram targets, alpha, beta, tv_weight, the w_l and the
    learning rate -- enters as tensor arguments, so every run with the same structure reuses
    one trace (building new ``tf.function`` objects per run retraced every time and kept
    ~5-15 MB per run alive in TensorFlow's runtime).
    """

    def __init__(self, features: VGGFeatures, content_layers: tuple, style_layers: tuple, xla: bool,
                 use_tv: bool = True, style_loss: str = "gram"):
        self.content_layers = content_layers
        self.style_layers = style_layers
        needed = list(dict.fromkeys(content_layers + style_layers))
        low, high = -features.mean, 255.0 - features.mean
        self.traces = 0

        def terms(x, content_targets, style_targets, weights, layer_weights, content_weights):
            """weights = (alpha, beta, tv_weight); layer_weights = the w_l in style_layers order;
            content_weights = one per content layer (1, or 1 / its target's size when normalised)."""
            self.traces += 1  # Python side effect: runs once per trace only
            acts = features(x, needed)
            c_total, c_layers = losses.content_loss({k: acts[k] for k in content_layers},
                                                    dict(zip(content_layers, content_targets)),
                                                    {k: content_weights[i] for i, k in enumerate(content_layers)})
            stats = {k: losses.style_statistics(acts[k], style_loss) for k in style_layers}
            s_total, s_layers = losses.style_loss(stats, dict(zip(style_layers, style_targets)),
                                                  {k: layer_weights[i] for i, k in enumerate(style_layers)},
                                                  style_loss)
            tv_term = losses.total_variation_loss(x)
            if not use_tv:  # tv_weight is 0 for this structure: report L_tv, skip its gradient
                tv_term = tf.stop_gradient(tv_term)
            total = losses.total_loss(c_total, s_total, tv_term, weights[0], weights[1], weights[2])
            out = {"total": total, "content": c_total, "style": s_total, "tv": tv_term}
            out.update({f"content/{k}": v for k, v in c_layers.items()})
            out.update({f"style/{k}": v for k, v in s_layers.items()})
            return out

        def value_and_grad(x, *targets):
            with tf.GradientTape() as tape:
                tape.watch(x)
                out = terms(x, *targets)
            return out, tape.gradient(out["total"], x)

        b1, b2, eps = 0.9, 0.999, 1e-8

        def adam_step(x, m, v, t, lr, *targets):
            """One Adam step on g, clipped to valid pixels; returns the loss terms before the step."""
            out, g = value_and_grad(tf.convert_to_tensor(x), *targets)
            m.assign(b1 * m + (1 - b1) * g)
            v.assign(b2 * v + (1 - b2) * tf.square(g))
            m_hat = m / (1 - tf.pow(b1, t))
            v_hat = v / (1 - tf.pow(b2, t))
            x.assign(tf.clip_by_value(x - lr * m_hat / (tf.sqrt(v_hat) + eps), low, high))
            return out

        # autograph off: the loss has no tensor-dependent Python control flow to convert
        compile_ = functools.partial(tf.function, jit_compile=bool(xla), reduce_retracing=False, autograph=False)
        self.terms = compile_(terms)
        self.value_and_grad = compile_(value_and_grad)
        self.adam_step = compile_(adam_step)


_COMPILED: "OrderedDict[tuple, _Compiled]" = OrderedDict()
_COMPILED_MAX = 6
_COMPILED_LOCK = threading.Lock()


def compiled_loss(features: VGGFeatures, content_layers: Sequence[str], style_layers: Sequence[str],
                  xla: bool, shape: Sequence[int], use_tv: bool = True, style_loss: str = "gram") -> _Compiled:
    """The shared compiled functions for a structure (see :class:`_Compiled`); an LRU of a few.

    The image shape is part of the key, so each entry holds one trace with static shapes
    (what XLA and the CPU kernels like best) and the number of traces stays bounded however
    many sizes a long-lived app sees. The entry keeps ``features`` (and so its weights)
    alive, so ``id(features.weights)`` in the key cannot be reused while it is cached.
    """
    key = (id(features.weights), features.pooling, features.padding, tuple(content_layers), tuple(style_layers),
           bool(xla), tuple(int(d) for d in shape), bool(use_tv), style_loss)
    with _COMPILED_LOCK:
        entry = _COMPILED.get(key)
        if entry is None:
            entry = _Compiled(features, tuple(content_layers), tuple(style_layers), bool(xla), bool(use_tv),
                              style_loss)
            _COMPILED[key] = entry
            while len(_COMPILED) > _COMPILED_MAX:
                _COMPILED.popitem(last=False)
        else:
            _COMPILED.move_to_end(key)
        return entry


class LossModel:
    """The loss for one content image, one set of style targets and one image size.

    The compiled functions are shared (see :func:`compiled_loss`); this object holds the
    targets and the weights as tensors and passes them in.
    """

    def __init__(self, features: VGGFeatures, config: StyleConfig, content: np.ndarray,
                 styles: Sequence[np.ndarray], blend: Sequence[float]):
        self.features = features
        self.config = config
        self.content_layers = list(config.content_layers)
        self.style_layers = [n for n in config.style_layers]
        self.layer_weights = config.layer_weights()
        self.shape = content.shape[:2]
        self.bounds = (-features.mean, 255.0 - features.mean)
        content_x = features.preprocess(content)
        self.content_targets = {k: tf.constant(v) for k, v in
                                features(content_x, self.content_layers).items()}
        self.style_targets = {}
        if self.style_layers:
            total = float(sum(blend))
            for style, share in zip(styles, blend):
                acts = features(features.preprocess(style), self.style_layers)
                for name in self.style_layers:
                    stats = losses.style_statistics(acts[name], config.style_loss) * (share / total)
                    self.style_targets[name] = self.style_targets.get(name, 0.0) + stats
        self.style_targets = {k: tf.constant(v) for k, v in self.style_targets.items()}
        # Normalised: each term relative to the size of its target, so no layer dominates by size alone.
        content_weights = {k: 1.0 for k in self.content_layers}
        style_weights = dict(self.layer_weights)
        if config.normalize:
            for k in self.content_layers:
                content_weights[k] = 1.0 / max(float(tf.reduce_mean(tf.square(self.content_targets[k]))), 1e-12)
            for k in self.style_layers:
                scale = losses.statistics_scale(self.style_targets[k], config.style_loss)
                style_weights[k] = style_weights[k] / max(scale, 1e-12)
        self.needed = list(dict.fromkeys(self.content_layers + self.style_layers))
        self._fns = compiled_loss(features, self.content_layers, self.style_layers, bool(config.xla),
                                  content_x.shape, use_tv=float(config.tv_weight) != 0.0,
                                  style_loss=config.style_loss)
        self._args = (
            tuple(self.content_targets[k] for k in self.content_layers),
            tuple(self.style_targets[k] for k in self.style_layers),
            tf.constant([float(config.alpha), float(config.beta), float(config.tv_weight)], tf.float32),
            tf.constant([style_weights[k] for k in self.style_layers], tf.float32,
                        shape=(len(self.style_layers),)),
            tf.constant([content_weights[k] for k in self.content_layers], tf.float32,
                        shape=(len(self.content_layers),)),
        )
        self._lr = tf.constant(float(config.learning_rate), tf.float32)

    def terms(self, x) -> dict:
        return self._fns.terms(tf.convert_to_tensor(x, tf.float32), *self._args)

    def value_and_grad(self, x):
        return self._fns.value_and_grad(tf.convert_to_tensor(x, tf.float32), *self._args)

    def adam_step(self, x: tf.Variable, m: tf.Variable, v: tf.Variable, t) -> dict:
        return self._fns.adam_step(x, m, v, tf.convert_to_tensor(t, tf.float32), self._lr, *self._args)


def _initial_image(config: StyleConfig, content: np.ndarray, style: np.ndarray, rng: np.random.Generator,
                   init_image: np.ndarray | None = None) -> np.ndarray:
    if config.init == "image":
        if init_image is None:
            raise ValueError("init 'image' needs an init image.")
        return imgs.resize_exact(np.asarray(init_image, np.uint8), *content.shape[:2]).astype(np.float32)
    if config.init == "content":
        return content.astype(np.float32)
    if config.init == "style":
        return imgs.center_crop_to_aspect(style, *content.shape[:2]).astype(np.float32)
    noise = rng.normal(128.0, 50.0, size=content.shape)
    return np.clip(noise, 0, 255).astype(np.float32)


def _floats(out: dict) -> dict[str, float]:
    return {k: float(v) for k, v in out.items()}


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
    features = (features or get_features(config.weights, config.pooling)).variant(config.pooling, config.padding)
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
            init = _initial_image(config, content_s, styles_s[0], rng, init_image)
        else:
            init = imgs.resize_exact(np.clip(current, 0, 255).astype(np.uint8), h, w).astype(np.float32)
        x0 = features.preprocess(init)
        if iters == 0:
            current = init
            continue
        if config.optimizer == "adam":
            steps = _run_adam(model, x0, iters, stop)
        else:
            steps = _run_lbfgs(model, x0, iters, stop)
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
    if current is None:  # not one good iteration (diverged at once): hand back the content image at size
        current = final.astype(np.float32)
    elif current.shape[:2] != final.shape[:2]:
        # stopped (or diverged) at a coarser scale: hand back the image so far at the size asked for
        h0, w0 = enlarged_from = current.shape[:2]
        current = imgs.resize_exact(np.clip(current, 0, 255).round().astype(np.uint8),
                                    *final.shape[:2]).astype(np.float32)
        message = (message + f" It ended at the coarse scale {scale_index + 1} of {len(sizes)}, so its "
                   f"{w0}x{h0} px image was enlarged to {final.shape[1]}x{final.shape[0]} px.").strip()
    image = _finish_image(current, final, config)
    yield Progress(iteration=done_iters, total_iterations=int(config.iterations), losses=last_losses,
                   elapsed=time.perf_counter() - start,
                   scale=scale_index if status != "finished" else len(sizes) - 1, shape=image.shape[:2],
                   image=image, done=True, status=status, message=message, evaluations=evaluations,
                   scales=len(sizes), enlarged_from=enlarged_from)


def _finish_image(rgb: np.ndarray, content_s: np.ndarray, config: StyleConfig) -> np.ndarray:
    out = np.clip(rgb, 0, 255).round().astype(np.uint8)
    if config.preserve_color == "luminance":
        out = imgs.luminance_transfer(out, content_s)
    return out


def _run_adam(model: LossModel, x0: tf.Tensor, iterations: int, stop: threading.Event | None):
    """Yields (iteration, losses, image after the step, evaluations)."""
    x = tf.Variable(x0, dtype=tf.float32)
    m = tf.Variable(tf.zeros_like(x0))
    v = tf.Variable(tf.zeros_like(x0))
    for i in range(1, iterations + 1):
        out = _floats(model.adam_step(x, m, v, tf.constant(float(i))))
        # The losses are those of the image before this step; report them with that image's successor
        # only at the last step, where the final losses are evaluated again.
        if i == iterations:
            out = _floats(model.terms(x))
        yield i, out, x.numpy(), 1


class _SingleThreadedBLAS:
    """BLAS (NumPy's and SciPy's OpenBLAS) at one thread while an L-BFGS run is going (re-entrant across runs).

    SciPy's L-BFGS-B does level-1 BLAS on ~10^5-10^6 doubles per iteration. With OpenBLAS's
    default of one thread per core, each of those calls wakes and spins threads that fight
    TensorFlow's for the same cores: measured at 256 px, 250-400 ms of L-BFGS-B bookkeeping per
    iteration with 2 threads against ~50 ms with one (and slower TensorFlow evaluations).
    Uses threadpoolctl's public API; the depth count lets runs in several threads overlap.
    """

    _lock = threading.Lock()
    _depth = 0
    _limiter = None

    def __enter__(self):
        with self._lock:
            if _SingleThreadedBLAS._depth == 0:
                try:
                    from threadpoolctl import threadpool_limits

                    _SingleThreadedBLAS._limiter = threadpool_limits(limits=1, user_api="blas")
                except Exception:  # never let a thread-count tweak break a run
                    _SingleThreadedBLAS._limiter = None
            _SingleThreadedBLAS._depth += 1
        return self

    def __exit__(self, *exc):
        with self._lock:
            _SingleThreadedBLAS._depth -= 1
            if _SingleThreadedBLAS._depth == 0 and _SingleThreadedBLAS._limiter is not None:
                _SingleThreadedBLAS._limiter.restore_original_limits()
                _SingleThreadedBLAS._limiter = None
        return False


def _setulb():
    """SciPy's reverse-communication L-BFGS-B step (SciPy >= 1.15's C version), or None."""
    try:
        from scipy.optimize import _lbfgsb
    except ImportError:
        return None
    fn = getattr(_lbfgsb, "setulb", None)
    doc = getattr(fn, "__doc__", "") or ""
    return fn if doc.startswith("setulb(m,x,l,u,nbd,f,g,factr,pgtol,wa,iwa,task,lsave,isave,dsave,maxls,ln_task)") \
        else None


_LBFGS_MEMORY = 20  # maxcor: correction pairs kept


def _run_lbfgs(model: LossModel, x0: tf.Tensor, iterations: int, stop: threading.Event | None):
    """L-BFGS-B with the pixel bounds as box constraints; yields (iteration, losses, image, evaluations).

    Drives SciPy's reverse-communication ``setulb`` directly, in this generator: no worker
    thread, no queue, and none of ``scipy.optimize.minimize``'s per-call set-up (a Python loop
    over every variable to classify the bounds: 0.36 s at 256 px, 1.5 s at 512). Falls back to
    ``minimize`` in a worker thread where that private function is not there.
    """
    setulb = _setulb()
    if setulb is None:
        yield from _run_lbfgs_minimize(model, x0, iterations, stop)
        return
    shape = tuple(x0.shape)
    n = int(np.prod(shape))
    low = np.ascontiguousarray(np.broadcast_to(model.bounds[0].numpy(), shape).ravel(), np.float64)
    high = np.ascontiguousarray(np.broadcast_to(model.bounds[1].numpy(), shape).ravel(), np.float64)
    m = _LBFGS_MEMORY
    x = np.clip(np.asarray(x0, np.float64).ravel(), low, high)
    nbd = np.full(n, 2, np.int32)  # 2: bounded below and above
    f = np.array(0.0, np.float64)
    g = np.zeros(n, np.float64)
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m, np.float64)
    iwa = np.zeros(3 * n, np.int32)
    task = np.zeros(2, np.int32)
    ln_task = np.zeros(2, np.int32)
    lsave = np.zeros(4, np.int32)
    isave = np.zeros(44, np.int32)
    dsave = np.zeros(29, np.float64)
    max_evals = iterations * 3
    evals = evals_since = 0
    out = None
    i = 0
    with _SingleThreadedBLAS():
        while i < iterations:
            setulb(m, x, low, high, nbd, f, g, 0.0, 0.0, wa, iwa, task, lsave, isave, dsave, 20, ln_task)
            if task[0] == 3:  # wants f and g at x
                if evals >= max_evals:
                    break
                result, grad = model.value_and_grad(x.astype(np.float32).reshape(shape))
                out = _floats(result)
                evals += 1
                evals_since += 1
                if not np.isfinite(out["total"]):
                    yield i + 1, {"total": float("nan")}, None, evals_since
                    return
                f = np.array(out["total"], np.float64)
                g = grad.numpy().astype(np.float64).ravel()
            elif task[0] == 1:  # a new iterate
                i += 1
                yield i, out, x.reshape(shape).astype(np.float32), evals_since
                evals_since = 0
            else:  # converged, or the line search could not go on
                break


def _run_lbfgs_minimize(model: LossModel, x0: tf.Tensor, iterations: int, stop: threading.Event | None):
    """SciPy's L-BFGS-B in a worker thread; yields (iteration, losses, image, evaluations)."""
    from scipy.optimize import Bounds, minimize

    shape = tuple(x0.shape)
    low = np.broadcast_to(model.bounds[0].numpy(), shape).ravel().astype(np.float64)
    high = np.broadcast_to(model.bounds[1].numpy(), shape).ravel().astype(np.float64)
    events: queue.Queue = queue.Queue(maxsize=1)
    halt = threading.Event()
    last = {"out": None, "evals": 0}

    def fun(flat):
        x = tf.constant(flat.reshape(shape), tf.float32)
        out, grad = model.value_and_grad(x)
        last["out"] = out
        last["evals"] += 1
        value = float(out["total"])
        if not np.isfinite(value):
            raise FloatingPointError
        return value, grad.numpy().ravel().astype(np.float64)

    def callback(intermediate_result):
        item = (_floats(last["out"]), intermediate_result.x.reshape(shape).astype(np.float32), last["evals"])
        last["evals"] = 0
        while not halt.is_set():
            try:
                events.put(item, timeout=0.1)
                break
            except queue.Full:
                continue
        if halt.is_set():
            raise StopIteration

    def work():
        try:
            with _SingleThreadedBLAS():
                minimize(fun, np.asarray(x0, np.float64).ravel(), jac=True, method="L-BFGS-B",
                         bounds=Bounds(low, high), callback=callback,
                         options={"maxiter": iterations, "maxfun": iterations * 3, "maxcor": _LBFGS_MEMORY,
                                  "ftol": 0.0, "gtol": 0.0})
        except FloatingPointError:
            events.put(("nan", None, 0))
        except Exception as exc:  # surfaces in the generator below
            events.put(("error", exc, 0))
        finally:
            events.put(None)

    thread = threading.Thread(target=work, name="nst-lbfgs", daemon=True)
    thread.start()
    i = 0
    try:
        while True:
            item = events.get()
            if item is None:
                break
            out, x, n_eval = item
            if out == "nan":
                yield i + 1, {"total": float("nan")}, None, 0
                break
            if out == "error":
                raise x
            i += 1
            yield i, out, x, n_eval
            if i >= iterations:
                break
    finally:
        halt.set()
        while thread.is_alive():
            try:
                events.get(timeout=0.05)
            except queue.Empty:
                pass
        thread.join()

