"""python -m nst.bench: how fast is the engine, measured against a plain TensorFlow loop, in one run.

Everything runs in this one process, side by side, on the same images, weights,
layers and sizes (the machine is noisy, so only ratios from one run mean much):

* the yardstick, a **plain loop** in the keras-io style: a Keras VGG-16 model
  with every conv layer through block5_conv1 as outputs, the Gram matrix via a
  channels-first transpose, Keras's Adam on a Variable, one ``tf.function``, no
  XLA. Its loss is the engine's loss (same layers, same normalisation), checked;
* **the engine** (:mod:`nst.optimize`): its Adam step and its L-BFGS iteration.

For each: seconds per iteration, GFLOP/s achieved (conv FLOPs counted
analytically: forward plus input gradient, see :func:`conv_pass_flops`), the
peak resident memory, and next to them the machine's own float32 matmul
GFLOP/s measured in the same run. Then the wall time to reach a target loss
(the loss the plain loop reaches after ``--target-iterations`` Adam steps), and
the studio's default run (time to the first image and to the end).

``--quick`` runs a small version (< 2 minutes) for the tests.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"


# --- memory ------------------------------------------------------------------

def _status_kb(field: str) -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakRSS:
    """Peak resident memory (MB) of this process over a ``with`` block.

    Resets the kernel's high-water mark (``/proc/self/clear_refs``) where allowed
    and reads ``VmHWM``; a thread also samples ``VmRSS`` every few ms, so the
    figure is right where the reset is not allowed too. TensorFlow's allocations
    are all in RSS (tracemalloc would not see them).
    """

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._reset = False

    def __enter__(self):
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            self._reset = True
        except OSError:
            self._reset = False
        self.peak_kb = _status_kb("VmRSS")
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(self.interval):
            self.peak_kb = max(self.peak_kb, _status_kb("VmRSS"))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        if self._reset:
            self.peak_kb = max(self.peak_kb, _status_kb("VmHWM"))
        return False

    @property
    def mb(self) -> float:
        return self.peak_kb / 1024.0


# --- arithmetic --------------------------------------------------------------

def matmul_gflops(n: int = 2048, repeats: int = 6) -> float:
    """The machine's float32 matmul rate (GFLOP/s) through TensorFlow: best of ``repeats``."""
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        tf.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - t)
    return 2.0 * n ** 3 / best / 1e9


def conv_pass_flops(features, deepest: str, height: int, width: int) -> float:
    """Conv FLOPs of one loss-and-gradient evaluation: the forward pass through ``deepest``
    plus the input-gradient pass (the same again, except block1_conv1, whose input gradient,
    to 3 channels, is cheap). Filter gradients are not needed: the weights are constants."""
    from .vgg import conv_flops

    forward = conv_flops(features, [deepest], height, width)
    first = conv_flops(features, ["block1_conv1"], height, width)
    return 2.0 * forward - first


def deepest_layer(layers) -> str:
    from .weights import LAYERS

    return max(layers, key=LAYERS.index)


# --- the yardstick: a plain keras-io style loop --------------------------------

class PlainLoop:
    """The article's algorithm as a plain TensorFlow program (keras-io's style transfer example).

    A Keras VGG-16 with every conv layer through ``upto`` as an output, Keras's Adam on a
    Variable, the whole step in one ``tf.function`` without XLA. The loss is the engine's
    (nst.losses normalisation: Gram / M, means of squares), so both reach comparable values.
    """

    def __init__(self, features, config, content, style, upto: str = "block5_conv1"):
        import keras
        import tensorflow as tf

        from .weights import LAYERS

        self.config = config
        inputs = keras.Input((None, None, 3))
        h, outputs, block = inputs, {}, "block1"
        pool = keras.layers.AveragePooling2D if features.pooling == "avg" else keras.layers.MaxPooling2D
        self._convs = []
        for name in LAYERS[: LAYERS.index(upto) + 1]:
            if not name.startswith(block):
                block = name.split("_")[0]
                h = pool(2, 2, padding="same")(h)
            w, b = features.weights.kernels[name]
            layer = keras.layers.Conv2D(w.shape[-1], 3, padding="same", activation="relu", name=name)
            h = layer(h)
            self._convs.append((layer, w, b))
            outputs[name] = h
        self.model = keras.Model(inputs, outputs)
        for layer, w, b in self._convs:
            layer.set_weights([w, b])
        self.mean = features.mean
        self.content = content
        self.style = style
        self.bounds = (-features.mean, 255.0 - features.mean)

    @staticmethod
    def gram_matrix(x):
        import tensorflow as tf

        x = tf.transpose(x, (2, 0, 1))  # channels first, as keras-io does
        f = tf.reshape(x, (tf.shape(x)[0], -1))
        gram = tf.matmul(f, tf.transpose(f))
        return gram / tf.cast(tf.shape(f)[1], tf.float32)

    def start(self):
        """Build the targets and the compiled step (part of the timed run, as in the engine)."""
        import keras
        import tensorflow as tf

        cfg = self.config
        content_x = tf.convert_to_tensor(self.content, tf.float32)[tf.newaxis] - self.mean
        style_x = tf.convert_to_tensor(self.style, tf.float32)[tf.newaxis] - self.mean
        content_feats = self.model(content_x)
        style_feats = self.model(style_x)
        content_targets = {k: content_feats[k][0] for k in cfg.content_layers}
        style_targets = {k: self.gram_matrix(style_feats[k][0]) for k in cfg.style_layers}
        weights = cfg.w_l()
        alpha, beta = float(cfg.alpha), float(cfg.beta)
        self.x = tf.Variable(content_x)
        optimizer = keras.optimizers.Adam(learning_rate=float(cfg.learning_rate))
        low, high = self.bounds
        model, gram = self.model, self.gram_matrix

        def compute_loss(image):
            feats = model(image)
            loss = tf.zeros(())
            for name, target in content_targets.items():
                loss += alpha * tf.reduce_mean(tf.square(feats[name][0] - target))
            for name, target in style_targets.items():
                loss += beta * weights[name] * tf.reduce_mean(tf.square(gram(feats[name][0]) - target))
            return loss

        @tf.function(jit_compile=False)
        def step():
            with tf.GradientTape() as tape:
                loss = compute_loss(self.x)
            grads = tape.gradient(loss, self.x)
            optimizer.apply_gradients([(grads, self.x)])
            self.x.assign(tf.clip_by_value(self.x, low, high))
            return loss

        self.step = step
        self.loss = tf.function(compute_loss, jit_compile=False)
        return self


# --- timing ------------------------------------------------------------------

def _median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else 0.5 * (values[n // 2 - 1] + values[n // 2])


def per_iteration(runners: dict, rounds: int, steps: int, warmup: int = 2) -> dict:
    """Seconds per call of each runner: interleaved rounds of ``steps`` calls, median round."""
    for fn in runners.values():
        for _ in range(warmup):
            fn()
    times = {k: [] for k in runners}
    for _ in range(rounds):
        for name, fn in runners.items():
            t = time.perf_counter()
            for _ in range(steps):
                fn()
            times[name].append((time.perf_counter() - t) / steps)
    return {k: _median(v) for k, v in times.items()}


class LbfgsStepper:
    """Drives the engine's L-BFGS generator one iteration per call (for per-iteration timing)."""

    def __init__(self, model, x0, cap: int = 10_000):
        from .optimizers import run_lbfgs

        self._gen = run_lbfgs(model, x0, cap)
        self.iterations = 0
        self.evaluations = 0

    def __call__(self):
        _, out, _, n_eval = next(self._gen)
        self.iterations += 1
        self.evaluations += n_eval
        return out

    def close(self):
        self._gen.close()


def conv_floor(features, layers, x0):
    """A callable timing the floor of one iteration: the conv layers through the deepest of
    ``layers``, forward and input gradient, with ReLU and pooling but no loss (the gradient
    of a fixed random projection of each layer). No style transfer step can do less with
    exact float32 convolutions."""
    import tensorflow as tf

    layers = list(dict.fromkeys(layers))
    x = tf.constant(x0)
    shapes = {k: v.shape for k, v in features(x, layers).items()}
    rng = tf.random.Generator.from_seed(0)
    probes = {k: rng.normal(s) for k, s in shapes.items()}

    @tf.function(autograph=False)
    def floor(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            acts = features(x, layers)
            loss = tf.add_n([tf.reduce_sum(acts[k] * probes[k]) for k in layers])
        return tape.gradient(loss, x)

    return lambda: floor(x).numpy()


# --- cheaper arithmetic? ------------------------------------------------------

# Winograd F(2x2, 3x3) (Lavin & Gray 2016): 16 multiplies per 2x2 outputs instead of 36.
_WINO_BT = ((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1))
_WINO_G = ((1, 0, 0), (.5, .5, .5), (.5, -.5, .5), (0, 0, 1))
_WINO_AT = ((1, 1, 1, 0), (0, 1, -1, -1))


def _combine(coefs, terms):
    out = None
    for c, t in zip(coefs, terms):
        if c:
            t = t if c == 1 else -t if c == -1 else t * float(c)
            out = t if out is None else out + t
    return out


def winograd_conv(x, u):
    """3x3 'SAME' convolution of x (1, H, W, C) by Winograd F(2x2, 3x3); u = winograd_kernel(w)."""
    import tensorflow as tf

    h, w, c = x.shape[1], x.shape[2], x.shape[3]
    th, tw = -(-h // 2), -(-w // 2)
    xp = tf.pad(x[0], [[1, 2 * th + 1 - h], [1, 2 * tw + 1 - w], [0, 0]])
    rows = [tf.strided_slice(xp, [i, 0, 0], [i + 2 * th - 1, 2 * tw + 2, c], [2, 1, 1]) for i in range(4)]
    v = []
    for r in (_combine(b, rows) for b in _WINO_BT):
        cols = [tf.strided_slice(r, [0, j, 0], [th, j + 2 * tw - 1, c], [1, 2, 1]) for j in range(4)]
        v += [_combine(b, cols) for b in _WINO_BT]
    m = tf.matmul(tf.reshape(tf.stack(v), (16, th * tw, c)), u)  # the 16 products, as matmuls
    m = [[m[4 * i + j] for j in range(4)] for i in range(4)]
    t = [[_combine(a, [m[i][j] for i in range(4)]) for j in range(4)] for a in _WINO_AT]
    y = tf.stack([_combine(a, t[r]) for r in range(2) for a in _WINO_AT])
    y = tf.transpose(tf.reshape(y, (2, 2, th, tw, -1)), (2, 0, 3, 1, 4))
    return tf.reshape(y, (1, 2 * th, 2 * tw, -1))[:, :h, :w]


def winograd_kernel(w):
    import numpy as np

    g = np.asarray(_WINO_G)
    u = np.einsum("ai,ijck,bj->abck", g, np.asarray(w, np.float64), g)
    return u.reshape(16, *w.shape[2:]).astype(np.float32)


def arithmetic(features, layers, height, width, log, repeats=5):
    """Each conv layer the loss needs, forward + input gradient, with cheaper arithmetic:
    float32 (what the engine runs), bfloat16 and float16 (oneDNN; this CPU has AVX512-BF16
    and AVX512-FP16 but no AMX), and Winograd F(2x2,3x3) in float32 compiled by XLA
    (2.25x fewer multiplies; the tile transforms cost memory traffic)."""
    import numpy as np
    import tensorflow as tf

    from .weights import LAYERS

    deepest = deepest_layer(layers)
    rng = np.random.default_rng(0)
    log(f"  {'layer':<14} {'input':>13}   {'float32':>16} {'bfloat16':>16} {'float16':>16} "
        f"{'Winograd+XLA':>16}   (ms, GFLOP/s; max error of Winograd)")
    totals = {}
    for name in LAYERS[1: LAYERS.index(deepest) + 1]:  # block1_conv1 (3 channels in) is cheap
        h, w, k = features.layer_shape(name, height, width)
        kernel = features.weights.kernels[name][0]
        c = kernel.shape[2]
        x = tf.constant(rng.standard_normal((1, h, w, c)).astype(np.float32))
        wk = tf.constant(kernel)
        u = tf.constant(winograd_kernel(kernel))
        variants = {
            "float32": (lambda x: tf.nn.conv2d(x, wk, 1, "SAME"), False),
            "bfloat16": (lambda x: tf.cast(tf.nn.conv2d(tf.cast(x, tf.bfloat16), tf.cast(wk, tf.bfloat16), 1,
                                                        "SAME"), tf.float32), False),
            "float16": (lambda x: tf.cast(tf.nn.conv2d(tf.cast(x, tf.float16), tf.cast(wk, tf.float16), 1,
                                                       "SAME"), tf.float32), False),
            "winograd": (lambda x: winograd_conv(x, u), True),
        }
        flops = 2 * 2.0 * h * w * 9 * c * k
        cells = []
        for label, (conv, xla) in variants.items():
            def pass_(x, conv=conv):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    y = tf.nn.relu(conv(x))
                    loss = tf.reduce_sum(y * y)
                return tape.gradient(loss, x)

            fn = tf.function(pass_, jit_compile=xla, autograph=False)
            fn(x)
            runs = []
            for _ in range(repeats):
                t = time.perf_counter()
                fn(x).numpy()
                runs.append(time.perf_counter() - t)
            best = _median(runs)
            totals[label] = totals.get(label, 0.0) + best
            cells.append(f"{best * 1e3:6.1f} {flops / best / 1e9:5.0f}")
        ref = tf.nn.conv2d(x, wk, 1, "SAME")
        err = float(tf.reduce_max(tf.abs(tf.function(winograd_conv, jit_compile=True)(x, u) - ref))
                    / tf.reduce_max(tf.abs(ref)))
        log(f"  {name:<14} {f'{w}x{h}x{c}':>13}   " + " ".join(f"{cell:>16}" for cell in cells) + f"   {err:.0e}")
    log(f"  {'sum':<14} {'':>13}   " + " ".join(f"{totals[k] * 1e3:10.1f}      " for k in totals))
    return totals


def _fmt_mb(mb: float) -> str:
    return f"{mb:7.0f}"


def bench_size(features, config, content, style, size, rounds, steps, log):
    """Per-iteration figures at one size: plain loop, engine Adam step, engine L-BFGS iteration."""
    import numpy as np
    import tensorflow as tf

    from .objective import LossModel
    from .optimize import prepare_inputs

    content_s, styles_s = prepare_inputs(content, [style], config, size)
    h, w = content_s.shape[:2]
    needed = list(config.content_layers) + list(config.style_layers)
    flops_engine = conv_pass_flops(features, deepest_layer(needed), h, w)
    # The plain loop's model has outputs through block5_conv1, but TensorFlow prunes what the
    # loss does not use from the compiled step (timed: its step takes the same time with a model
    # that stops at the deepest loss layer), so both do the same convolutions.
    flops_plain = flops_engine
    rows = []
    with PeakRSS() as mem_plain:
        plain = PlainLoop(features, config, content_s, styles_s[0]).start()
        plain_step = lambda: plain.step().numpy()
        plain_step()
    with PeakRSS() as mem_adam:
        model = LossModel(features, config, content_s, styles_s, [1.0])
        x0 = features.preprocess(content_s)
        xv, m, v = tf.Variable(x0), tf.Variable(tf.zeros_like(x0)), tf.Variable(tf.zeros_like(x0))
        counter = [0]

        def adam_step():
            counter[0] += 1
            return float(model.adam_step(xv, m, v, tf.constant(float(counter[0])))["total"])

        adam_step()
    with PeakRSS() as mem_lbfgs:
        lbfgs = LbfgsStepper(model, x0)
        lbfgs()
    floor = conv_floor(features, needed, x0)
    # The timed rounds: plain loop and Adam step interleaved. (Memory: the peak over each
    # runner's own calls is what it was at its first call, as every step has the same buffers.)
    # L-BFGS runs in its worker thread, which computes the next iteration while the caller
    # waits; so it is timed on its own, from one event to the next, right after.
    with PeakRSS() as mem_all:
        times = per_iteration({"plain": plain_step, "adam": adam_step, "floor": floor}, rounds, steps, warmup=1)
        lbfgs()
        ev0, it0 = lbfgs.evaluations, lbfgs.iterations
        t = time.perf_counter()
        for _ in range(max(2, rounds * steps)):
            lbfgs()
        times["lbfgs"] = (time.perf_counter() - t) / (lbfgs.iterations - it0)
    evals_per_it = (lbfgs.evaluations - ev0) / max(1, lbfgs.iterations - it0)
    lbfgs.close()
    rows.append(("plain loop (keras-io Adam)", times["plain"], flops_plain, max(mem_plain.mb, 0), 1.0))
    rows.append(("engine Adam step", times["adam"], flops_engine, mem_adam.mb, 1.0))
    rows.append((f"engine L-BFGS iteration ({evals_per_it:.2f} evals)", times["lbfgs"], flops_engine,
                 mem_lbfgs.mb, evals_per_it))
    rows.append(("floor: the convolutions alone", times["floor"], flops_engine, 0.0, 1.0))
    for name, t, fl, mb, ev in rows:
        log(f"  {name:<38} {w:>4}x{h:<4} {t:8.3f} {fl * ev / t / 1e9:8.1f} {_fmt_mb(mb) if mb else '      -'}")
    log(f"  -> engine Adam step {faster(times['plain'] / times['adam'])} per iteration than the plain loop; "
        f"per evaluation of loss and gradient, L-BFGS {times['plain'] / (times['lbfgs'] / evals_per_it):.2f}x")
    log(f"     floor: forward + input gradient of the conv layers the loss needs (ReLU and pooling included, "
        f"no loss) takes {times['floor']:.3f} s, {faster(times['plain'] / times['floor'])} than the plain "
        f"loop; a 1.4x step would have to take {times['plain'] / 1.4:.3f} s")
    log(f"     (peak RSS of the whole process while all three ran: {mem_all.mb:.0f} MB)")
    del plain, model
    return times, (h, w)


def time_to_target(features, config, content, style, size, iterations, engine_configs, log, check_loss=True):
    """Wall time for the plain loop's ``iterations`` Adam steps, and for each engine config to beat its loss."""
    from .objective import LossModel
    from .optimize import prepare_inputs, stylize

    content_s, styles_s = prepare_inputs(content, [style], config, size)
    plain = PlainLoop(features, config, content_s, styles_s[0])
    start = time.perf_counter()
    plain.start()
    trace = []
    for i in range(1, iterations + 1):
        trace.append((float(plain.step()), time.perf_counter() - start))
    target = float(plain.loss(plain.x))
    plain_time = time.perf_counter() - start
    # the plain loop's Adam is not monotone; it counts from the first time it was as low
    first = next((t for loss, t in trace if loss <= target), plain_time)
    log(f"  target loss = plain loop's loss after {iterations} Adam iterations: {target:.6g}")
    if check_loss:
        model = LossModel(features, config, content_s, styles_s, [1.0])
        engine_loss = float(model.terms(plain.x)["total"])
        log(f"  (the engine's loss of that same image: {engine_loss:.6g}; relative difference "
            f"{abs(engine_loss - target) / target:.1e})")
    log(f"  {'plain loop (keras-io Adam)':<44} {iterations:5d} its {iterations:5d} evals {plain_time:8.1f} s"
        f"   1.0x   (first at or below target: {first:.1f} s)")
    results = {"plain": plain_time}
    for label, cfg in engine_configs:
        t0 = time.perf_counter()
        reached = None
        last = None
        full = None
        for event in stylize(content, [style], cfg, features, image_every=0):
            last = event
            if full is None and event.shape == tuple(content_s.shape[:2]):
                full = event.iteration
            final_scale = event.shape == tuple(content_s.shape[:2])
            if final_scale and event.losses and event.losses.get("total", float("inf")) <= target:
                reached = event
                break
        elapsed = time.perf_counter() - t0
        if reached is not None:
            results[label] = elapsed
            log(f"  {label:<44} {reached.iteration:5d} its {reached.evaluations:5d} evals {elapsed:8.1f} s"
                f" {plain_time / elapsed:6.1f}x")
        else:
            loss = last.losses.get("total", float("nan")) if last and last.losses else float("nan")
            log(f"  {label:<44} not reached in {cfg.iterations} its ({elapsed:.1f} s; loss {loss:.6g})")
    return target, results


def studio_run(features, config, content, style, image_every, log, label):
    from .optimize import stylize

    t0 = time.perf_counter()
    first = None
    last = None
    with PeakRSS() as mem:
        for event in stylize(content, [style], config, features, image_every=image_every):
            if first is None and event.image is not None:
                first = time.perf_counter() - t0
            last = event
    total = time.perf_counter() - t0
    log(f"  {label:<30} first image {first:6.1f} s   finished {total:6.1f} s   "
        f"({last.iteration} its, {last.evaluations} evals, {last.shape[1]}x{last.shape[0]}, "
        f"peak RSS {mem.mb:.0f} MB, status {last.status})")
    return first, total, last


# --- the studio in a browser -------------------------------------------------

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StudioServer:
    """`streamlit run app.py` on a free port with its own data folder, for the browser part."""

    def __init__(self, data_dir: Path, log_path: Path):
        self.data_dir, self.log_path = Path(data_dir), Path(log_path)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def __enter__(self):
        import subprocess
        import urllib.request

        env = dict(os.environ, NST_DATA_DIR=str(self.data_dir), TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"streamlit did not start; see {self.log_path}")
            time.sleep(0.5)

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except Exception:
                self.proc.kill()
        self._log.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _browser_busy(cdp) -> float:
    """Seconds the page's main thread has been busy (Chromium's Performance.getMetrics TaskDuration)."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return float(metrics.get("TaskDuration", 0.0))


def studio_in_browser(page, url: str, query: str, data_dir: Path, timeout_s: float, server_pid: int = 0,
                      cdp=None) -> dict:
    """One studio run in Chromium: open the link, press Run, wait for 'Finished'. Times from the click.

    Returns {'first': s to the first live image, 'wall': s from the click to the result shown,
    'engine': the run's own clock (params.json seconds), 'config': its config, 'folder': its gen_N}.
    """
    import json
    import re

    from playwright.sync_api import expect

    page.goto(f"{url}/studio{query}")
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout_s * 1000)
    expect(page.get_by_text("Network loaded")).to_be_visible(timeout=timeout_s * 1000)
    before = {p.name for p in data_dir.glob("gen_*")}
    cpu0, busy0 = _cpu_seconds(server_pid), _browser_busy(cdp) if cdp else 0.0
    t0 = time.perf_counter()
    page.get_by_role("button", name="Run").click()
    first = None
    live = page.get_by_test_id("stImageCaption").filter(has_text="g after")
    finished = page.get_by_text(re.compile(r"Finished \d+ iterations?"))
    expect(live.or_(finished).first).to_be_visible(timeout=timeout_s * 1000)
    if live.count():  # else a run so short that its result replaced the live image first
        first = time.perf_counter() - t0
    expect(finished).to_be_visible(timeout=timeout_s * 1000)
    wall = time.perf_counter() - t0
    server_cpu, browser = _cpu_seconds(server_pid) - cpu0, (_browser_busy(cdp) - busy0) if cdp else 0.0
    new = sorted((p for p in data_dir.glob("gen_*") if p.name not in before), key=lambda p: int(p.name[4:]))
    params = json.loads((new[-1] / "params.json").read_text())
    return {"first": first, "wall": wall, "engine": float(params["seconds"]), "config": params["config"],
            "folder": new[-1].name, "server_cpu": server_cpu, "browser_busy": browser}


def engine_alone(features, config, content, style, image_every: int) -> dict:
    """The same run through the engine alone (what the CLI does): seconds to the first iteration and to the end."""
    from .optimize import stylize

    t0, cpu0 = time.perf_counter(), time.process_time()
    first = last = None
    for event in stylize(content, [style], config, features, image_every=image_every):
        if first is None:
            first = time.perf_counter() - t0
        last = event
    return {"first": first, "wall": time.perf_counter() - t0, "status": last.status,
            "cpu": time.process_time() - cpu0}


def plain_budget(features, config, content, style, size: int, iterations: int = 80, steps: int = 3) -> float:
    """Seconds the plain loop takes for ``iterations`` Adam steps at ``size`` (median step x iterations):
    the time a default run must finish within (issue 9's budget)."""
    from .optimize import prepare_inputs

    content_s, styles_s = prepare_inputs(content, [style], config, size)
    plain = PlainLoop(features, config, content_s, styles_s[0]).start()
    plain.step().numpy()  # compile
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        plain.step().numpy()
        times.append(time.perf_counter() - t)
    return _median(times) * iterations


def studio_browser(features, content_path: str, style_path: str, sizes, rounds: int, image_every: int, log,
                   timeout_s: float = 1800.0, link: str = "", plain_config=None) -> list[dict]:
    """The studio's overhead over the engine: the studio's default run at each size in headless Chromium,
    and the same run (same config, read back from its params.json) through the engine alone, interleaved.

    The studio's clock is its run's own (params.json seconds: from the start of the optimisation to its
    last image, while the page draws it live) and the wall time from the Run click to the result shown.
    Both are warmed first (one short run at each size compiles the loss for its shapes).
    """
    import signal
    import tempfile

    from playwright.sync_api import sync_playwright

    # a SIGTERM (a CI timeout, kill) unwinds the with-blocks below: no streamlit server is left behind
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from . import images as imgs
    from .config import StyleConfig

    chromium = os.environ.get("NST_CHROMIUM", "/usr/bin/chromium")
    content, style = imgs.load_image(content_path), imgs.load_image(style_path)
    slug = lambda path, kind: Path(path).stem[len(kind) + 1:]
    picks = f"content={slug(content_path, 'content')}&style={slug(style_path, 'style')}" + \
        (f"&{link.lstrip('?&')}" if link else "")
    results = []
    with tempfile.TemporaryDirectory(prefix="nst_bench_studio_") as tmp, \
            StudioServer(Path(tmp) / "data", Path(tmp) / "streamlit.log") as server, sync_playwright() as pw:
        data_dir = Path(tmp) / "data"
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        pid = server.proc.pid
        for size in sizes:
            query = f"?{picks}&size={size}"
            warm = studio_in_browser(page, server.url, query + "&iters=8", data_dir, timeout_s, pid, cdp)
            engine_alone(features, StyleConfig.from_dict(warm["config"]), content, style, image_every)
            for _ in range(rounds):  # studio first: the engine then runs exactly the config it recorded
                studio = studio_in_browser(page, server.url, query, data_dir, timeout_s, pid, cdp)
                page.goto("about:blank")  # the finished page (its looping timelapse) must not run beside the engine
                config = StyleConfig.from_dict(studio["config"])
                engine = engine_alone(features, config, content, style, image_every)
                results.append({"size": size, "engine": engine, "studio": studio, "config": config})
                first = studio["first"] if studio["first"] is not None else float("nan")
                log(f"  {size:>4} px  {config.preset}, {config.optimizer}, {config.iterations} its, "
                    f"{config.scales} scales   engine alone {engine['wall']:6.1f} s   studio: run "
                    f"{studio['engine']:6.1f} s, click to result {studio['wall']:6.1f} s, first image "
                    f"{first:4.1f} s   ratio {studio['engine'] / engine['wall']:.2f} (run), "
                    f"{studio['wall'] / engine['wall']:.2f} (click to result)")
                log(f"        CPU: engine alone {engine['cpu']:6.1f} s; studio's server {studio['server_cpu']:6.1f} s "
                    f"+ the page's main thread {studio['browser_busy']:5.1f} s busy = "
                    f"{(studio['server_cpu'] + studio['browser_busy']) / engine['cpu']:.2f}x the engine's CPU "
                    f"(less sensitive than wall time to what else runs on the machine)")
            if plain_config is not None:
                budget = plain_budget(features, plain_config, content, style, size)
                log(f"        budget at {size} px: the plain loop's 80 Adam iterations take {budget:6.1f} s; the studio "
                    f"run ({studio['wall']:.1f} s click to result) is {studio['wall'] / budget:.2f}x that; "
                    f"first image {first:.1f} s")
        browser.close()
    return results


def art_time(features, content, style, size: int, plain_iterations: int, log, rounds: int = 1) -> dict:
    """The default preset's whole artwork at ``size`` against ``plain_iterations`` of the plain loop (Adam,
    the article's layers), both from the call that starts them (targets and compiling included), interleaved."""
    from . import images as imgs
    from .config import DEFAULT_PRESET, preset
    from .optimize import prepare_inputs, scale_plan, stylize

    art = preset(DEFAULT_PRESET, size=size)
    plain_cfg = preset("article", size=size, optimizer="adam", scales=1)
    content_s, styles_s = prepare_inputs(content, [style], plain_cfg, size)
    plan = scale_plan(art)
    log(f"default preset '{DEFAULT_PRESET}' at {size} px: {art.iterations} {art.optimizer} iterations over "
        + ", ".join(f"{s.size} px x {s.iterations}" for s in plan))
    plain_times, art_times = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        loop = PlainLoop(features, plain_cfg, content_s, styles_s[0]).start()
        for _ in range(plain_iterations):
            loop.step()
        float(loop.loss(loop.x))
        plain_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        for event in stylize(content, style, art, features, image_every=0):
            pass
        art_times.append(time.perf_counter() - t)
        assert event.status == "finished" and event.image.shape[:2] == imgs.resize_to(content, size).shape[:2]
    plain_s, art_s = _median(plain_times), _median(art_times)
    log(f"  plain loop, {plain_iterations} Adam iterations: {plain_s:6.1f} s")
    log(f"  default preset, whole artwork:       {art_s:6.1f} s   ratio {art_s / plain_s:.2f} "
        f"({'within' if art_s <= plain_s else 'over'} the budget)")
    return {"plain": plain_s, "art": art_s}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"


def faster(ratio: float) -> str:
    """'1.22x faster', or '1.09x slower' where the ratio is below 1 (never '0.92x faster')."""
    return f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m nst.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a small run (< 2 minutes) for the tests")
    p.add_argument("--sizes", default=None, help="longest sides for the per-iteration figures (default 256,512)")
    p.add_argument("--big", type=int, default=None, help="one more size that must complete; memory (default 1024, 0 = skip)")
    p.add_argument("--rounds", type=int, default=None, help="interleaved timing rounds per size (default 5)")
    p.add_argument("--steps", type=int, default=None, help="iterations per timing round (default 2)")
    p.add_argument("--target-size", type=int, default=None, help="size of the time-to-target race (default 256)")
    p.add_argument("--target-iterations", type=int, default=None,
                   help="Adam iterations of the plain loop that set the target loss (default 500)")
    p.add_argument("--studio-sizes", default=None, help="sizes of the studio's default run (default 256,512; 0 = skip)")
    p.add_argument("--browser-sizes", default=None,
                   help="sizes of the studio-browser part (default 256,512)")
    p.add_argument("--browser-link", default="",
                   help="more link settings for the studio-browser part, e.g. 'preset=article' (default: none)")
    p.add_argument("--browser-rounds", type=int, default=1,
                   help="studio and engine runs per size in the studio-browser part, interleaved (default 1)")
    p.add_argument("--image-every", type=int, default=10, help="the studio's image interval (default 10)")
    p.add_argument("--preset", default="article", help="layers and weights of the race (default: article)")
    p.add_argument("--only", default=None,
                   help="comma-separated parts to run: per-iteration, arithmetic, big, time-to-target, studio, art-time "
                        "(default: all of these), and studio-browser (only when named: the studio's default run "
                        "in headless Chromium against the engine alone; needs Chromium and Playwright)")
    p.add_argument("--content", default=str(ASSETS / "content_chelsea.jpg"))
    p.add_argument("--style", default=str(ASSETS / "style_swirls.png"))
    p.add_argument("--weights", default="hed")
    args = p.parse_args(argv)
    q = args.quick
    sizes = [int(s) for s in (args.sizes or ("96" if q else "256,512")).split(",") if int(s)]
    big = args.big if args.big is not None else (128 if q else 1024)
    rounds = args.rounds or (2 if q else 5)
    steps = args.steps or (1 if q else 2)
    target_size = args.target_size or (96 if q else 256)
    target_iters = args.target_iterations or (40 if q else 500)
    studio_sizes = [int(s) for s in (args.studio_sizes or ("96" if q else "256,512")).split(",") if int(s)]
    parts = {"per-iteration", "arithmetic", "big", "time-to-target", "studio", "art-time"}
    only = set(parts if not args.only else (s.strip() for s in args.only.split(",") if s.strip()))
    if only - parts - {"studio-browser"}:
        p.error(f"--only: unknown part(s) {', '.join(sorted(only - parts - {'studio-browser'}))}; "
                f"choose from {', '.join(sorted(parts | {'studio-browser'}))}")
    browser_sizes = [int(s) for s in (args.browser_sizes or ("96" if q else "256,512")).split(",") if int(s)]
    if "per-iteration" not in only:
        sizes = []
    if "big" not in only:
        big = 0
    if "studio" not in only:
        studio_sizes = []

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .optimize import configure_threads

    threads = configure_threads()
    import numpy as np  # noqa: F401
    import tensorflow as tf

    # the benchmark traces on purpose (sizes, parts): TensorFlow's "triggered tf.function retracing" is noise here
    tf.get_logger().addFilter(lambda record: "retracing" not in record.getMessage())

    from . import images as imgs
    from .config import StyleConfig, preset
    from .optimize import get_features

    log = lambda s="": print(s, flush=True)
    t_start = time.perf_counter()
    log(f"nst.bench{' --quick' if q else ''}: {os.cpu_count()} CPU cores ({_cpu_model()}), "
        f"TensorFlow {tf.__version__}, threads intra_op={threads[0]} inter_op={threads[1]}, "
        f"oneDNN {'off' if os.environ.get('TF_ENABLE_ONEDNN_OPTS') == '0' else 'on'}")
    features = get_features(args.weights, "avg")
    content = imgs.load_image(args.content)
    style = imgs.load_image(args.style)
    config = preset(args.preset, xla=False)
    log(f"images {Path(args.content).name} + {Path(args.style).name}; weights {args.weights}; preset "
        f"{config.preset}: content {','.join(config.content_layers)}, style {','.join(config.style_layers)}, "
        f"alpha {config.alpha:g}, beta {config.beta:g}, Adam lr {config.learning_rate:g}")
    mm0 = matmul_gflops()
    log(f"machine float32 matmul (2048^2, best of 6): {mm0:.1f} GFLOP/s")
    log("")
    if sizes or big:
        log("per iteration (median of interleaved rounds)    size     s/it  GFLOP/s  peakRSS MB")
    per_size = {}
    for size in sizes:
        per_size[size] = bench_size(features, config, content, style, size, rounds, steps, log)
    if big:
        log(f"big run at {big} px (must complete):")
        bench_size(features, config, content, style, big, 1, 1, log)
    if "arithmetic" in only:
        from .optimize import prepare_inputs

        for size in sizes or [target_size]:
            ch, cw = prepare_inputs(content, [style], config, size)[0].shape[:2]
            log(f"cheaper arithmetic? each conv layer of the loss at {cw}x{ch}, forward + input gradient "
                f"(median of 5)")
            arithmetic(features, list(config.content_layers) + list(config.style_layers), ch, cw, log,
                       repeats=3 if q else 5)
    race = config.replace(size=target_size)
    engine_configs = [
        ("engine L-BFGS, 1 scale", race.replace(optimizer="lbfgs", scales=1, iterations=target_iters)),
        ("engine L-BFGS, 2 scales (coarse 1/2 size)", race.replace(
            optimizer="lbfgs", scales=2, iterations=2 * max(10, target_iters // 5))),
        ("engine Adam, 1 scale", race.replace(optimizer="adam", scales=1, iterations=target_iters)),
    ]
    if "time-to-target" in only:
        log("")
        log(f"time to target loss at {target_size} px (from Run, net loaded; engine stops at the target)")
        time_to_target(features, config, content, style, target_size, target_iters, engine_configs, log)
    default = StyleConfig()
    if studio_sizes:
        log("")
        log(f"studio default run (StyleConfig(): preset {default.preset}, {default.optimizer}, {default.iterations} its, "
            f"beta {default.beta:g}, scales {default.scales}, xla {default.xla}; image every {args.image_every} its)")
    for size in studio_sizes:
        its = default.iterations if not q else 20
        studio_run(features, default.replace(size=size, iterations=its), content, style, args.image_every, log,
                   f"at {size} px")
    if "art-time" in only:
        log("")
        art_size = 96 if q else 512
        log(f"time budget of an artwork at {art_size} px: the default preset against the plain loop's "
            f"{20 if q else 80} Adam iterations")
        art_time(features, content, style, art_size, 20 if q else 80, log)
    if "studio-browser" in only:
        log("")
        log("the studio's default run in headless Chromium against the same run through the engine alone "
            "(same process for the engine, a streamlit server for the studio; both warmed)")
        studio_browser(features, args.content, args.style, browser_sizes, args.browser_rounds, args.image_every, log,
                       link=args.browser_link, plain_config=config)
    mm1 = matmul_gflops()
    log("")
    log(f"machine float32 matmul at the end: {mm1:.1f} GFLOP/s (start {mm0:.1f}); bench took "
        f"{time.perf_counter() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
