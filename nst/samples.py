"""Bundled sample images: procedural painterly style images and a few content photos.

The style images are drawn here with numpy and PIL from a fixed random seed, so
they are the same on every machine and need no download. Each one imitates a
familiar kind of painting and carries strong, distinctive texture and colour,
which is what the Gram matrices of VGG-16 pick up:

* ``swirls``      - a starry night sky of short, thick, curved brush strokes that
                     follow a swirling flow field (blues and yellows).
* ``mosaic``      - a stained-glass rose window: Voronoi cells of saturated,
                     mottled glass between dark lead lines.
* ``composition`` - an abstract geometric composition of circles with halos,
                     black lines, triangles and a chequer patch on brushed canvas.
* ``waves``       - a woodblock-print sea: Prussian-blue wave bands with white
                     foam crests, ink hatching and a distant snowy mountain.
* ``dots``        - a pointillist river landscape built only from small dots of
                     pure, broken colour.

The content photos come from scikit-image's bundled ``skimage.data`` images.

``python -m nst.samples`` (re)writes everything into ``assets/``.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

STYLE_NAMES = ["swirls", "mosaic", "composition", "waves", "dots"]

STYLE_TITLES = {
    "swirls": "Swirls (after Van Gogh)",
    "mosaic": "Mosaic (stained glass)",
    "composition": "Composition (after Kandinsky)",
    "waves": "Waves (after Hokusai)",
    "dots": "Dots (after Seurat)",
}

CONTENT_NAMES = ["astronaut", "chelsea", "coffee", "rocket"]

CONTENT_TITLES = {
    "astronaut": "Astronaut",
    "chelsea": "Chelsea the cat",
    "coffee": "Cup of coffee",
    "rocket": "Rocket launch",
}

LONG_SIDE = 512
_SCALE = 2  # styles are drawn at twice the size and shrunk, which smooths the strokes
_SEEDS = {"swirls": 1889, "mosaic": 1250, "composition": 1923, "waves": 1831, "dots": 1884}


# ---------------------------------------------------------------------------
# Small helpers shared by the painters
# ---------------------------------------------------------------------------

def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: tuple[int, int]) -> np.ndarray:
    """Value noise in [0, 1]: a coarse random grid enlarged with bicubic interpolation."""
    gh, gw = cells
    grid = rng.random((gh, gw)).astype(np.float32)
    img = Image.fromarray(grid, mode="F").resize((w, h), Image.BICUBIC)
    out = np.asarray(img, dtype=np.float32)
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / (hi - lo + 1e-6)


def _fractal_noise(rng: np.random.Generator, h: int, w: int, base: int = 4, octaves: int = 4) -> np.ndarray:
    """Sum of value-noise octaves, normalised to [0, 1]."""
    total = np.zeros((h, w), np.float32)
    amp, norm = 1.0, 0.0
    for o in range(octaves):
        n = base * 2 ** o
        total += amp * _smooth_noise(rng, h, w, (max(2, n * h // max(h, w)), max(2, n * w // max(h, w))))
        norm += amp
        amp *= 0.5
    return total / norm


def _streaks(rng: np.random.Generator, h: int, w: int, angle_deg: float, length: int = 40) -> np.ndarray:
    """Brush-streak texture in [-1, 1]: noise stretched along one direction, then rotated."""
    side = int(math.ceil(math.hypot(h, w))) + 4
    coarse = rng.random((side // 2, max(2, side // length))).astype(np.float32)
    fine = Image.fromarray(coarse, mode="F").resize((side, side), Image.BICUBIC)
    fine = fine.rotate(angle_deg, resample=Image.BILINEAR)
    arr = np.asarray(fine, dtype=np.float32)
    top, left = (side - h) // 2, (side - w) // 2
    arr = arr[top:top + h, left:left + w]
    arr = arr - arr.mean()
    return arr / (np.abs(arr).max() + 1e-6)


def _canvas_grain(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Fine canvas weave plus grain, around 0 (to be added to brightness)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    weave = 0.5 * np.sin(xx * 1.9) * np.sin(yy * 1.9)
    grain = rng.normal(0.0, 1.0, (h, w)).astype(np.float32)
    return 0.4 * weave + 0.6 * grain


def _to_image(arr: np.ndarray, size: tuple[int, int]) -> Image.Image:
    """Float RGB array (0..255) to an RGB image shrunk to ``size`` (w, h)."""
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), mode="RGB")
    return img.resize(size, Image.LANCZOS)


def _finish(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    return img.convert("RGB").resize(size, Image.LANCZOS)


def _jitter(rng: np.random.Generator, colour, amount: float) -> tuple[int, int, int]:
    c = np.asarray(colour, np.float32) * rng.uniform(1 - amount, 1 + amount) \
        + rng.normal(0, 255 * amount * 0.5, 3)
    return tuple(int(v) for v in np.clip(c, 0, 255))


def _brush_stroke(draw: ImageDraw.ImageDraw, pts: list[tuple[float, float]], width: float,
                  colour, rng: np.random.Generator, bristles: int = 4, contrast: float = 0.28) -> None:
    """A thick stroke along ``pts`` with thin lighter and darker bristle lines inside it."""
    if len(pts) < 2:
        return
    w = max(1, int(round(width)))
    draw.line(pts, fill=tuple(colour), width=w, joint="curve")
    r = w / 2.0
    for end in (pts[0], pts[-1]):  # rounded ends
        draw.ellipse([end[0] - r + 0.5, end[1] - r + 0.5, end[0] + r - 0.5, end[1] + r - 0.5], fill=tuple(colour))
    arr = np.asarray(pts, np.float32)
    d = np.gradient(arr, axis=0)
    nrm = np.stack([-d[:, 1], d[:, 0]], axis=1)
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True) + 1e-6
    base = np.asarray(colour, np.float32)
    for _ in range(bristles):
        off = rng.uniform(-0.42, 0.42) * w
        shade = rng.uniform(1 - contrast, 1 + contrast)
        c = tuple(int(v) for v in np.clip(base * shade + rng.normal(0, 20 * contrast, 3), 0, 255))
        line = arr + nrm * off
        draw.line([tuple(p) for p in line], fill=c, width=max(1, int(w * rng.uniform(0.12, 0.25))), joint="curve")


def _bilinear(field: np.ndarray, x: float, y: float):
    h, w = field.shape[:2]
    xi = min(max(int(x), 0), w - 1)
    yi = min(max(int(y), 0), h - 1)
    return field[yi, xi]


# ---------------------------------------------------------------------------
# (a) swirls - Van-Gogh-like night sky of short curved strokes
# ---------------------------------------------------------------------------

def _swirls(rng: np.random.Generator) -> Image.Image:
    W, H = 512 * _SCALE, 384 * _SCALE
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    X, Y = xx / W, yy / W  # both in units of the width

    # --- underpainting: colour field the strokes sample from
    t = yy / H
    sky = np.stack([18 + 50 * t, 38 + 80 * t, 105 + 70 * t], axis=-1)
    band = _fractal_noise(rng, H, W, base=3, octaves=3)[..., None]
    sky = sky * (0.8 + 0.45 * band)
    light_blue = np.array([120, 165, 215], np.float32)
    horizon = 0.66 * H + 0.05 * H * np.sin(X * 7.0 + 1.0) + 0.03 * H * np.sin(X * 17.0)
    is_sky = yy < horizon

    # the big swirling vortices are lighter, with pale spiral bands
    vortices = [(0.42, 0.27, 0.11, 1.0), (0.64, 0.20, 0.08, -1.0), (0.24, 0.16, 0.07, 1.0)]
    for cx, cy, r, _s in vortices:
        d = np.sqrt((X - cx) ** 2 + (Y - cy) ** 2)
        ang = np.arctan2(Y - cy, X - cx)
        spiral = 0.5 + 0.5 * np.sin(ang * 1.0 + d / r * 9.0)
        wgt = np.exp(-(d / (1.3 * r)) ** 2)[..., None]
        sky = sky * (1 - 0.7 * wgt) + 0.7 * wgt * (light_blue * (0.65 + 0.5 * spiral[..., None]))

    # moon and stars: yellow cores in pale halos
    moon = (0.86, 0.12, 0.045)
    stars = [(0.08, 0.08), (0.18, 0.30), (0.33, 0.09), (0.53, 0.10), (0.55, 0.36),
             (0.73, 0.33), (0.93, 0.36), (0.76, 0.06), (0.46, 0.46), (0.08, 0.40)]
    lights = [(moon[0], moon[1], moon[2], 2.6)] + [(sx, sy, 0.016 + 0.01 * rng.random(), 2.8) for sx, sy in stars]
    for cx, cy, r, halo in lights:
        d = np.sqrt((X - cx) ** 2 + (Y - cy) ** 2)
        glow = np.exp(-(d / (halo * r)) ** 2)[..., None]
        core = (d < r)[..., None]
        ring = np.clip(1 - np.abs(d - 1.6 * r) / (0.35 * r), 0, 1)[..., None]
        sky = sky * (1 - 0.75 * glow) + 0.75 * glow * np.array([200, 215, 175], np.float32)
        sky = np.where(core, np.array([250, 205, 50], np.float32), sky)
        sky = sky * (1 - 0.8 * ring) + 0.8 * ring * np.array([245, 235, 140], np.float32)

    # hills and village in dark blue-greens
    hills = np.stack([30 + 25 * band[..., 0], 55 + 40 * band[..., 0], 95 + 30 * band[..., 0]], axis=-1)
    hills = hills * (0.7 + 0.4 * (yy - horizon)[..., None] / H)
    paint = np.where(is_sky[..., None], sky, hills)
    # lit windows in the village
    for _ in range(14):
        wx, wy = rng.uniform(0.35, 0.85) * W, rng.uniform(0.78, 0.92) * H
        win = (np.abs(xx - wx) < 7) & (np.abs(yy - wy) < 5)
        paint[win] = (240, 200, 70)

    # the dark flame-shaped cypress in front
    cyp_x = 0.17 * W
    top, bottom = 0.12 * H, H
    rel = np.clip((yy - top) / (bottom - top), 0, 1)
    halfw = 0.075 * W * np.sqrt(rel) * (1 + 0.15 * np.sin(yy / 18.0))
    is_cyp = (np.abs(xx - cyp_x - 12 * np.sin(yy / 40.0)) < halfw) & (yy > top)
    cyp_col = np.stack([22 + 30 * band[..., 0], 38 + 45 * band[..., 0], 28 + 20 * band[..., 0]], axis=-1)
    paint = np.where(is_cyp[..., None], cyp_col, paint)

    # --- flow field: horizontal waves + vortices + concentric rings round lights
    vx = np.ones_like(X) * 1.0
    vy = 0.45 * np.sin(X * 14.0 + Y * 6.0) + 0.25 * np.sin(X * 31.0)
    for cx, cy, r, s in vortices:
        dx, dy = X - cx, Y - cy
        d = np.sqrt(dx ** 2 + dy ** 2) + 1e-6
        wgt = 4.0 * np.exp(-(d / (1.6 * r)) ** 2)
        # tangent plus a little inward pull makes a spiral
        vx += wgt * s * (-dy / d - 0.25 * s * dx / d)
        vy += wgt * s * (dx / d - 0.25 * s * dy / d)
    for cx, cy, r, halo in lights:
        dx, dy = X - cx, Y - cy
        d = np.sqrt(dx ** 2 + dy ** 2) + 1e-6
        wgt = 6.0 * np.exp(-(d / (halo * r)) ** 2)
        vx += wgt * (-dy / d)
        vy += wgt * (dx / d)
    # hills: follow the slope of the horizon
    slope = (0.05 * 7.0 * np.cos(X * 7.0 + 1.0) + 0.03 * 17.0 * np.cos(X * 17.0)) * H / W
    vx = np.where(is_sky, vx, 1.0)
    vy = np.where(is_sky, vy, slope + 0.2 * np.sin(yy / 25.0))
    # cypress: upward flames
    vx = np.where(is_cyp, 0.25 * np.sin(yy / 30.0 + xx / 20.0), vx)
    vy = np.where(is_cyp, -1.0, vy)
    norm = np.sqrt(vx ** 2 + vy ** 2) + 1e-6
    flow = np.stack([vx / norm, vy / norm], axis=-1).astype(np.float32)

    # --- paint: a smoothed underpainting, then layers of strokes, coarse to fine
    canvas = Image.fromarray(np.clip(paint, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(6))
    draw = ImageDraw.Draw(canvas)
    for spacing, width, steps, step_len, jit in [(14, 13, 7, 5.5, 0.12), (9, 9, 6, 4.5, 0.10), (7, 6, 5, 4.0, 0.10)]:
        gy, gx = np.mgrid[0:H:spacing, 0:W:spacing]
        pts = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
        pts += rng.uniform(0, spacing, pts.shape)
        order = rng.permutation(len(pts))
        for i in order:
            x, y = float(pts[i, 0]), float(pts[i, 1])
            colour = _jitter(rng, _bilinear(paint, x, y), jit)
            line = [(x, y)]
            px, py = x, y
            for _ in range(steps):
                fx, fy = _bilinear(flow, px, py)
                px, py = px + step_len * fx, py + step_len * fy
                if not (0 <= px < W and 0 <= py < H):
                    break
                line.append((px, py))
            _brush_stroke(draw, line, width * rng.uniform(0.8, 1.2), colour, rng, bristles=3)
    return _finish(canvas, (512, 384))


# ---------------------------------------------------------------------------
# (b) mosaic - stained-glass rose window
# ---------------------------------------------------------------------------

def _mosaic(rng: np.random.Generator) -> Image.Image:
    from scipy.spatial import cKDTree

    S = 512 * _SCALE
    c = S / 2
    R = 0.46 * S
    pts = [(c, c)]
    ring_info = [(-1, 0)]  # (ring index, sector index) of each seed; -1 = centre, -2 = outside
    radii = [0.055, 0.11, 0.17, 0.235, 0.30, 0.37, 0.43]
    counts = [8, 16, 16, 24, 32, 32, 48]
    for k, (rr, n) in enumerate(zip(radii, counts)):
        for j in range(n):
            a = 2 * math.pi * (j + 0.5 * (k % 2)) / n
            jr = rr * S * (1 + rng.normal(0, 0.02))
            ja = a + rng.normal(0, 0.04 / (k + 1))
            pts.append((c + jr * math.cos(ja), c + jr * math.sin(ja)))
            ring_info.append((k, j))
    # outside the window: a looser field of cells
    step = S / 16
    for gy in range(17):
        for gx in range(17):
            x, y = gx * step + rng.uniform(-0.35, 0.35) * step, gy * step + rng.uniform(-0.35, 0.35) * step
            if math.hypot(x - c, y - c) > R + 0.03 * S:
                pts.append((x, y))
                ring_info.append((-2, 0))
    pts_arr = np.asarray(pts, np.float32)

    yy, xx = np.mgrid[0:S, 0:S].astype(np.float32)
    tree = cKDTree(pts_arr)
    dist, idx = tree.query(np.stack([xx.ravel(), yy.ravel()], axis=1), k=2)
    d1 = dist[:, 0].reshape(S, S)
    d2 = dist[:, 1].reshape(S, S)
    cell = idx[:, 0].reshape(S, S)
    edge = d2 - d1  # ~0 on the border between two cells

    palette = {
        "ruby": (190, 25, 40), "cobalt": (25, 55, 175), "gold": (235, 170, 30),
        "emerald": (25, 140, 70), "violet": (110, 40, 150), "turquoise": (30, 160, 175),
        "amber": (220, 110, 25), "ultramarine": (40, 30, 140),
    }
    ring_scheme = [("gold", "amber"), ("ruby", "violet"), ("cobalt", "turquoise"), ("gold", "emerald"),
                   ("ruby", "cobalt"), ("turquoise", "gold"), ("cobalt", "ruby")]
    colours = np.zeros((len(pts), 3), np.float32)
    for i, (ring, sector) in enumerate(ring_info):
        if ring == -1:
            name = "ruby"
        elif ring == -2:
            name = ["ultramarine", "cobalt", "ruby", "violet", "cobalt"][int(rng.integers(0, 5))]
        else:
            pair = ring_scheme[ring]
            name = pair[(sector // (1 if ring < 2 else 2)) % 2]
        colours[i] = np.asarray(_jitter(rng, palette[name], 0.10), np.float32)
    img = colours[cell]

    # mottled glass: several octaves of noise, darker near the lead, bright speckles
    mottle = _fractal_noise(rng, S, S, base=8, octaves=4)
    shade = (0.62 + 0.55 * mottle)[..., None]
    bevel = np.clip(edge / 26.0, 0, 1) ** 0.5
    img = img * shade * (0.55 + 0.45 * bevel[..., None])
    speck = rng.random((S, S)) > 0.9993
    speck = np.asarray(Image.fromarray((speck * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(3))) > 0
    img[speck] = img[speck] * 0.4 + 150
    # light shines through the middle of the window
    glow = np.exp(-((xx - c) ** 2 + (yy - c) ** 2) / (2 * (0.35 * S) ** 2))[..., None]
    img = img * (0.8 + 0.4 * glow)

    lead = np.array([28, 24, 22], np.float32)
    grout = edge < 7.0
    img[grout] = lead

    # stone tracery: the rim of the window and radial spokes
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(out)
    stone = (58, 52, 48)
    for rr, wdt in [(R + 0.02 * S, 22), (0.2 * S, 12), (0.08 * S, 10)]:
        draw.ellipse([c - rr, c - rr, c + rr, c + rr], outline=stone, width=wdt)
    for j in range(16):
        a = 2 * math.pi * j / 16
        r0, r1 = 0.2 * S, R + 0.02 * S
        draw.line([(c + r0 * math.cos(a), c + r0 * math.sin(a)), (c + r1 * math.cos(a), c + r1 * math.sin(a))],
                  fill=stone, width=10)
    arr = np.asarray(out, np.float32)
    arr += 6 * _canvas_grain(rng, S, S)[..., None]
    return _to_image(arr, (512, 512))


# ---------------------------------------------------------------------------
# (c) composition - Kandinsky-like geometric abstraction
# ---------------------------------------------------------------------------

def _composition(rng: np.random.Generator) -> Image.Image:
    W, H = 512 * _SCALE, 384 * _SCALE
    # textured canvas: many broad, translucent strokes of warm off-whites and a cool corner
    base = np.zeros((H, W, 3), np.float32) + np.array([226, 214, 186], np.float32)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    cool = np.clip(1.2 - np.hypot(xx - 0.85 * W, yy - 0.2 * H) / (0.5 * W), 0, 1)[..., None]
    base = base * (1 - 0.6 * cool) + 0.6 * cool * np.array([150, 170, 185], np.float32)
    warm = np.clip(1.0 - np.hypot(xx - 0.15 * W, yy - 0.9 * H) / (0.45 * W), 0, 1)[..., None]
    base = base * (1 - 0.5 * warm) + 0.5 * warm * np.array([225, 180, 130], np.float32)
    canvas = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    for _ in range(900):
        x, y = rng.uniform(0, W), rng.uniform(0, H)
        a = rng.uniform(-0.5, 0.5) + (math.pi / 2 if rng.random() < 0.3 else 0)
        length = rng.uniform(50, 130)
        bend = rng.uniform(-0.3, 0.3)
        line = [(x + length * s * math.cos(a + bend * s), y + length * s * math.sin(a + bend * s))
                for s in np.linspace(0, 1, 6)]
        col = _jitter(rng, base[int(y) % H, int(x) % W], 0.035)
        _brush_stroke(draw, line, rng.uniform(16, 30), col, rng, bristles=5, contrast=0.07)

    arr = np.asarray(canvas, np.float32)
    streaks = [_streaks(rng, H, W, ang, length=30) for ang in (0, 35, 90, 140)]

    def fill(mask_img: Image.Image, colour, alpha: float = 1.0) -> None:
        nonlocal arr
        m = np.asarray(mask_img, np.float32)[..., None] / 255.0 * alpha
        tex = streaks[int(rng.integers(0, len(streaks)))][..., None]
        col = np.asarray(colour, np.float32) * (1 + 0.16 * tex) + 10 * tex
        arr = arr * (1 - m) + col * m

    def new_mask() -> tuple[Image.Image, ImageDraw.ImageDraw]:
        m = Image.new("L", (W, H), 0)
        return m, ImageDraw.Draw(m)

    def circle(cx, cy, r, colour, alpha=1.0, halo=None) -> None:
        if halo is not None:
            m, d = new_mask()
            d.ellipse([cx - 1.45 * r, cy - 1.45 * r, cx + 1.45 * r, cy + 1.45 * r], fill=255)
            fill(m.filter(ImageFilter.GaussianBlur(0.35 * r)), halo, 0.75)
        m, d = new_mask()
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
        fill(m, colour, alpha)

    def poly(points, colour, alpha=1.0) -> None:
        m, d = new_mask()
        d.polygon(points, fill=255)
        fill(m, colour, alpha)

    def stroke(points, width, colour=(20, 18, 22)) -> None:
        m, d = new_mask()
        d.line(points, fill=255, width=int(width), joint="curve")
        fill(m, colour, 1.0)

    red, yellow, blue, black = (205, 40, 35), (240, 195, 40), (30, 60, 150), (22, 20, 24)
    pink, green, violet, orange = (220, 120, 150), (60, 140, 90), (110, 60, 150), (230, 120, 30)
    # big shapes first
    poly([(0.05 * W, 0.95 * H), (0.42 * W, 0.25 * H), (0.62 * W, 0.98 * H)], yellow, 0.85)
    poly([(0.55 * W, 0.55 * H), (0.98 * W, 0.42 * H), (0.86 * W, 0.95 * H)], blue, 0.8)
    poly([(0.70 * W, 0.05 * H), (0.95 * W, 0.05 * H), (0.95 * W, 0.32 * H), (0.70 * W, 0.32 * H)], red, 0.85)
    # chequer patch
    cs = 0.035 * W
    for i in range(5):
        for j in range(4):
            col = black if (i + j) % 2 == 0 else (240, 235, 220)
            x0, y0 = 0.08 * W + i * cs, 0.08 * H + j * cs
            poly([(x0, y0), (x0 + cs, y0), (x0 + cs, y0 + cs), (x0, y0 + cs)], col, 0.95)
    # the big circle with concentric rings
    cx, cy = 0.33 * W, 0.42 * H
    for r, col in [(0.19 * W, (25, 25, 60)), (0.15 * W, violet), (0.11 * W, red), (0.07 * W, yellow), (0.035 * W, blue)]:
        circle(cx, cy, r, col, 0.95, halo=(250, 240, 210) if r > 0.18 * W else None)
    # smaller circles with halos
    for cx, cy, r, col, halo in [(0.78 * W, 0.68 * H, 0.07 * W, red, (250, 210, 120)),
                                 (0.62 * W, 0.22 * H, 0.05 * W, blue, (190, 220, 240)),
                                 (0.88 * W, 0.2 * H, 0.035 * W, yellow, (250, 250, 220)),
                                 (0.15 * W, 0.75 * H, 0.045 * W, green, (240, 230, 170)),
                                 (0.52 * W, 0.85 * H, 0.03 * W, black, (240, 150, 120)),
                                 (0.93 * W, 0.85 * H, 0.025 * W, pink, None),
                                 (0.58 * W, 0.45 * H, 0.02 * W, orange, None)]:
        circle(cx, cy, r, col, 0.95, halo=halo)
    # black lines: a few heavy diagonals, a bundle of thin parallels, arcs
    stroke([(0.02 * W, 0.15 * H), (0.98 * W, 0.78 * H)], 12)
    stroke([(0.45 * W, 0.02 * H), (0.68 * W, 0.98 * H)], 7)
    stroke([(0.0 * W, 0.58 * H), (0.55 * W, 0.62 * H)], 5)
    for k in range(6):
        off = k * 12
        stroke([(0.55 * W + off, 0.05 * H), (0.98 * W + off, 0.48 * H)], 3)
    for cx, cy, r, a0, a1 in [(0.72 * W, 0.55 * H, 0.12 * W, 200, 340), (0.25 * W, 0.78 * H, 0.09 * W, 180, 300),
                              (0.9 * W, 0.6 * H, 0.05 * W, 90, 270)]:
        pts = [(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)))
               for a in np.linspace(a0, a1, 40)]
        stroke(pts, 8)
    # small triangles and a zig-zag
    poly([(0.8 * W, 0.4 * H), (0.86 * W, 0.3 * H), (0.9 * W, 0.42 * H)], black, 0.95)
    poly([(0.1 * W, 0.45 * H), (0.16 * W, 0.38 * H), (0.18 * W, 0.5 * H)], red, 0.95)
    poly([(0.4 * W, 0.9 * H), (0.46 * W, 0.78 * H), (0.5 * W, 0.93 * H)], blue, 0.95)
    zig = [(0.6 * W + 18 * i, 0.9 * H + (-20 if i % 2 else 0)) for i in range(12)]
    stroke(zig, 5, red)

    arr += 5 * _canvas_grain(rng, H, W)[..., None]
    return _to_image(arr, (512, 384))


# ---------------------------------------------------------------------------
# (d) waves - woodblock-print sea
# ---------------------------------------------------------------------------

def _waves(rng: np.random.Generator) -> Image.Image:
    W, H = 512 * _SCALE, 384 * _SCALE
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    paper = np.array([232, 218, 184], np.float32)
    fibre = _streaks(rng, H, W, 0, length=60)[..., None]
    sky_t = (yy / H)[..., None]
    arr = paper * (0.88 + 0.12 * sky_t) + 8 * fibre
    # a band of soft grey-pink cloud and darker top (bokashi gradient)
    top = np.clip(1 - yy / (0.25 * H), 0, 1)[..., None]
    arr = arr * (1 - 0.55 * top) + 0.55 * top * np.array([120, 110, 120], np.float32)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)

    prussian = np.array([28, 58, 105], np.float32)
    light = np.array([120, 160, 185], np.float32)
    foam = (246, 242, 228)
    ink = (18, 32, 60)

    # flat stylised clouds: rows of overlapping rounded puffs with an ink outline
    for cx, cy, n, r in [(0.2 * W, 0.16 * H, 6, 22), (0.78 * W, 0.12 * H, 5, 18), (0.45 * W, 0.27 * H, 7, 16)]:
        puffs = [(cx + (i - n / 2) * 1.4 * r + rng.normal(0, 4), cy + rng.normal(0, 5), r * rng.uniform(0.8, 1.3))
                 for i in range(n)]
        for px, py, pr in puffs:
            draw.ellipse([px - pr - 3, py - pr - 3, px + pr + 3, py + pr + 3], fill=(150, 140, 135))
        for px, py, pr in puffs:
            draw.ellipse([px - pr, py - pr, px + pr, py + pr], fill=(238, 230, 210))
        draw.rectangle([puffs[0][0], cy, puffs[-1][0], cy + r + 4], fill=(238, 230, 210))

    # distant mountain with a snowy cap
    mx, mtop, mbase = 0.66 * W, 0.30 * H, 0.52 * H
    mount = [(mx - 0.2 * W, mbase), (mx - 0.03 * W, mtop), (mx + 0.03 * W, mtop), (mx + 0.2 * W, mbase)]
    draw.polygon(mount, fill=(58, 78, 110))
    snow = [(mx - 0.07 * W, mtop + 0.07 * H), (mx - 0.03 * W, mtop), (mx + 0.03 * W, mtop),
            (mx + 0.07 * W, mtop + 0.07 * H), (mx + 0.045 * W, mtop + 0.055 * H), (mx + 0.02 * W, mtop + 0.08 * H),
            (mx - 0.01 * W, mtop + 0.05 * H), (mx - 0.04 * W, mtop + 0.075 * H)]
    draw.polygon(snow, fill=foam)

    # wave bands from the horizon to the front, each drawn over the last
    xs = np.arange(0, W + 1, 4, dtype=np.float32)
    n_bands = 9
    for b in range(n_bands):
        t = b / (n_bands - 1)
        base = 0.48 * H + t * 0.5 * H
        amp = 10 + 55 * t ** 1.3
        lam = 90 + 230 * t
        phase = rng.uniform(0, lam)
        u = ((xs + phase) % lam) / lam
        crest = np.where(u < 0.7, (u / 0.7) ** 2.2, 1 - (u - 0.7) / 0.3)  # slow rise, steep fall
        ycurve = base - amp * crest + 4 * np.sin(xs / 37.0 + b)
        poly = [(float(x), float(y)) for x, y in zip(xs, ycurve)] + [(W, H), (0, H)]
        # gradient fill: light blue near the crest, deep Prussian blue below
        mask = Image.new("L", (W, H), 0)
        ImageDraw.Draw(mask).polygon(poly, fill=255)
        m = np.asarray(mask, np.float32)[..., None] / 255.0
        depth = np.clip((yy - (base - amp)) / (amp + 60), 0, 1)[..., None]
        col = light * (1 - depth) + prussian * depth
        col = col * (1 + 0.08 * fibre)
        cur = np.asarray(img, np.float32)
        cur = cur * (1 - m) + col * m
        img = Image.fromarray(np.clip(cur, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(img)
        # ink hatching parallel to the wave surface
        for k in range(1, 5):
            off = k * (6 + 6 * t)
            pts = [(float(x), float(y + off)) for x, y in zip(xs, ycurve)]
            draw.line(pts, fill=ink, width=max(1, int(1 + 2 * t)), joint="curve")
        # white foam along the crests, with finger-like claws and spray dots
        surf = [(float(x), float(y)) for x, y in zip(xs, ycurve)]
        draw.line(surf, fill=foam, width=int(3 + 6 * t), joint="curve")
        peaks = np.where((u[1:] < u[:-1]))[0]  # where the sawtooth wraps: the crest tip
        for p in peaks:
            px, py = float(xs[p]), float(ycurve[p])
            for f in range(int(4 + 6 * t)):
                a = math.radians(-150 + 22 * f + rng.normal(0, 6))
                ln = (8 + 22 * t) * rng.uniform(0.7, 1.2)
                ex, ey = px + ln * math.cos(a), py + ln * math.sin(a) * 0.8
                draw.line([(px, py), ((px + ex) / 2, (py + ey) / 2 - 4), (ex, ey)], fill=foam,
                          width=max(2, int(2 + 3 * t)), joint="curve")
                r = 2 + 3 * t
                draw.ellipse([ex - r, ey - r, ex + r, ey + r], fill=foam)
            for _ in range(int(5 + 14 * t)):
                sx = px + rng.normal(0, 20 + 30 * t)
                sy = py - abs(rng.normal(0, 15 + 30 * t))
                r = rng.uniform(1.5, 3.5 + 3 * t)
                draw.ellipse([sx - r, sy - r, sx + r, sy + r], fill=foam)

    arr = np.asarray(img, np.float32)
    arr += 5 * _canvas_grain(rng, H, W)[..., None]
    return _to_image(arr, (512, 384))


# ---------------------------------------------------------------------------
# (e) dots - pointillist river landscape
# ---------------------------------------------------------------------------

def _dots(rng: np.random.Generator) -> Image.Image:
    W, H = 512 * _SCALE, 384 * _SCALE
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    t = yy / H
    # underpainting: sky, far trees, river, grassy banks, two tree crowns
    sky = np.stack([150 + 90 * t, 190 + 40 * t, 235 - 30 * t], axis=-1)
    paint = sky.copy()
    treeline = 0.42 * H + 0.04 * H * np.sin(xx / 70.0) + 0.02 * H * np.sin(xx / 23.0)
    paint[yy > treeline] = (60, 110, 70)
    river_top = 0.52 * H
    river = (yy > river_top) & (yy < 0.52 * H + 0.25 * H * (1 - xx / W) + 40 * np.sin(xx / 90.0))
    paint[(yy > river_top)] = (90, 160, 60)
    paint[river] = (70, 130, 190)
    # sunlit and shaded grass
    shade = _smooth_noise(rng, H, W, (4, 6))
    grass = (yy > river_top) & ~river
    paint[grass] = paint[grass] * (0.75 + 0.5 * shade[grass])[:, None] + np.array([30, 20, 0]) * shade[grass][:, None]
    for cx, cy, r in [(0.18 * W, 0.30 * H, 0.14 * W), (0.85 * W, 0.35 * H, 0.11 * W)]:
        trunk = (np.abs(xx - cx) < 0.012 * W) & (yy > cy) & (yy < cy + 0.45 * H)
        paint[trunk] = (80, 55, 40)
        crown = ((xx - cx) ** 2 + ((yy - cy) * 1.3) ** 2) < r ** 2
        paint[crown] = (30, 85, 55)
    # a bright sun on the water and in the sky
    sun = np.exp(-((xx - 0.62 * W) ** 2 + (yy - 0.18 * H) ** 2) / (2 * (0.07 * W) ** 2))[..., None]
    paint = paint * (1 - sun) + sun * np.array([255, 235, 150], np.float32)

    complements = {  # for a pure colour pick a neighbour or complement to break it up
        0: (240, 150, 60), 1: (200, 80, 160), 2: (250, 220, 90), 3: (80, 90, 200),
    }
    img = Image.fromarray(np.clip(paint * 0.92 + 15, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for radius, count in [(6.5, 26000), (5.0, 40000)]:
        xs = rng.uniform(0, W, count)
        ys = rng.uniform(0, H, count)
        rs = radius * rng.uniform(0.75, 1.25, count)
        picks = rng.random(count)
        for x, y, r, pk in zip(xs, ys, rs, picks):
            c = paint[int(y), int(x)]
            if pk < 0.12:
                lum = float(c.mean())
                col = np.asarray(complements[int(lum // 64) % 4], np.float32) * 0.55 + c * 0.45
            else:
                col = c * rng.uniform(0.85, 1.15) + rng.normal(0, 14, 3)
            col = tuple(int(v) for v in np.clip(col, 0, 255))
            draw.ellipse([x - r, y - r, x + r, y + r], fill=col)
    return _finish(img, (512, 384))


_PAINTERS = {
    "swirls": _swirls,
    "mosaic": _mosaic,
    "composition": _composition,
    "waves": _waves,
    "dots": _dots,
}


def make_style(name: str) -> Image.Image:
    """Draw the bundled style image ``name`` (one of STYLE_NAMES) as an RGB image.

    The drawing is deterministic: the same name always gives the same pixels.
    The long side is 512 pixels.
    """
    if name not in _PAINTERS:
        raise ValueError(f"unknown style {name!r}; choose one of {STYLE_NAMES}")
    rng = np.random.default_rng(_SEEDS[name])
    img = _PAINTERS[name](rng)
    return img.convert("RGB")


def make_content(name: str, long_side: int = LONG_SIDE) -> Image.Image:
    """A content photo from scikit-image's bundled data, shrunk so its long side is at most ``long_side``."""
    import skimage.data

    if name not in CONTENT_NAMES:
        raise ValueError(f"unknown content image {name!r}; choose one of {CONTENT_NAMES}")
    arr = getattr(skimage.data, name)()
    img = Image.fromarray(np.asarray(arr, np.uint8)).convert("RGB")
    scale = long_side / max(img.size)
    if scale < 1:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)
    return img


def write_assets(folder: str | Path = "assets") -> list[Path]:
    """Write style_<name>.png for every style and content_<name>.jpg for every content photo."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in STYLE_NAMES:
        path = folder / f"style_{name}.png"
        make_style(name).save(path, optimize=True)
        written.append(path)
    for name in CONTENT_NAMES:
        path = folder / f"content_{name}.jpg"
        make_content(name).save(path, quality=92)
        written.append(path)
    return written


def _title(name: str, titles: dict[str, str]) -> str:
    return titles.get(name, name.replace("_", " ").capitalize())


def list_samples(folder: str | Path = "assets") -> dict[str, dict[str, Path]]:
    """Find the sample images in ``folder``.

    Returns {"content": {display name: path}, "style": {display name: path}}, the
    known samples first in their usual order, then any other content_*/style_* files.
    """
    folder = Path(folder)
    result: dict[str, dict[str, Path]] = {"content": {}, "style": {}}
    exts = {".png", ".jpg", ".jpeg"}
    for kind, known, titles in (("content", CONTENT_NAMES, CONTENT_TITLES), ("style", STYLE_NAMES, STYLE_TITLES)):
        if not folder.is_dir():
            continue
        files = sorted(p for p in folder.glob(f"{kind}_*") if p.suffix.lower() in exts and p.is_file())
        by_name: dict[str, Path] = {}
        for p in files:
            by_name.setdefault(p.stem[len(kind) + 1:], p)
        order = [n for n in known if n in by_name] + sorted(n for n in by_name if n not in known)
        for n in order:
            result[kind][_title(n, titles)] = by_name[n]
    return result


if __name__ == "__main__":
    for p in write_assets():
        print(p)
