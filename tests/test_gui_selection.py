"""Model selection in the app: the classical baselines as lines on the accuracy panel (fitted off
the GUI thread, with the engine's figures), and learning/complexity curves in the compare view
drawn from the engine's curve."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import pytestqt  # noqa: F401  (a test dependency: missing, this file fails instead of skipping)

import playground.data.baselines as baselines_module
from playground.network.preset import resolve_preset


@pytest.fixture(scope="module")
def shared_window(qapp, tmp_path_factory):
    """One window for the file's panel tests (a window takes seconds to open)."""
    tmp = tmp_path_factory.mktemp("selection")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLAYGROUND_RUNS_DIR", str(tmp / "runs"))
        from widgets.testing import close_window, make_window
        w = make_window(tmp, "xor_mlp")
        yield w
        close_window(w)
    from widgets.training.controller import running_threads
    assert not running_threads()


@pytest.fixture
def window(shared_window, qtbot):
    shared_window.controller.panel("Loss & accuracy").reset()
    return shared_window


def test_the_accuracy_panel_draws_each_baseline_fitted_off_the_gui_thread(window, qtbot, monkeypatch):
    fitted_on: list[threading.Thread] = []
    original = baselines_module.fit_baselines

    def recording_fit(dataset):
        fitted_on.append(threading.current_thread())
        return original(dataset)

    monkeypatch.setattr(baselines_module, "_fitted", {})   # nothing cached: this run fits them
    # (the Diagnoses panel's accuracy bar, which reads the nearest-neighbour baseline, comes from the
    # training thread too: no fit on the GUI thread at all)
    monkeypatch.setattr(baselines_module, "fit_baselines", recording_fit)
    panel = window.controller.panel("Loss & accuracy")
    window.doc.preset.training.epochs = 100_000   # still running while the test reads the panel
    window.actions_by_name["train_start"].trigger()
    qtbot.waitUntil(lambda: len(panel.baselines.lines) == 3, timeout=30_000)
    qtbot.waitUntil(lambda: window.controller.is_running, timeout=30_000)   # (Stop is off while starting)
    window.actions_by_name["train_stop"].trigger()
    qtbot.waitUntil(lambda: not window.controller.is_active, timeout=60_000)

    assert fitted_on and all(t is not threading.main_thread() for t in fitted_on)
    from playground.data import make_dataset
    data = window.doc.preset.data
    expected = original(make_dataset(data.name, data.params))   # scikit-learn on the same split
    assert [b.name for b in expected] == ["logistic_regression", "knn_15", "rbf_svm"]
    drawn = {b.name: (line, plot) for b, line, plot in panel.baselines.lines}
    for b in expected:
        line, plot = drawn[b.name]
        assert plot is panel.acc_plot and line.angle == 0
        assert line.value() == pytest.approx(b.val)
    box, _placer = panel.baselines.boxes[id(panel.acc_plot)]
    labels = [label.text for _sample, label in box.items]   # named in a box inside the plot, best first
    want = {"logistic_regression": "logistic regression", "knn_15": "15-NN", "rbf_svm": "RBF SVM"}
    assert labels == [f"{want[b.name]} {b.val:.2f}" for b in sorted(expected, key=lambda b: -b.val)]
    assert box.isVisible() and box.parentItem() is panel.acc_plot.vb
    legend_texts = [label.text for _item, label in panel.legend.items]
    assert "baselines (scikit-learn, validation)" in legend_texts


def test_the_lines_follow_the_data_set_and_leave_with_a_reset(window, qtbot):
    panel = window.controller.panel("Loss & accuracy")
    lines = panel.baselines
    preset = window.doc.preset.copy()
    lines.request(preset)
    qtbot.waitUntil(lambda: len(lines.lines) == 3, timeout=30_000)
    before = {b.name: b.val for b, _l, _p in lines.lines}
    preset.data.params = {**preset.data.params, "noise": 0.5}
    lines.request(preset)
    assert not lines.lines   # the old data set's figures are gone at once
    qtbot.waitUntil(lambda: len(lines.lines) == 3, timeout=30_000)
    from playground.data import make_dataset
    noisy = baselines_module.fit_baselines(make_dataset(preset.data.name, preset.data.params))
    assert {b.name: b.val for b, _l, _p in lines.lines} == pytest.approx({b.name: b.val for b in noisy})
    assert {b.name: b.val for b, _l, _p in lines.lines} != before
    panel.reset()
    assert not lines.lines


def test_a_regression_on_mse_gets_the_baselines_mse_on_the_loss_plot(window, qtbot):
    panel = window.controller.panel("Loss & accuracy")
    preset = resolve_preset("regression_sine")
    assert preset.training.loss == "mse"
    panel.baselines.request(preset)
    qtbot.waitUntil(lambda: len(panel.baselines.lines) == 2, timeout=30_000)
    from playground.data import make_dataset
    expected = baselines_module.fit_baselines(make_dataset(preset.data.name, preset.data.params))
    drawn = {b.name: (line.value(), plot) for b, line, plot in panel.baselines.lines}
    assert {name: plot for name, (_v, plot) in drawn.items()} == {b.name: panel.loss_plot for b in expected}
    assert {name: v for name, (v, _p) in drawn.items()} == pytest.approx({b.name: b.val for b in expected})


def test_an_autoencoder_gets_no_baseline_lines(window):
    lines = window.controller.panel("Loss & accuracy").baselines
    preset = resolve_preset("digits_autoencoder")
    lines.request(preset)
    assert not lines.lines and not lines._tasks


def test_a_regression_on_another_loss_gets_no_mse_lines_on_its_loss_plot(window):
    lines = window.controller.panel("Loss & accuracy").baselines
    preset = resolve_preset("regression_sine")
    preset.training.loss = "l1"   # its loss curve is a mean absolute error: an MSE line would mislead
    lines.request(preset)
    assert not lines.lines and not lines._tasks


def test_closing_the_window_joins_a_baseline_fit_still_running(qapp, qtbot, tmp_path, monkeypatch):
    from widgets.tasks import running_tasks
    from widgets.testing import close_window, make_window
    release = threading.Event()

    def slow_fit(dataset):
        release.wait(1.0)   # a fit that takes a second: still running when the window closes
        return []
    monkeypatch.setattr(baselines_module, "_fitted", {})
    monkeypatch.setattr(baselines_module, "fit_baselines", slow_fit)
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    w = make_window(tmp_path, "xor_mlp")
    lines = w.controller.panel("Loss & accuracy").baselines
    lines.request(resolve_preset("xor_mlp"))
    assert running_tasks("baselines")
    close_window(w)
    assert not running_tasks("baselines")


# ---------------------------------------------------------------------- curves
@pytest.fixture
def compare(qtbot, tmp_path):
    from widgets.compare.window import CompareWindow
    w = CompareWindow(tmp_path / "runs")
    qtbot.addWidget(w)
    preset = resolve_preset("xor_mlp")
    preset.training.epochs = 3
    w.current_preset = lambda: preset.copy()
    yield w
    w.close()


def test_a_learning_curve_draws_the_engines_points(compare, qtbot):
    from playground.selection.curves import learning_curve
    compare.buttons["curve"].click()
    dialog = compare.curve_dialog
    dialog.fractions.setText("0.5,1")
    dialog.seeds.setText("1")
    assert dialog.epochs.value() == 3   # the preset's own epochs
    dialog.draw_button.click()
    qtbot.waitUntil(lambda: dialog.curve is not None, timeout=60_000)

    preset = resolve_preset("xor_mlp")
    preset.training.epochs = 3
    oracle = learning_curve(preset, [0.5, 1.0], [0])
    for split in ("train", "val"):
        x, y = dialog.plot.series(split)
        assert len(x) == 2
        assert list(x) == [p.n_train for p in oracle.points]
        assert y == pytest.approx([p.metrics[f"{split}_accuracy"].mean for p in oracle.points])
    assert not dialog.progress.isVisible() and dialog.draw_button.isEnabled()


def test_a_complexity_curve_marks_its_best_validation_point(compare, qtbot):
    dialog = compare.ask_curve()
    dialog.kind.setCurrentIndex(1)
    dialog.setting.setText("model.nodes[1].params.out_features")
    dialog.values.setText("1,16")
    dialog.seeds.setText("1")
    dialog.draw_button.click()
    qtbot.waitUntil(lambda: dialog.curve is not None, timeout=60_000)
    x, y = dialog.plot.series("val")
    assert len(x) == 2
    best_x, best_y = dialog.plot.best.getData()
    assert best_x[0] == x[int(np.argmax(y))] and best_y[0] == pytest.approx(max(y))


def test_a_bad_setting_is_one_line_in_the_dialog_and_trains_nothing(compare):
    dialog = compare.ask_curve()
    dialog.kind.setCurrentIndex(1)
    dialog.setting.setText("training.l3")
    dialog.values.setText("0,0.1")
    dialog.draw_button.click()
    assert dialog.task is None
    assert "training.l3" in dialog.message.text() and "\n" not in dialog.message.text()


# ---------------------------------------------------------------------- k-fold cross-validation
def test_cross_validation_shows_k_fold_rows_their_mean_and_the_single_split(compare, qtbot):
    from playground.run_records.store import list_runs
    dialog = compare.ask_cv()
    dialog.folds.setValue(3)
    dialog.epochs.setValue(2)
    dialog.run_button.click()
    assert dialog.progress.isVisible() and dialog.stop_button.isEnabled()
    with qtbot.waitSignal(dialog.task.ended, timeout=300_000):   # after `done` reached the dialog
        pass
    assert dialog.result is not None, dialog.message.text()
    cv = dialog.result

    assert cv.folds == 3 and len(cv.per_fold) == 3
    assert [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())] == [
        "fold 0", "fold 1", "fold 2", "mean ± sd", "single split"]
    # the per-fold values are the recorded runs' own validation accuracies, not the dialog's numbers
    records = {r.id: r for r in list_runs(compare.folder)}
    on_disk = [float(records[run].metrics["val_accuracy"]) for run in cv.runs]
    assert dialog.fold_values() == pytest.approx(on_disk)
    assert dialog.shown("mean ± sd") == pytest.approx(np.mean(cv.per_fold))
    assert cv.spread.std == pytest.approx(np.std(cv.per_fold, ddof=1))
    assert dialog.shown("single split") == pytest.approx(float(records[cv.single_split_run].metrics["val_accuracy"]))
    assert cv.single_split_reading[1:] in dialog.message.text()   # the engine's reading, as the command line prints it
    x, y = dialog.plot.fold_points()
    assert list(x) == [0, 1, 2] and y == pytest.approx(on_disk)
    assert dialog.plot.mean.getData()[1] == pytest.approx([np.mean(on_disk)] * 2)
    # the folds are one group in the runs browser, selected there once done; the single split is not in it
    assert {records[run].group for run in cv.runs} == {cv.group} and records[cv.single_split_run].group is None
    qtbot.waitUntil(lambda: {r.id for r in compare.browser.selected()} == set(cv.runs), timeout=30_000)
    from widgets.compare.plots import entries
    assert [e.label for e in entries(compare.browser.selected())] == ["xor_mlp ×3 folds"]   # one band, as a repeat
    assert not dialog.progress.isVisible() and dialog.run_button.isEnabled()


def test_stopping_cross_validation_ends_after_the_training_under_way(compare, qtbot):
    from playground.run_records.store import list_runs
    dialog = compare.ask_cv()
    dialog.folds.setValue(4)
    dialog.epochs.setValue(2)
    dialog.run_button.click()
    with qtbot.waitSignal(dialog.task.ended, timeout=120_000):
        dialog.stop()
    assert dialog.result is None and "Stopped" in dialog.message.text()
    assert 1 <= len(list_runs(compare.folder)) < 5   # not the four folds and the single split
    assert dialog.run_button.isEnabled()


# ---------------------------------------------------------------------- bias and variance
def test_bias_and_variance_draws_the_engines_decomposition(qtbot, tmp_path):
    from playground.selection.bias_variance import bias_variance
    from widgets.compare.window import CompareWindow
    w = CompareWindow(tmp_path / "runs")
    qtbot.addWidget(w)
    preset = resolve_preset("regression_sine")
    preset.training.epochs = 3
    w.current_preset = lambda: preset.copy()
    dialog = w.ask_bias_variance()
    assert dialog.setting.text() == "model.nodes[fc1].params.out_features"
    dialog.values.setText("1,8")
    dialog.sets.setValue(3)
    dialog.test_points.setValue(50)
    dialog.draw_button.click()
    with qtbot.waitSignal(dialog.task.ended, timeout=300_000):
        pass
    assert dialog.results is not None, dialog.message.text()
    oracle = bias_variance(preset, "model.nodes[fc1].params.out_features", [1, 8], n_sets=3, n_test=50)
    for field in ("bias2", "variance", "noise", "test_error"):
        _x, y = dialog.plot.series(field)
        assert y == pytest.approx([getattr(r, field) for r in oracle])
    assert dialog.table.rowCount() == 2
    w.close()


def test_bias_and_variance_refuses_a_classifier_in_one_line(compare):
    dialog = compare.ask_bias_variance()
    dialog.draw_button.click()
    assert dialog.task is None
    assert "regression" in dialog.message.text() and "\n" not in dialog.message.text()
