"""The one settings table (nst.config.SETTINGS): validate(), the CLI, the link codec and the studio's
widgets all read it, so each of them agrees with it here, setting by setting (issue 11, item 3)."""
from __future__ import annotations

import contextlib
import functools
import io
import json
import math
import os
import re
from unittest import mock

import pytest

from nst import link
from nst.config import PRESETS, SETTINGS, StyleConfig, preset

from .test_cli_robust import CONTENT, STYLE, TINY, one_error_line, run_main

NUMBERS = [name for name, spec in SETTINGS.items()
           if spec.kind in (int, float) and (spec.low, spec.high) != (None, None)]
CHOICES = [name for name, spec in SETTINGS.items() if spec.choices and name != "preset"]


@pytest.mark.unit
def test_every_setting_has_a_label_help_and_flag():
    assert "weights" not in SETTINGS and SETTINGS["vgg_weights"].flag == "--weights"  # the renamed settings
    assert "style_weights" not in SETTINGS and SETTINGS["layer_weights"].flag == "--layer-weights"
    for name, spec in SETTINGS.items():
        assert spec.name == name and spec.label and spec.help, name
        assert spec.flag and spec.flag.startswith("--"), name
        if spec.choices:
            assert set(spec.picks) <= set(spec.choices) and spec.default in spec.choices, name
        if spec.url:
            assert list(SETTINGS.values()).count(spec) == 1
    urls = [spec.url for spec in SETTINGS.values() if spec.url]
    assert len(urls) == len(set(urls)), "one link key per setting"


def _parse(*argv: str):
    """``python -m nst stylize ARGV``'s parsed options, or (exit code, stderr) when argparse refuses them."""
    from nst.__main__ import build_parser

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            return build_parser().parse_args(["stylize", *argv])
    except SystemExit as stop:
        return stop.code, err.getvalue()


@functools.cache
def _cli_help() -> dict[str, tuple[list[str], str, str]]:
    """``python -m nst stylize --help`` as {flag: (the option's flags, its usage, its help)}."""
    from nst.__main__ import build_parser

    out = io.StringIO()
    with mock.patch.dict(os.environ, {"COLUMNS": "5000"}), contextlib.redirect_stdout(out), \
            pytest.raises(SystemExit):
        build_parser().parse_args(["stylize", "--help"])
    options: list[list[str]] = []
    for line in out.getvalue().splitlines():
        if line.startswith("  -"):  # an option: '  --flag METAVAR   help' (help on the next line when long)
            options.append(re.split(r"\s{2,}", line.strip(), maxsplit=1))
        elif line.startswith("    ") and options:
            options[-1].append(line.strip())
        elif not line.startswith(" "):
            options.append([])  # a heading ends the option before it
    table = {}
    for invocation, *help_lines in filter(None, options):
        flags = [part.split()[0] for part in invocation.split(", ")]
        for flag in flags:
            table[flag] = (flags, invocation, " ".join(help_lines))
    return table


@pytest.mark.unit
@pytest.mark.parametrize("name", list(SETTINGS))
def test_every_cli_option_is_the_tables(name):
    spec = SETTINGS[name]
    assert spec.flag in _cli_help(), f"stylize --help shows no {spec.flag}"
    flags, invocation, help_text = _cli_help()[spec.flag]
    assert spec.help in help_text
    if spec.range_text():
        assert spec.range_text() in help_text
    assert getattr(_parse(), name) is None, "unset: the preset's value"
    if spec.choices:
        assert "{" + ",".join(spec.picks) + "}" in invocation  # the choices offered, in the table's order
        for value in spec.picks:
            assert getattr(_parse(spec.flag, value), name) == value
        code, err = _parse(spec.flag, "bogus")
        assert code == 2 and f"argument {'/'.join(flags)}: invalid choice: 'bogus'" in err, err
    elif spec.kind in (int, float):
        value = spec.kind(spec.low if spec.low is not None else 1)
        parsed = getattr(_parse(spec.flag, str(value)), name)
        assert type(parsed) is spec.kind and parsed == value
        code, err = _parse(spec.flag, "1.5" if spec.kind is int else "x")
        assert code == 2 and f"argument {'/'.join(flags)}: invalid {spec.kind.__name__} value" in err, err
    elif spec.kind is bool:
        no = "--no-" + spec.flag[2:]
        assert flags == [spec.flag, no]
        assert getattr(_parse(spec.flag), name) is True and getattr(_parse(no), name) is False
    else:  # a list, read by config_from_args
        assert getattr(_parse(spec.flag, "a,b"), name) == "a,b"


@pytest.mark.unit
@pytest.mark.parametrize("name", NUMBERS)
def test_validate_refuses_every_number_out_of_the_tables_range(name):
    spec = SETTINGS[name]
    base = StyleConfig()  # L-BFGS: any learning rate in the table's range can run (Adam's must be above 0)
    bad = [float("nan")] if spec.kind is float else []
    if spec.low is not None:
        bad.append(spec.kind(spec.low - (1 if spec.kind is int else max(spec.low * 0.5, 0.01) if spec.low else 1)))
    if spec.high is not None:
        bad.append(spec.kind(spec.high + (1 if spec.kind is int else spec.high)))
    for value in bad:
        if spec.zero and value == 0:
            continue
        with pytest.raises(ValueError, match=rf"{name} must be"):
            base.replace(**{name: value}).validate()
    good = [v for v in (spec.low, spec.high) if v is not None] + ([0] if spec.zero else [])
    for value in good:
        base.replace(**{name: spec.kind(value)}).validate()


@pytest.mark.unit
@pytest.mark.parametrize("name", CHOICES)
def test_validate_refuses_a_choice_not_in_the_table(name):
    with pytest.raises(ValueError, match=rf"{name} must be one of {', '.join(SETTINGS[name].choices)}"):
        StyleConfig(**{name: "bogus"}).validate()
    for value in SETTINGS[name].choices:
        StyleConfig(**{name: value}).validate()


@pytest.mark.unit
def test_cli_errors_name_the_flag_of_the_table():
    from nst.__main__ import CliError, build_parser, config_from_args

    for name in NUMBERS:
        spec = SETTINGS[name]
        if spec.high is None:
            value = spec.low - 1
        else:
            value = spec.high * 2 + 1
        args = build_parser().parse_args(["stylize", "a.jpg", "b.jpg", spec.flag, str(spec.kind(value))])
        with pytest.raises(CliError, match=rf"{spec.flag} must be"):
            config_from_args(args)


@pytest.mark.unit
def test_a_missing_layer_weight_is_1_everywhere():
    import numpy as np
    import tensorflow as tf

    from nst import losses

    cfg = preset("gatys", layer_weights={"block1_conv1": 3.0})
    assert cfg.w_l() == {**{layer: 1.0 for layer in cfg.style_layers}, "block1_conv1": 3.0}
    rng = np.random.default_rng(0)
    grams = {layer: tf.constant(rng.random((3, 3)), tf.float32) for layer in ("a", "b")}
    targets = {layer: tf.zeros((3, 3)) for layer in ("a", "b")}
    missing, per_layer = losses.style_loss(grams, targets, {"a": 2.0})
    explicit, _ = losses.style_loss(grams, targets, {"a": 2.0, "b": 1.0})
    assert float(missing) == pytest.approx(float(explicit))
    assert float(missing) == pytest.approx(2 * float(per_layer["a"]) + float(per_layer["b"]))


# --- the link codec ---------------------------------------------------------------------------------

@pytest.mark.unit
@pytest.mark.parametrize("name", list(PRESETS))
def test_link_round_trip_for_every_preset(name):
    cfg = PRESETS[name]
    query = link.to_query(cfg)
    again, notes = link.from_query(query)
    assert notes == [] and again == cfg
    # every linked setting changed (within what the studio's widgets offer) comes back the same
    changed = {}
    for key in link.LINKED:
        spec = SETTINGS[key]
        if spec.choices:
            changed[key] = next(c for c in spec.picks if c != getattr(cfg, key))
        else:
            low, high = spec.ui_range
            changed[key] = spec.kind(low + (high - low) / 3) if spec.kind is float else spec.kind((low + high) // 3)
    cfg = cfg.replace(**changed)
    query = link.to_query(cfg)
    assert set(query) == {SETTINGS[k].url for k in changed} | ({"preset"} if name != "deep" else set())
    again, notes = link.from_query(query)
    assert notes == [] and again == cfg


@pytest.mark.unit
def test_link_values_that_cannot_be_used_are_named():
    cfg, notes = link.from_query({"preset": "nope", "size": "5000", "opt": "sgd", "seed": "x", "sscale": "3",
                                  "minsize": "0"})
    base = PRESETS["deep"]
    assert cfg.size == SETTINGS["size"].high and cfg.optimizer == base.optimizer and cfg.seed == base.seed
    assert cfg.style_scale == SETTINGS["style_scale"].ui_high and cfg.min_size == 0 and cfg.preset == "deep"
    assert len(notes) == 5 and all(n.endswith(".") for n in notes)
    assert any("size=5000 is outside 32..1024" in n for n in notes)
    assert any("opt='sgd'" in n and "lbfgs, adam" in n for n in notes)


# --- params.json of earlier versions ----------------------------------------------------------------

@pytest.mark.unit
def test_from_dict_reads_the_old_weights_key():
    assert StyleConfig.from_dict({"weights": "npz"}).vgg_weights == "npz"
    assert StyleConfig.from_dict({"weights": "npz", "vgg_weights": "imagenet"}).vgg_weights == "imagenet"
    assert "weights" not in StyleConfig().to_dict() and StyleConfig().to_dict()["vgg_weights"] == "hed"


@pytest.mark.unit
def test_from_dict_reads_the_old_style_weights_key():
    old = StyleConfig.from_dict({"style_weights": {"block1_conv1": 2.0}})
    assert old.layer_weights == {"block1_conv1": 2.0} and old.w_l()["block1_conv1"] == 2.0
    both = {"style_weights": {"block1_conv1": 2.0}, "layer_weights": {"block1_conv1": 3.0}}
    assert StyleConfig.from_dict(both).layer_weights == {"block1_conv1": 3.0}
    assert "style_weights" not in StyleConfig().to_dict() and StyleConfig().to_dict()["layer_weights"] == {}


@pytest.mark.unit
def test_from_params_reruns_a_run_recorded_before_the_rename(tmp_path, capfd):
    code, _, err = run_main(capfd, "stylize", CONTENT, STYLE, *TINY, "-q", "--out", tmp_path / "d")
    assert code == 0, err
    params = json.loads((tmp_path / "d" / "gen_0" / "params.json").read_text())
    old = dict(params)
    renamed = {"vgg_weights": "weights", "layer_weights": "style_weights"}  # today's key -> the old one
    old["config"] = {renamed.get(k, k): v for k, v in params["config"].items()}
    assert old["config"]["weights"] == "hed" and not set(renamed) & set(old["config"])
    (tmp_path / "old.json").write_text(json.dumps(old))
    code, _, err = run_main(capfd, "stylize", "--from", tmp_path / "old.json", "-q", "--out", tmp_path / "d")
    assert code == 0, err
    assert "ignoring" not in err and "does not record" not in err, err  # the old key is known, nothing missing
    again = json.loads((tmp_path / "d" / "gen_1" / "params.json").read_text())
    assert again["config"] == params["config"]
    # an old run's w_l (key "style_weights") are its w_l again
    layer = params["config"]["style_layers"][0]
    old_w = {**old, "config": {**old["config"], "style_weights": {layer: 2.0}}}
    (tmp_path / "old_w.json").write_text(json.dumps(old_w))
    code, _, err = run_main(capfd, "stylize", "--from", tmp_path / "old_w.json", "-q", "--out", tmp_path / "d")
    assert code == 0 and "ignoring" not in err, err
    again = json.loads((tmp_path / "d" / "gen_2" / "params.json").read_text())
    assert again["config"]["layer_weights"] == {layer: 2.0} and "style_weights" not in again["config"]
    # an old npz run stays an npz run (the missing file is named, as for a new one)
    old["config"]["weights"] = "npz"
    (tmp_path / "old_npz.json").write_text(json.dumps(old))
    code, _, err = run_main(capfd, "stylize", "--from", tmp_path / "old_npz.json", "--npz", tmp_path / "none.npz",
                            "--out", tmp_path / "d")
    assert code == 2 and "none.npz" in one_error_line(err)


# --- the studio's widgets -----------------------------------------------------------------------------

@pytest.mark.app
def test_the_studios_widgets_are_the_tables(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from .test_studio import PAGE, TIMEOUT

    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "data"))
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.run()
    at.radio(key="studio_optimizer").set_value("adam").run()  # Adam shows its learning rate
    assert not at.exception
    seen = set()
    for kind in ("slider", "number_input", "radio"):
        for element in getattr(at, kind):
            name = (element.key or "").removeprefix("studio_")
            if name not in SETTINGS:
                continue
            spec = SETTINGS[name]
            seen.add(name)
            assert element.label == spec.label, name
            assert spec.help.rstrip(".")[1:] in element.help, name
            if spec.choices:
                assert list(element.options) == [spec.choice_label(c) for c in spec.picks], name
            else:
                low, high = spec.ui_range
                assert element.min == (0 if spec.zero else low) and element.max == high, name
                if spec.ui_step is not None:
                    assert element.step == spec.ui_step, name
    assert seen == set(link.LINKED) | {"preset"}, "every linked setting has its widget"
    assert SETTINGS["seed"].high == 2**32 - 1 and math.isclose(SETTINGS["style_scale"].ui_low, 0.25)


# --- one link for every page ----------------------------------------------------------------------------

@pytest.mark.unit
def test_no_page_reads_or_writes_the_link_but_through_ui_link():
    from .conftest import ROOT

    for path in [*ROOT.glob("views/*.py"), *ROOT.glob("ui/**/*.py"), ROOT / "app.py"]:
        if path.name == "link.py":
            continue
        code = path.read_text()
        assert "st.query_params" not in code.replace("(st.query_params)", ""), path
        assert 'bind="query-params"' not in code and "bind='query-params'" not in code, path


@pytest.mark.app
def test_a_setting_means_the_same_in_the_studio_and_on_page_6(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from .conftest import ROOT

    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "data"))
    studio_link = link.to_query(preset("article", beta=0.001, alpha=10.0))
    assert studio_link == {"preset": "article", "alpha": "10"}  # beta 0.001 is the article's: no link noise
    at = AppTest.from_file(str(ROOT / "views" / "6_loss_playground.py"), default_timeout=180)
    at.query_params.update({"play_size": "96", **studio_link, "beta": "0.01"})
    at.run()
    assert not at.exception
    assert at.select_slider(key="alpha").value == "10" and at.select_slider(key="beta").value == "1e-2"
    assert at.select_slider(key="alpha").label == SETTINGS["alpha"].label
    at.select_slider(key="beta").set_value("1e-4").run()
    assert at.query_params["beta"] == link.text("beta", 1e-4)  # the studio's text for the same number
    at.select_slider(key="beta").set_value("1e-3").run()
    assert "beta" not in at.query_params, "the table's default makes no link noise"
