"""Images in and out: load and validate, resize, colour handling, safe writes.

Every problem with an input image becomes an :class:`ImageError` whose message
is one sentence a user can act on; nothing else escapes :func:`load_image`.
Arrays are (H, W, 3) uint8 RGB unless said otherwise.
"""
from __future__ import annotations

import io
import os
import stat
import warnings
from pathlib import Path
from typing import BinaryIO, Sequence

import numpy as np
from PIL import Image, ImageOps

MIN_SIDE = 16           # px: a smaller picture has no texture for VGG to see
MAX_ASPECT = 12.0       # longest / shortest side
MAX_PIXELS = 40_000_000  # a larger picture is refused before it is decoded (decompression bombs)
MAX_FILE_BYTES = 50 * 1024 * 1024


class ImageError(ValueError):
    """A user's image cannot be used; ``str(error)`` is one clear sentence."""


def _describe(name: str | None) -> str:
    return f"'{name}'" if name else "The image"


def load_image(source: str | os.PathLike | bytes | BinaryIO | Image.Image, name: str | None = None) -> np.ndarray:
    """Read any image a user may have and return it as (H, W, 3) uint8 RGB.

    Handles grayscale, RGBA/LA (composited on white), palette, CMYK, 16-bit and
    float modes, EXIF orientation, and the first frame of animations. Refuses,
    with one sentence, empty/corrupt/truncated/non-image data, decompression
    bombs, pictures under ``MIN_SIDE`` px or with an aspect ratio over ``MAX_ASPECT``.
    """
    if isinstance(source, (str, os.PathLike)):
        name = name or Path(source).name
        data = read_file_bytes(source, name)
    elif isinstance(source, Image.Image):
        return _to_rgb(source, name)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        data = source.read()
    if not data:
        raise ImageError(f"{_describe(name)} is empty (0 bytes).")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"{_describe(name)} is {len(data) / 2**20:.0f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            w, h = image.size
            if w * h > MAX_PIXELS:
                raise ImageError(f"{_describe(name)} is {w}x{h} pixels, too large to process safely "
                                 f"(limit {MAX_PIXELS // 1_000_000} megapixels).")
            image.seek(0)
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{_describe(name)} is too large to decode safely (a possible decompression bomb).") from None
    except Image.UnidentifiedImageError:
        raise ImageError(f"{_describe(name)} is not an image file PIL can read (PNG, JPEG, GIF, WebP, BMP, TIFF...).") from None
    except ValueError as exc:  # (no exception class names in a message a learner reads)
        if _is_metadata_limit(exc):
            raise ImageError(f"{_describe(name)} carries a metadata (text) chunk larger than Pillow reads safely; "
                             "save the picture again without its metadata.") from None
        raise ImageError(f"{_describe(name)} is damaged or truncated and cannot be decoded.") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError, RuntimeError):
        raise ImageError(f"{_describe(name)} is damaged or truncated and cannot be decoded.") from None
    return _to_rgb(image, name)


def _is_metadata_limit(exc: BaseException) -> bool:
    """Pillow's refusal of an oversized text/ICC chunk (PngImagePlugin's MAX_TEXT_CHUNK/MAX_TEXT_MEMORY)."""
    text = str(exc)
    return "MAX_TEXT_CHUNK" in text or "MAX_TEXT_MEMORY" in text or "Decompressed Data Too Large" in text \
        or "Too much memory used in text chunks" in text


def read_file_bytes(path: str | os.PathLike, name: str | None = None, limit: int = MAX_FILE_BYTES,
                    what: str = "image") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or an :class:`ImageError` in one sentence.

    A FIFO, socket or device (``/dev/zero``, ``<(cat x)``) is refused before it is opened:
    opening a FIFO blocks until a writer comes, and a device's size says nothing about how much
    it gives. The read itself stops one byte past ``limit``, so a file that grows cannot run on.
    """
    name = name or Path(path).name
    try:
        info = os.stat(path)
    except OSError:
        raise ImageError(f"{_describe(name)} could not be found or read.") from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageError(f"{_describe(name)} is a folder, not an {what} file.")
    if not stat.S_ISREG(info.st_mode):
        kind = "a pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else \
            "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else \
            "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file"
        raise ImageError(f"{_describe(name)} is {kind}, not a regular file; save the {what} to a file first.")
    if info.st_size > limit:
        raise ImageError(f"{_describe(name)} is {info.st_size / 2**20:.0f} MB; the limit is {limit // 2**20} MB.")
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ImageError(f"{_describe(name)} could not be read" + (f" ({exc.strerror.lower()})." if exc.strerror else ".")) \
            from None
    if len(data) > limit:
        raise ImageError(f"{_describe(name)} is over {limit // 2**20} MB; the limit is {limit // 2**20} MB.")
    return data


def _to_rgb(image: Image.Image, name: str | None) -> np.ndarray:
    try:
        image = ImageOps.exif_transpose(image) or image
    except Exception:  # a broken EXIF block only loses the rotation
        pass
    w, h = image.size
    if min(w, h) < MIN_SIDE:
        raise ImageError(f"{_describe(name)} is only {w}x{h} pixels; it needs at least {MIN_SIDE} px on each side.")
    if max(w, h) / min(w, h) > MAX_ASPECT:
        raise ImageError(f"{_describe(name)} is {w}x{h} pixels, too long and thin "
                         f"(aspect ratio over {MAX_ASPECT:g}:1); crop it first.")
    try:
        mode = image.mode
        if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
            arr = np.asarray(image, dtype=np.float64)
            lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
            scale = 255.0 / (hi - lo) if hi > lo else 0.0
            arr = np.nan_to_num((arr - lo) * scale)
            image = Image.fromarray(arr.clip(0, 255).astype(np.uint8), "L")
            mode = "L"
        if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, rgba)
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    except Exception as exc:
        raise ImageError(f"{_describe(name)} uses a colour format that cannot be converted to RGB ({image.mode}).") from exc
    return np.ascontiguousarray(rgb)


def resize_to(rgb: np.ndarray, size: int) -> np.ndarray:
    """Scale so the longest side is ``size`` px, keeping the aspect ratio (Lanczos)."""
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    if new == (w, h):
        return rgb
    return np.asarray(Image.fromarray(rgb).resize(new, Image.LANCZOS))


def resize_exact(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    if rgb.shape[:2] == (height, width):
        return rgb
    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.LANCZOS))


def center_crop_to_aspect(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    """Crop the middle of ``rgb`` to the aspect ratio height:width, then resize to it."""
    h, w = rgb.shape[:2]
    target = width / height
    if w / h > target:
        new_w = max(1, round(h * target))
        x0 = (w - new_w) // 2
        rgb = rgb[:, x0:x0 + new_w]
    else:
        new_h = max(1, round(w / target))
        y0 = (h - new_h) // 2
        rgb = rgb[y0:y0 + new_h]
    return resize_exact(rgb, height, width)


# --- colour ----------------------------------------------------------------
_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114],
                        [0.596, -0.274, -0.322],
                        [0.211, -0.523, 0.312]], np.float64)
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ)


def luminance_transfer(generated: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Keep the content's colours: the luminance (Y) of ``generated`` with the I, Q of ``content``."""
    content = resize_exact(content, *generated.shape[:2])
    g = generated.astype(np.float64) @ _RGB_TO_YIQ.T
    c = content.astype(np.float64) @ _RGB_TO_YIQ.T
    yiq = np.concatenate([g[..., :1], c[..., 1:]], axis=-1)
    return np.clip(yiq @ _YIQ_TO_RGB.T, 0, 255).round().astype(np.uint8)


def _color_stats(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    flat = pixels.reshape(-1, 3).astype(np.float64)
    return flat.mean(0), np.cov(flat, rowvar=False)


def _sqrtm(m: np.ndarray, inverse: bool = False) -> np.ndarray:
    vals, vecs = np.linalg.eigh(m + 1e-3 * np.eye(3))
    vals = np.clip(vals, 1e-8, None)
    return (vecs * (vals ** (-0.5 if inverse else 0.5))) @ vecs.T


def transfer_colors(image: np.ndarray, palettes: Sequence[np.ndarray],
                    weights: Sequence[float] | None = None) -> np.ndarray:
    """Recolour ``image`` so its RGB mean and covariance equal those of ``palettes`` (Gatys et al. 2016).

    Several palette images count as one mixture, each in proportion to its weight (a style
    blend). The map is the linear one that keeps the image's shading: x -> A (x - mu) + mu'
    with A = Cov'^(1/2) Cov^(-1/2).
    """
    weights = np.asarray(weights if weights is not None else [1.0] * len(palettes), np.float64)
    weights = weights / weights.sum()
    stats = [_color_stats(p) for p in palettes]
    mu_p = sum(w * mu for w, (mu, _) in zip(weights, stats))
    second = sum(w * (cov + np.outer(mu, mu)) for w, (mu, cov) in zip(weights, stats))
    cov_p = second - np.outer(mu_p, mu_p)
    mu_i, cov_i = _color_stats(image)
    transform = _sqrtm(cov_p) @ _sqrtm(cov_i, inverse=True)
    out = (image.reshape(-1, 3).astype(np.float64) - mu_i) @ transform.T + mu_p
    return np.clip(out, 0, 255).round().astype(np.uint8).reshape(image.shape)


def match_color_histogram(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Recolour ``style`` so its RGB mean and covariance equal the content's (Gatys et al. 2016)."""
    return transfer_colors(style, [content])


# --- writing ---------------------------------------------------------------
def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write to a temporary name in the same folder, then rename: never half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:  # a full disk, a killed write: no temporary file is left behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def png_bytes(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.asarray(rgb, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def save_png(rgb: np.ndarray, path: str | os.PathLike) -> Path:
    return atomic_write_bytes(path, png_bytes(rgb))


OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}


def output_format(path: str | os.PathLike) -> str:
    """The format an output file's extension asks for, or an :class:`ImageError` naming the choices."""
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ImageError(f"'{path}' has no known image extension; use one of "
                         f"{', '.join(sorted(set(OUTPUT_FORMATS)))}.")
    return OUTPUT_FORMATS[suffix]


def image_bytes(rgb: np.ndarray, fmt: str, float_rgb: np.ndarray | None = None) -> bytes:
    """Encode (H, W, 3) RGB as PNG, JPEG (quality 95), WebP (quality 95) or 16-bit TIFF.

    The TIFF holds 16 bits per channel: from ``float_rgb`` (0..255 floats) where given,
    else the 8-bit image scaled by 257 (so 255 becomes 65535).
    """
    rgb = np.asarray(rgb, np.uint8)
    if fmt == "TIFF":
        if float_rgb is not None:
            data16 = np.round(np.clip(np.asarray(float_rgb, np.float64), 0, 255) * (65535 / 255)).astype(np.uint16)
        else:
            data16 = rgb.astype(np.uint16) * 257
        try:
            import tifffile
        except ImportError:  # pragma: no cover - scikit-image brings it
            buf = io.BytesIO()
            Image.fromarray(rgb).save(buf, format="TIFF", compression="tiff_deflate")
            return buf.getvalue()
        buf = io.BytesIO()
        tifffile.imwrite(buf, data16, photometric="rgb", compression="zlib")
        return buf.getvalue()
    buf = io.BytesIO()
    options = {"JPEG": {"quality": 95, "subsampling": 0}, "WEBP": {"quality": 95}}.get(fmt, {})
    Image.fromarray(rgb).save(buf, format=fmt, **options)
    return buf.getvalue()


def save_image(rgb: np.ndarray, path: str | os.PathLike, float_rgb: np.ndarray | None = None) -> Path:
    """Write an image in the format its extension names (see :func:`image_bytes`), atomically."""
    return atomic_write_bytes(path, image_bytes(rgb, output_format(path), float_rgb))
