"""What users of jcjohnson/neural-style and crowsonkb/style-transfer-pytorch reach for (issue 12):
-o FILE, --init-image, --print-every, --from params.json, batch --resume, --style-size, --min-size.
``main`` runs in this process (tiny runs: 64 px, a few iterations, one scale)."""
import json

import numpy as np
import pytest
from PIL import Image

from nst import pipeline

from .conftest import ROOT
from .test_cli_robust import CONTENT, STYLE, TINY, one_error_line, run_main

pytestmark = pytest.mark.unit


def test_output_file_in_the_format_of_its_extension(tmp_path, capfd):
    for name in ("out.png", "out.jpg", "out.webp", "out.tiff"):
        code, out, err = run_main(capfd, "stylize", CONTENT, STYLE, *TINY, "-q", "-o", tmp_path / name,
                                  "--out", tmp_path / "d")
        assert code == 0, err
        assert f"and {tmp_path / name}" in out
    runs = pipeline.existing_runs(tmp_path / "d")
    result = np.asarray(Image.open(runs[0] / "result.png"))
    assert Image.open(tmp_path / "out.png").format == "PNG"
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out.png")), result)
    assert Image.open(tmp_path / "out.jpg").format == "JPEG" and Image.open(tmp_path / "out.webp").format == "WEBP"
    import tifffile

    tiff = tifffile.imread(tmp_path / "out.tiff")
    assert tiff.dtype == np.uint16 and tiff.shape == result.shape  # 16 bits per channel
    np.testing.assert_allclose(tiff / 257.0, np.asarray(Image.open(runs[-1] / "result.png")), atol=0.5)
    assert json.loads((runs[-1] / "params.json").read_text())["inputs"]["output"] == str(tmp_path / "out.tiff")
    # batch writes one result per pair: -o is refused there
    code, _, err = run_main(capfd, "stylize", CONTENT, STYLE, "-o", tmp_path / "x" / "y", "--out", tmp_path / "d")
    assert code == 2 and "extension" in one_error_line(err)


def test_init_image_starts_from_that_picture(tmp_path, capfd):
    Image.new("RGB", (50, 40), (0, 200, 0)).save(tmp_path / "green.png")
    code, _, err = run_main(capfd, "stylize", CONTENT, STYLE, "--size", "64", "-n", "1", "--scales", "1", "-q",
                            "--optimizer", "adam", "--lr", "1", "--init-image", tmp_path / "green.png",
                            "--out", tmp_path / "d")
    assert code == 0, err
    result = np.asarray(Image.open(tmp_path / "d" / "gen_0" / "result.png")).reshape(-1, 3).mean(0)
    assert result[1] > 150 and result[0] < 60  # green, not the cat
    params = json.loads((tmp_path / "d" / "gen_0" / "params.json").read_text())
    assert params["config"]["init"] == "image" and params["inputs"]["init_image"] == str(tmp_path / "green.png")
    code, _, err = run_main(capfd, "stylize", CONTENT, STYLE, "--init", "noise", "--init-image",
                            tmp_path / "green.png", "--out", tmp_path / "d")
    assert code == 2 and "give one" in one_error_line(err)


def test_plain_progress_lines_when_not_a_terminal(tmp_path, capfd):
    code, out, err = run_main(capfd, "stylize", CONTENT, STYLE, "--size", "64", "-n", "4", "--scales", "1",
                              "--print-every", "2", "--out", tmp_path / "d")
    assert code == 0, err
    lines = [ln for ln in err.splitlines() if "iteration" in ln]
    assert [ln.split("iteration ")[1].split()[0] for ln in lines] == ["2/4", "4/4"], err
    assert "loss" in lines[0] and "\r" not in err  # no progress-bar redraws in a log
    code, out, err = run_main(capfd, "stylize", CONTENT, STYLE, *TINY, "-q", "--out", tmp_path / "d")
    assert code == 0 and "iteration" not in err


def test_from_params_reruns_exactly_and_tolerates_other_versions(tmp_path, capfd):
    code, _, err = run_main(capfd, "stylize", CONTENT, STYLE, "--size", "64", "-n", "3", "--scales", "1", "-q",
                            "--seed", "7", "--init", "noise", "--style-size", "48", "--out", tmp_path / "d")
    assert code == 0, err
    first = tmp_path / "d" / "gen_0"
    params = json.loads((first / "params.json").read_text())
    assert params["plan"][-1]["style_size"] == 48
    code, _, err = run_main(capfd, "stylize", "--from", first / "params.json", "-q", "--out", tmp_path / "d")
    assert code == 0, err
    again = json.loads((tmp_path / "d" / "gen_1" / "params.json").read_text())
    assert again["config"] == params["config"] and again["inputs"]["content"] == params["inputs"]["content"]
    np.testing.assert_array_equal(np.asarray(Image.open(first / "result.png")),
                                  np.asarray(Image.open(tmp_path / "d" / "gen_1" / "result.png")))
    # an option given on top changes just that setting
    code, _, err = run_main(capfd, "stylize", "--from", first / "params.json", "-n", "1", "-q",
                            "--out", tmp_path / "d")
    assert code == 0 and json.loads((tmp_path / "d" / "gen_2" / "params.json").read_text())["config"]["iterations"] == 1
    # a params.json from another version: an unknown key, a missing key
    other = dict(params)
    other["config"] = {k: v for k, v in params["config"].items() if k != "pooling"}
    other["config"]["future_option"] = 3
    (tmp_path / "other.json").write_text(json.dumps(other))
    code, _, err = run_main(capfd, "stylize", "--from", tmp_path / "other.json", "-q", "--out", tmp_path / "d")
    assert code == 0, err
    assert "ignoring settings this version does not know: future_option" in err and "pooling" in err
    # broken ones are one line each
    (tmp_path / "bad.json").write_text(json.dumps({"config": {"size": "big"}}))
    (tmp_path / "notjson.json").write_text("{")
    (tmp_path / "studio.json").write_text(json.dumps({"config": params["config"],  # a studio run names, not paths
                                                      "inputs": {"content": "Astronaut", "styles": ["Swirls"]}}))
    for path, match in ((tmp_path / "studio.json", "the recorded input 'Astronaut' is not a file here"),(tmp_path / "bad.json", "the setting size"), (tmp_path / "notjson.json", "not JSON"),
                        (tmp_path / "absent.json", "could not be found")):
        code, _, err = run_main(capfd, "stylize", "--from", path, "--out", tmp_path / "d")
        assert code == 2 and match in one_error_line(err), err


def test_batch_resume_skips_pairs_already_finished(tmp_path, capfd):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.open(CONTENT).save(folder / "content_cat.jpg")
    Image.open(STYLE).save(folder / "style_a.png")
    args = ["batch", folder, *TINY, "-q", "--out", tmp_path / "d"]
    assert run_main(capfd, *args)[0] == 0
    # a run recorded by an earlier version (keys "weights", "style_weights") counts as finished too
    params_path = pipeline.existing_runs(tmp_path / "d")[0] / "params.json"
    params = json.loads(params_path.read_text())
    renamed = {"vgg_weights": "weights", "layer_weights": "style_weights"}
    params["config"] = {renamed.get(k, k): v for k, v in params["config"].items()}
    params_path.write_text(json.dumps(params))
    Image.open(STYLE).transpose(Image.FLIP_TOP_BOTTOM).save(folder / "style_b.png")
    code, out, err = run_main(capfd, *args, "--resume")
    assert code == 0, err
    assert "skipping content_cat.jpg x style_a.png: already finished in" in err
    assert "style_b.png" in out and "style_a.png" not in out
    assert len(pipeline.existing_runs(tmp_path / "d")) == 2
    # other settings are another run
    code, out, err = run_main(capfd, *args, "--resume", "--seed", "3")
    assert code == 0 and len(pipeline.existing_runs(tmp_path / "d")) == 4


def test_min_size_sets_the_coarsest_scale(tmp_path, capfd):
    code, _, err = run_main(capfd, "stylize", CONTENT, STYLE, "--preset", "article", "--size", "96", "-n", "4",
                            "--scales", "2", "--min-size", "48", "-q", "--out", tmp_path / "d")
    assert code == 0, err
    plan = json.loads((tmp_path / "d" / "gen_0" / "params.json").read_text())["plan"]
    assert [step["size"] for step in plan] == [48, 96]


def test_readme_documents_the_new_options_and_exit_codes():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## The command line"):]
    section = section[:section.index("\n## ", 5)]
    for word in ("--output", "--init-image", "--print-every", "--from", "--resume", "--style-size", "--min-size",
                 "--version", "Exit codes", "143", "SIGTERM"):
        assert word in section, word
