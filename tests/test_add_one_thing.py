"""One place to add one thing: an importer, an activation and a pre-flight check, each declared
here in the test module as a newcomer (or a plugin) would, show up where a person sees them:
`playground data inspect` reads the new file suffix, the activations lab draws the new function
and the dead-unit card names it, `playground check` runs and titles the new check."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from playground.command_line.main import main


# ---------------------------------------------------------------- an importer
def _read_points(path: Path, params: dict, progress, cancelled):
    """'.pts': one sample a line, 'x1 x2 class'."""
    from playground.data.importers.report import ImportReport, class_facts
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    x = np.array([[float(a), float(b)] for a, b, _ in rows], dtype=np.float32)
    names = sorted({c for *_, c in rows})
    y = np.array([names.index(c) for *_, c in rows], dtype=np.int64)
    report = ImportReport("points", path.name, "pts", len(rows), (2,), "classification", len(names), names, {})
    class_facts(report, y)
    return x, y, report


@pytest.fixture
def points_importer():
    from playground.data.importers import FormField, Importer, Peek, register_importer, unregister_importer
    register_importer(Importer("test_pts", "points", "Point lists (.pts)", "x1 x2 class per line", (),
                               _read_points, lambda path: Peek("a point list"),
                               (FormField("seed", "seed"),), suffixes=(".pts",)))
    yield
    unregister_importer("test_pts")


def test_a_registered_importer_reads_its_suffix_in_data_inspect(points_importer, tmp_path, capsys):
    path = tmp_path / "dots.pts"
    lines = [f"{k} {k % 3} {'odd' if k % 2 else 'even'}" for k in range(12)]
    path.write_text("\n".join(lines) + "\n")
    assert main(["data", "inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dots.pts: pts, 12 samples, input (2,), classification")
    assert "2 classes (even: 6, odd: 6)" in out   # the file holds six of each


def test_a_registered_importer_is_named_where_the_app_and_the_command_line_ask_for_a_file(
        points_importer, qtbot, private_home, capsys):
    from widgets.testing import close_window, make_window
    with pytest.raises(SystemExit):
        main(["data", "inspect", "--help"])
    assert "or a .pts file" in " ".join(capsys.readouterr().out.split())   # (argparse wraps the help)
    window = make_window(private_home / "app", "xor_mlp")
    try:
        said = "a .csv file, an .npz archive, a folder with one subfolder per class, or a .pts file"
        assert window.actions_by_name["import_data"].toolTip() == f"Train on your own data: {said}"
        from widgets.data_page import DataPage
        page = DataPage(window, (2,))
        assert page.path_edit.placeholderText() == said
        page.close()
    finally:
        close_window(window)


def test_without_the_importer_the_suffix_is_read_as_csv(tmp_path, capsys):
    path = tmp_path / "dots.pts"
    path.write_text("".join(f"{k} {k % 3} {'odd' if k % 2 else 'even'}\n" for k in range(12)))
    assert main(["data", "inspect", str(path)]) == 2   # one column of text: not a table of inputs


# ---------------------------------------------------------------- an activation
class Cube(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x, min=0.0) ** 3


@pytest.fixture
def cube_activation():
    from playground.layers.activations import register_activation, unregister_activation
    from playground.layers.registry import Constructor
    register_activation("TestCube", "max(0, x)³ (registered by a test)", lambda p: Constructor(Cube),
                        formula="f(x) = max(0, x)³", can_die=True, saturates_at=(0.0, 1.0))
    yield
    unregister_activation("TestCube")


def test_a_registered_activation_is_in_the_lab_with_its_derivative(cube_activation):
    from playground.labs import activations
    assert "TestCube" in activations.names()
    curve = activations.curve("TestCube", 5, (-2.0, 2.0))
    assert curve.formula == "f(x) = max(0, x)³"
    assert np.allclose(curve.grads, [0.0, 0.0, 0.0, 3.0, 12.0])   # 3x² for x > 0, by hand


def test_a_registered_activation_that_can_die_gets_the_dead_unit_card(cube_activation):
    from playground.babysit.diagnoses import Diagnostician, saturated_fraction
    from playground.training.events import LayerProbe, LossEvent, ProbeEvent
    edges = np.linspace(0, 1, 11)
    piled = np.zeros(10)
    piled[[0, -1]] = 10
    assert saturated_fraction("TestCube", piled, edges) == 1.0   # its declared bounds, (0, 1)
    doc = Diagnostician()
    doc.observe(LossEvent(np.arange(200), np.full(200, 0.69), 0, 1e-3))   # a loss that has stalled
    found = []
    for step in (10, 20, 30):
        layer = LayerProbe("cube", "TestCube", 1e-3, 1.0, 1.0, np.ones(10), edges, 0.0, 1.0, 0.8)
        output = LayerProbe("out", "Linear", 1e-3, 1.0, 1.0, np.ones(10), edges, 0.0, 1.0, None)
        found += doc.observe(ProbeEvent(step, 0, [layer, output]))
    assert "Many TestCube units in 'cube' are dead" in [f.message for f in found]


# ---------------------------------------------------------------- a pre-flight check
@pytest.fixture
def custom_check():
    from playground.babysit.checks import PREFLIGHT_CHECKS, CheckResult, register_check

    @register_check("output_count", "Outputs counted", "the outputs counted")
    def count_outputs(run) -> CheckResult:
        n = run.trainer.model(run.tiny[0]).shape[-1]
        return CheckResult("output_count", "amber", float(n), 2.0, f"the network gives {n} outputs")

    yield
    del PREFLIGHT_CHECKS["output_count"]


def test_a_registered_check_runs_in_playground_check(custom_check, capsys):
    from playground.babysit.checks import check_title, checking_text
    main(["check", "xor_mlp", "--set", "training.epochs=1"])
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "output_count" in line)
    assert line.startswith("[warn]") and "the network gives 2 outputs" in line   # xor_mlp ends in Linear(2)
    assert check_title("output_count") == "Outputs counted"
    assert checking_text().endswith("backprop against finite differences, and the outputs counted…")


def test_the_app_menu_names_a_registered_check(custom_check, qtbot, private_home):
    from widgets.testing import close_window, make_window
    window = make_window(private_home / "app", "xor_mlp")
    try:
        tip = window.actions_by_name["check"].toolTip()
        assert tip.startswith("The notes' sanity checks before training: loss at initialization, ")
        assert tip.endswith("gradient check (float64), and outputs counted")   # the new one, last, in its words
    finally:
        close_window(window)


# ---------------------------------------------------------------- a panel
def _weight_norms_panel_class():
    from playground.training.events import WeightsEvent
    from widgets.panels.base import Panel

    class WeightNormsPanel(Panel):
        """A newcomer's panel: it keeps the newest weights event (of the engine's 'weights' view);
        its title is the declaration's."""
        snapshot_event = WeightsEvent

    return WeightNormsPanel


@pytest.fixture
def norms_panel(monkeypatch):
    import os
    import sys
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from widgets.panel_groups import INSIDE, PanelKind, register_panel, unregister_panel
    monkeypatch.setattr(sys.modules[__name__], "WeightNormsPanel", _weight_norms_panel_class(), raising=False)
    register_panel(PanelKind("Weight norms", INSIDE, "weights", __name__, "WeightNormsPanel"))
    yield
    unregister_panel("Weight norms")


def test_a_declared_panel_is_docked_in_its_group_listed_and_fed_its_view(norms_panel, qtbot, private_home):
    from widgets.panel_groups import INSIDE, titles_in
    from widgets.testing import close_window, make_window
    assert "Weight norms" in titles_in(INSIDE)
    window = make_window(private_home / "app", "xor_mlp")
    try:
        assert "Weight norms" in window.panel_docks                                    # docked…
        listed = [a.text().replace("&&", "&") for a in window.training_panels_menu.actions()]
        assert "Weight norms" in listed                                                # …in View ▸ Training Panels
        window.show_panel("Weight norms")
        assert window.panel_group == INSIDE                                            # …in its group
        panel = window.controller.panel("Weight norms")
        window.doc.set_training("epochs", 3)
        window.actions_by_name["train_start"].trigger()
        qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=60_000)
        assert panel.received > 0                                                      # …and fed its view
    finally:
        close_window(window)


def test_the_built_in_panels_class_titles_are_their_declarations(qapp):
    """The built-in panels keep a class title as a name to look them up by: it must be the
    declared one, which is what the window shows and lists."""
    import importlib
    from widgets.panel_groups import PANELS
    for kind in PANELS:
        cls = getattr(importlib.import_module(kind.module), kind.cls)
        assert cls.title == kind.title, kind
