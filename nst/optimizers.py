"""The optimisers of g: Adam (the article's) and L-BFGS-B, each a generator of iterations.

Both yield ``(iteration, losses, image after the step, evaluations)`` and stop when closed.

* Adam is written out in TF ops inside the compiled step (:mod:`nst.objective`).
* L-BFGS-B from SciPy over the compiled value-and-gradient, with the pixel bounds as box
  constraints, driven step by step from the generator through SciPy's reverse-communication
  ``setulb`` (BLAS held at one thread meanwhile); ``scipy.optimize.minimize`` in a worker
  thread where ``setulb`` is missing.
"""
from __future__ import annotations

import queue
import threading

import numpy as np
import tensorflow as tf

from .objective import LossModel


def floats(out: dict) -> dict[str, float]:
    return {k: float(v) for k, v in out.items()}



def run_adam(model: LossModel, x0: tf.Tensor, iterations: int):
    """Yields (iteration, losses, image after the step, evaluations)."""
    x = tf.Variable(x0, dtype=tf.float32)
    m = tf.Variable(tf.zeros_like(x0))
    v = tf.Variable(tf.zeros_like(x0))
    for i in range(1, iterations + 1):
        out = floats(model.adam_step(x, m, v, tf.constant(float(i))))
        # The losses are those of the image before this step; report them with that image's successor
        # only at the last step, where the final losses are evaluated again.
        if i == iterations:
            out = floats(model.terms(x))
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


def scipy_setulb():
    """SciPy's reverse-communication L-BFGS-B step (SciPy >= 1.15's C version), or None.

    Private, and kept on purpose: driving it here instead of the public ``scipy.optimize.minimize``
    (in a worker thread, :func:`_run_lbfgs_minimize`) makes a run 1.20x faster, measured with the
    default preset at 256 px, 60 iterations, three interleaved runs each (22.1 s against 26.5 s,
    the same 66 evaluations and final loss): ``minimize`` classifies every variable's bounds in
    Python and hands each iterate across threads. Where the function is missing or its signature
    differs, the public path runs (and is tested).
    """
    try:
        from scipy.optimize import _lbfgsb
    except ImportError:
        return None
    fn = getattr(_lbfgsb, "setulb", None)
    doc = getattr(fn, "__doc__", "") or ""
    return fn if doc.startswith("setulb(m,x,l,u,nbd,f,g,factr,pgtol,wa,iwa,task,lsave,isave,dsave,maxls,ln_task)") \
        else None


_LBFGS_MEMORY = 20  # maxcor: correction pairs kept


def _unit(n: int) -> float:
    """The pixel step that L-BFGS-B's variables count in: sqrt(n) for n pixel values.

    L-BFGS-B's first step moves its variables by a vector of length 1 (1/|gradient| along the
    gradient). In pixels (0..255) at 512 px that is 1/723 of a grey level per pixel: a change
    of the loss below float32's resolution, which L-BFGS-B reads as convergence or a failed
    line search (measured at 512 px: a scale stopped after 1 of its 28 iterations, or took
    none at all). Counting the variables in units of sqrt(n) pixels makes that first step
    about one grey level per pixel at any size; later steps are the same either way.
    """
    return float(np.sqrt(n))


def run_lbfgs(model: LossModel, x0: tf.Tensor, iterations: int):
    """L-BFGS-B with the pixel bounds as box constraints; yields (iteration, losses, image, evaluations).

    Drives SciPy's reverse-communication ``setulb`` directly, in this generator: no worker
    thread, no queue, and none of ``scipy.optimize.minimize``'s per-call set-up (a Python loop
    over every variable to classify the bounds: 0.36 s at 256 px, 1.5 s at 512). Falls back to
    ``minimize`` in a worker thread where that private function is not there.
    """
    setulb = scipy_setulb()
    if setulb is None:
        yield from _run_lbfgs_minimize(model, x0, iterations)
        return
    shape = tuple(x0.shape)
    n = int(np.prod(shape))
    unit = _unit(n)
    low = np.ascontiguousarray(np.broadcast_to(model.bounds[0].numpy(), shape).ravel() / unit, np.float64)
    high = np.ascontiguousarray(np.broadcast_to(model.bounds[1].numpy(), shape).ravel() / unit, np.float64)
    m = _LBFGS_MEMORY
    x = np.clip(np.asarray(x0, np.float64).ravel() / unit, low, high)  # L-BFGS-B's variables: pixels / unit
    nbd = np.full(n, 2, np.int32)  # 2: bounded below and above
    f = np.array(0.0, np.float64)
    gradient = np.zeros(n, np.float64)  # (g is the generated image elsewhere; here dL/dx)
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
    restarts = 0  # fresh starts since the last new iterate
    with _SingleThreadedBLAS():
        while i < iterations:
            setulb(m, x, low, high, nbd, f, gradient, 0.0, 0.0, wa, iwa, task, lsave, isave, dsave, 20, ln_task)
            if task[0] == 3:  # wants the loss and its gradient at x
                if evals >= max_evals:
                    break
                result, grad = model.value_and_grad((x * unit).astype(np.float32).reshape(shape))
                out = floats(result)
                evals += 1
                evals_since += 1
                if not np.isfinite(out["total"]):
                    yield i + 1, {"total": float("nan")}, None, evals_since
                    return
                f = np.array(out["total"], np.float64)
                gradient = grad.numpy().astype(np.float64).ravel() * unit
            elif task[0] == 1:  # a new iterate
                i += 1
                restarts = 0
                yield i, out, (x * unit).reshape(shape).astype(np.float32), evals_since
                evals_since = 0
            elif restarts == 0 and evals < max_evals:
                # "Converged" or a failed line search with iterations left (float32 rounding): start
                # afresh from the last iterate once; a second stop without a new iterate ends the scale.
                restarts += 1
                for state in (wa, iwa, task, ln_task, lsave, isave, dsave):
                    state[...] = 0
            else:  # converged again, or the line search could not go on
                break


def _run_lbfgs_minimize(model: LossModel, x0: tf.Tensor, iterations: int):
    """SciPy's L-BFGS-B in a worker thread; yields (iteration, losses, image, evaluations)."""
    from scipy.optimize import Bounds, minimize

    shape = tuple(x0.shape)
    unit = _unit(int(np.prod(shape)))
    low = np.broadcast_to(model.bounds[0].numpy(), shape).ravel().astype(np.float64) / unit
    high = np.broadcast_to(model.bounds[1].numpy(), shape).ravel().astype(np.float64) / unit
    events: queue.Queue = queue.Queue(maxsize=1)
    halt = threading.Event()
    last = {"out": None, "evals": 0}

    def fun(flat):
        x = tf.constant((flat * unit).reshape(shape), tf.float32)
        out, grad = model.value_and_grad(x)
        last["out"] = out
        last["evals"] += 1
        value = float(out["total"])
        if not np.isfinite(value):
            raise FloatingPointError
        return value, grad.numpy().ravel().astype(np.float64) * unit

    def callback(intermediate_result):
        item = (floats(last["out"]), (intermediate_result.x * unit).reshape(shape).astype(np.float32), last["evals"])
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
                minimize(fun, np.asarray(x0, np.float64).ravel() / unit, jac=True, method="L-BFGS-B",
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

