"""The optimisation: a generator of progress events that the CLI, the app and the tests all drive.

Only the generated image g is trained; the VGG-16 weights and the content and
style targets are constants, computed once per scale. The loss and its gradient
are one compiled TensorFlow function (XLA where enabled). Two optimisers:

* Adam (the article's), written out in TF ops inside the compiled step;
* L-BFGS-B from SciPy over the compiled value-and-gradient, with the pixel
  bounds as box constraints. SciPy drives its own loop, so it runs in a worker
  thread that hands each iteration to the generator and stops when asked.
"""
from __future__ import annotations

import functools
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np
import tensorflow as tf

from . import images as imgs
from . import losses
from .config import StyleConfig
from .vgg import VGGFeatures
from .weights import load_weights


@dataclass
class Progress:
    """One step of a run, as the UI and the CLI see it."""

    iteration: int                 # iterations done so far over all scales (1-based)
    total_iterations: int
    losses: dict[str, float]       # 'total', 'content', 'style', 'tv', 'content/<layer>', 'style/<layer>'
    elapsed: float                 # seconds since the run started
    scale: int = 0                 # index of the current scale (multi-scale)
    shape: tuple[int, int] = (0, 0)
    image: np.ndarray | None = None  # (H, W, 3) uint8, every image_every iterations and at the end
    done: bool = False
    status: str = "running"        # 'running', 'finished', 'stopped', 'diverged'
    message: str = ""
    evaluations: int = 0           # loss-and-gradient evaluations so far


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
    """The feature extractor for a weight source, loaded once per process."""
    return VGGFeatures(load_weights(weights, npz_path), pooling)


def scale_sizes(size: int, scales: int, minimum: int = 64) -> list[int]:
    """Longest sides, coarse to fine: size / 2^(k-1), ..., size / 2, size (never below ``minimum``)."""
    minimum = min(minimum, size)
    sizes = [max(minimum, round(size / 2 ** k)) for k in range(scales - 1, -1, -1)]
    return sorted(set(sizes)) if len(set(sizes)) != len(sizes) else sizes


def split_iterations(total: int, parts: int) -> list[int]:
    base, rest = divmod(total, parts)
    return [base + (1 if i >= parts - rest else 0) for i in range(parts)]


@tf.custom_gradient
def _gram(activations: tf.Tensor):
    """losses.gram_matrix of (1, H, W, C) or (H, W, C) activations, with a cheaper gradient.

    G = F^T F / M for F of shape (M, C); autodiff would take two matmuls and a sum
    for dL/dF, but dL/dF = F (dL/dG + dL/dG^T) / M is one.
    """
    shape = tf.shape(activations)
    flat = tf.reshape(activations, (-1, shape[-1]))  # (M, C), no copy
    m = tf.cast(tf.shape(flat)[0], tf.float32)
    gram = tf.matmul(flat, flat, transpose_a=True) / m

    def grad(upstream):
        d_flat = tf.matmul(flat, (upstream + tf.transpose(upstream)) / m)
        return tf.reshape(d_flat, shape)

    return gram, grad


class LossModel:
    """The compiled loss for one content image, one set of style targets and one image size."""

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
                    gram = losses.gram_matrix(acts[name]) * (share / total)
                    self.style_targets[name] = self.style_targets.get(name, 0.0) + gram
        self.style_targets = {k: tf.constant(v) for k, v in self.style_targets.items()}
        self.needed = list(dict.fromkeys(self.content_layers + self.style_layers))
        alpha, beta, tv = float(config.alpha), float(config.beta), float(config.tv_weight)

        def terms(x):
            # The same terms as nst.losses computes, written for speed: activations are reshaped
            # (free) rather than sliced (a copy in the gradient), and the Gram matrix has a
            # one-matmul gradient (see _gram).
            acts = features(x, self.needed)
            c_layers = {k: tf.reduce_mean(tf.square(acts[k] - self.content_targets[k]))
                        for k in self.content_layers}
            c_total = tf.add_n(list(c_layers.values())) if c_layers else tf.constant(0.0)
            grams = {k: _gram(acts[k]) for k in self.style_layers}
            s_total, s_layers = losses.style_loss(grams, self.style_targets, self.layer_weights)
            tv_term = losses.total_variation_loss(x)
            total = losses.total_loss(c_total, s_total, tv_term, alpha, beta, tv)
            out = {"total": total, "content": c_total, "style": s_total, "tv": tv_term}
            out.update({f"content/{k}": v for k, v in c_layers.items()})
            out.update({f"style/{k}": v for k, v in s_layers.items()})
            return out

        def value_and_grad(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                out = terms(x)
            return out, tape.gradient(out["total"], x)

        compile_ = functools.partial(tf.function, jit_compile=bool(config.xla), reduce_retracing=True)
        self.terms = compile_(terms)
        self.value_and_grad = compile_(value_and_grad)

        b1, b2, eps = 0.9, 0.999, 1e-8
        lr = float(config.learning_rate)
        low, high = self.bounds

        def adam_step(x, m, v, t):
            """One Adam step on g, clipped to valid pixels; returns the loss terms before the step."""
            out, g = value_and_grad(x)
            m.assign(b1 * m + (1 - b1) * g)
            v.assign(b2 * v + (1 - b2) * tf.square(g))
            m_hat = m / (1 - tf.pow(b1, t))
            v_hat = v / (1 - tf.pow(b2, t))
            x.assign(tf.clip_by_value(x - lr * m_hat / (tf.sqrt(v_hat) + eps), low, high))
            return out

        self.adam_step = compile_(adam_step)


def _initial_image(config: StyleConfig, content: np.ndarray, style: np.ndarray, rng: np.random.Generator) -> np.ndarray:
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
    style_size = max(16, round(size * config.style_scale))
    styles_s = [imgs.resize_to(s, style_size) for s in styles]
    if config.preserve_color == "histogram":
        styles_s = [imgs.match_color_histogram(s, content_s) for s in styles_s]
    return content_s, styles_s


def stylize(content: np.ndarray, styles: np.ndarray | Sequence[np.ndarray], config: StyleConfig,
            features: VGGFeatures | None = None, image_every: int = 10,
            stop: threading.Event | None = None) -> Iterator[Progress]:
    """Run style transfer, yielding a :class:`Progress` after every iteration.

    ``content`` and ``styles`` are (H, W, 3) uint8 RGB arrays at any size; the
    result has the content's aspect ratio with ``config.size`` px on its longest
    side. The last event has ``done=True`` and the final image. Closing the
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
    features = features or get_features(config.weights, config.pooling)
    if features.pooling != config.pooling:
        features = features.with_pooling(config.pooling)
    rng = np.random.default_rng(config.seed)
    tf.random.set_seed(config.seed)

    sizes = scale_sizes(int(config.size), int(config.scales))
    plan = split_iterations(int(config.iterations), len(sizes))
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
            init = _initial_image(config, content_s, styles_s[0], rng)
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
                event = Progress(done_iters, int(config.iterations), out, time.perf_counter() - start,
                                 scale_index, (h, w), None, False, "running", "", evaluations)
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
    image = _finish_image(current if current is not None else content.astype(np.float32),
                          imgs.resize_to(content, int(config.size)) if current is None else content_s, config)
    yield Progress(done_iters, int(config.iterations), last_losses, time.perf_counter() - start,
                   len(sizes) - 1, image.shape[:2], image, True, status, message, evaluations)


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


def _run_lbfgs(model: LossModel, x0: tf.Tensor, iterations: int, stop: threading.Event | None):
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
            minimize(fun, np.asarray(x0, np.float64).ravel(), jac=True, method="L-BFGS-B",
                     bounds=Bounds(low, high), callback=callback,
                     options={"maxiter": iterations, "maxfun": iterations * 3, "maxcor": 20,
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

