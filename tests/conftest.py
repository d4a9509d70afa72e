import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def features():
    """The default (hed) VGG-16 feature extractor, loaded once for the whole test session."""
    from nst.optimize import get_features

    return get_features("hed", "avg")


@pytest.fixture(scope="session")
def content_image():
    from nst.images import load_image, resize_to

    return resize_to(load_image(ROOT / "assets" / "content_chelsea.jpg"), 64)


@pytest.fixture(scope="session")
def style_image():
    from nst.images import load_image, resize_to

    return resize_to(load_image(ROOT / "assets" / "style_swirls.png"), 64)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
