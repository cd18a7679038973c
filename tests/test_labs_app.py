"""Each lab page opens and draws what the engine computed (offscreen), and `lab --png` writes a figure."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from playground.labs import activations, init_explorer
from widgets.labs.activations import ActivationGalleryPage
from widgets.labs.backprop import BackpropPage
from widgets.labs.init_explorer import InitExplorerPage
from widgets.labs.optimizers import OptimizerRacePage, log_condition
from widgets.labs.window import LabsWindow


def test_activation_gallery_draws_every_activation_and_reads_the_gradient(qtbot):
    page = ActivationGalleryPage()
    qtbot.addWidget(page)
    page.show()
    assert set(page.plots) == set(activations.names())
    assert page.shaded("Sigmoid") == 2 and page.shaded("Identity") == 0
    page.at_box.setValue(2.0)
    assert page.gradient_label("Tanh") == f"f'(2) = {1 - np.tanh(2.0) ** 2:.3g}"
    assert "x = 2" in page.note.text()
    _, label = page.markers["Tanh"]   # read on a backdrop above the curves, which it often sat on
    curves = [i for i in page.plots["Tanh"].items if isinstance(i, pg.PlotDataItem)]
    assert label.fill.style() != pg.QtCore.Qt.BrushStyle.NoBrush and label.fill.color().alpha() > 200
    assert all(label.zValue() > c.zValue() for c in curves)
    assert not page.unit_box.isEnabled()   # no model trained yet
    from playground.labs.activations import ModelUnit
    page.set_model_units([ModelUnit("tanh", "Tanh", 0.5, 1 - np.tanh(0.5) ** 2)])
    assert page.at_box.value() == pytest.approx(0.5)
    assert page.plots["Tanh"].getViewBox().border is not None


def test_optimizer_race_paths_step_mode_and_learning_rates(qtbot):
    page = OptimizerRacePage(steps=80)
    qtbot.addWidget(page)
    page.show()
    xs, ys = page.paths["adam"].getData()
    assert len(xs) == 81
    page.step_slider.setValue(10)
    assert page.step_text.text().startswith("Adam step 10:")
    assert len(page.grad_arrow.getData()[0]) == 2
    page.set_lr("adam", 0.2)
    page.run()
    assert page.result["adam"].lr == pytest.approx(0.2)
    page.lr_row["gd"][0].setChecked(False)
    page.run()
    assert "gd" not in page.result and len(page.paths["gd"].getData()[0] or []) == 0
    page.surface_box.setCurrentText("quadratic")
    page.condition_slider.setValue(200)
    assert log_condition(200) == 100.0 and page.surface.condition == 100.0


def test_init_explorer_predict_then_reveal(qtbot):
    report = init_explorer.explore("tanh", "normal", 0.01, seeds=1, batch=50)
    page = InitExplorerPage(report=report)
    qtbot.addWidget(page)
    page.show()
    layers, stds = page.std_curve.getData()
    assert list(layers) == list(range(1, 11)) and 10 ** stds[0] == pytest.approx(report.act_std[0])   # log axis
    page.predict_check.setChecked(True)
    assert not page.canvas.isVisible() and page.guess_box.isVisible()
    page.guess_box.setCurrentText("layer 5")
    page.reveal()
    assert page.canvas.isVisible()
    assert "You said layer 5; right!" in page.note.text()


def test_init_explorer_draws_its_histograms_without_numeric_warnings(qtbot):
    """Its histograms' float32 ends went into the plots' range checks, which cast them against
    their 1e300 limits: an overflow warning at every drawing."""
    import warnings
    report = init_explorer.explore("tanh", "normal", 0.01, seeds=1, batch=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        page = InitExplorerPage(report=report)
        qtbot.addWidget(page)
        page.show()
    lo, hi = page.act_hists[0][0].getViewBox().viewRange()[0]
    assert (lo, hi) == pytest.approx((float(report.act_hist[0][1][0]), float(report.act_hist[0][1][-1])))


def test_backprop_page_steps_and_checks_against_autograd(qtbot):
    page = BackpropPage()
    qtbot.addWidget(page)
    page.show()
    first = page.step
    assert "Max |hand − autograd|" in page.note.text()
    assert page.table.columnCount() == 6 + 6 + 3 + 2
    page.next_step()
    assert page.step.loss == pytest.approx(first.loss_after)
    assert page.step.loss_after < page.step.loss


def test_labs_window_opens_each_lab(qtbot):
    w = LabsWindow(first="backprop")
    qtbot.addWidget(w)
    w.show()
    assert isinstance(w.show_lab("init"), InitExplorerPage)
    assert set(w.pages) == {"backprop", "init"}


def test_lab_png_from_the_command_line(tmp_path, capsys):
    from widgets.launch import main
    out = tmp_path / "backprop.png"
    assert main(["lab", "backprop", "--png", str(out)]) == 0
    from PySide6.QtGui import QImage
    img = QImage(str(out))
    assert img.width() == 1366 and img.height() == 768


def test_the_main_window_opens_the_labs_with_the_models_units(qtbot, tmp_path, monkeypatch):
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var))
    from playground.network.preset import resolve_preset
    from playground.training.trainer import Trainer
    from widgets.panels.activations import ActivationsPanel
    from widgets.testing import close_window, make_window
    w = make_window(tmp_path, "xor_mlp")
    qtbot.addWidget(w)
    try:
        events: list[object] = []
        trainer = Trainer(resolve_preset("xor_mlp"), device="cpu", on_event=events.append)
        trainer.step()
        w.controller.panel(ActivationsPanel.title).show_events(events)   # as a run's probes would
        help_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Help")
        labs = next(a for a in help_menu.actions() if a.text() == "&Labs…")
        labs.trigger()
        assert w._labs.isVisible()
        gallery = w._labs.pages["activations"]
        assert gallery.unit_box.isEnabled() and gallery.unit_box.currentText().startswith("tanh (Tanh)")
        w._labs.close()
    finally:
        close_window(w)


def test_the_engine_alone_draws_no_png_and_says_why(tmp_path, capsys):
    from playground.command_line.main import main
    from playground.labs.commands import set_figure_renderer
    set_figure_renderer(None)
    assert main(["lab", "backprop", "--png", str(tmp_path / "b.png")]) == 2
    assert "--png needs the app" in capsys.readouterr().err
    assert not (tmp_path / "b.png").exists()


def test_every_labs_tab_shows_at_the_windows_size_and_names_its_lab_whole(qtbot):
    """Eleven whole titles needed ~1540 px of tabs in a 1300 px window: the bar scrolled and the
    last labs were out of sight. Each tab is a short name now, its tooltip the whole title."""
    from widgets.labs.window import PAGES, TITLES
    w = LabsWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    bar = w.tabs.tabBar()
    assert w.width() <= 1366 and bar.count() == len(PAGES)
    right = max(bar.tabRect(i).right() for i in range(bar.count()))
    assert right < bar.width(), (right, bar.width())
    assert [w.tabs.tabToolTip(i) for i in range(bar.count())] == [TITLES[n] for n in PAGES]
    assert len(set(w.tabs.tabText(i) for i in range(bar.count()))) == len(PAGES)


def test_steps_to_the_cut_say_not_within_the_searched_steps_and_go_when_the_surface_changes(qtbot):
    """SGD at K = 1000 needs ~6900 steps at its best rate; the note said "SGD never" after a 5000-step
    search, and kept saying it on the next surface."""
    from playground.labs import optimizers
    best = optimizers.quadratic_steps(1000.0, ("gd", "momentum"), max_steps=300)
    assert best["gd"].steps is None and best["gd"].searched == 300 and best["momentum"].steps is not None
    assert optimizers.best_json(1000.0, best)["searched_steps"] == 300
    page = OptimizerRacePage(steps=40)
    qtbot.addWidget(page)
    page.surface_box.setCurrentText("quadratic")
    page.set_best(best)
    note = page.note.text()
    assert f"{optimizers.LABELS['gd']} not within 300" in note and "never" not in note
    page.surface_box.setCurrentText("rosenbrock")
    assert "steps to cut" not in page.note.text()


def test_a_diverged_path_does_not_set_the_loss_axis_and_is_named(qtbot):
    """SGD at lr 10 on the quadratic ran off to 1e18 and the axis's ten decades down from there left
    every other curve below the plot; the step text then said "SGD step 1" at step 30."""
    page = OptimizerRacePage(steps=60)
    qtbot.addWidget(page)
    page.show()
    page.surface_box.setCurrentText("quadratic")
    page.set_lr("gd", 10.0)
    page.run()
    gd = page.result["gd"]
    assert gd.diverged_at is not None and gd.diverged_at < 60 and np.abs(gd.points[-1]).max() > 1e6
    others = [m for m, p in page.result.items() if p.diverged_at is None]
    assert others
    lo, hi = page.loss_plot.getViewBox().viewRange()[1]   # decades
    start_gap = max(float(page.result[m].values[0]) for m in others)
    assert hi < np.log10(start_gap) + 1   # the top is the others' start, not the run-away's 1e18
    assert f"SGD diverged at step {gd.diverged_at}" in page.loss_plot.titleLabel.text
    page.step_method.setCurrentIndex(0)   # SGD
    page.step_slider.setValue(50)
    assert page.step_text.text().startswith(f"SGD diverged at step {gd.diverged_at}; its last step")


def test_a_changed_learning_rate_races_again_by_itself(qtbot):
    page = OptimizerRacePage(steps=40)
    qtbot.addWidget(page)
    page.show()
    page.lr_row["adam"][1].setValue(0.2)
    qtbot.waitUntil(lambda: page.result["adam"].lr == pytest.approx(0.2), timeout=5000)
    assert "Adam (lr 0.2)" in page.note.text()
    page.lr_row["gd"][0].setChecked(False)
    qtbot.waitUntil(lambda: "gd" not in page.result, timeout=5000)


def test_a_new_seed_starts_the_backprop_lab_from_that_seeds_network(qtbot):
    from playground.labs import backprop as bp
    page = BackpropPage()
    qtbot.addWidget(page)
    page.next_step()
    page.seed_box.setValue(9)
    assert page.step_count == 0
    assert page.step.loss == pytest.approx(bp.step(lr=page.lr_box.value(), weights=bp.initial_weights(9)).loss)
