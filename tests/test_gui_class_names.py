"""An imported CSV's class names reach the app's panels and the run record, and the decision
boundary of a 13-input data set is drawn on its principal components (issue 22)."""
from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

from playground.run_records.store import list_runs  # noqa: E402
from test_own_data import WINE_CLASSES  # noqa: E402
from test_projection import wine_preset  # noqa: E402

TIMEOUT = 60_000


def test_a_csv_runs_class_names_reach_the_panels_and_the_record(qtbot, bare_controller, runs_dir, tmp_path):
    from widgets.panels.confusion import ConfusionPanel
    from widgets.panels.decision_boundary import DecisionBoundaryPanel
    controller = bare_controller
    csv = tmp_path / "wine.csv"
    controller.start(wine_preset(csv))
    qtbot.waitUntil(lambda: controller.state == "finished", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: bool(list_runs(runs_dir)) and list_runs(runs_dir)[0].status == "finished",
                    timeout=TIMEOUT)
    names = csv.read_text(encoding="utf-8").splitlines()[0].split(",")[2:]   # the file's own first line
    assert names == WINE_CLASSES

    confusion = controller.panel(ConfusionPanel.title)
    confusion.dirty = True
    confusion.draw_now()
    left = [label for _, label in confusion.plot.getAxis("left")._tickLevels[0]]
    assert [label.split(": ", 1)[-1] for label in left] == names
    header, rows = confusion.csv_table()
    assert header[1:] == names and [r[0] for r in rows] == names

    record = json.loads((runs_dir / list_runs(runs_dir)[0].id / "run.json").read_text(encoding="utf-8"))
    assert record["classes"] == names and len(record["input_names"]) == 13

    boundary = controller.panel(DecisionBoundaryPanel.title)
    boundary.dirty = True
    boundary.draw_now()
    bottom = boundary.plot.getAxis("bottom").labelText
    left_axis = boundary.plot.getAxis("left").labelText
    assert bottom.startswith("PC1 (") and bottom.endswith("% of variance)") and left_axis.startswith("PC2 (")
    assert "slice through the mean of the other 11 components" in boundary.hint.text()
    image = boundary.regions.image
    assert image is not None and image.shape == (60, 60) and len(np.unique(image)) >= 2   # regions drawn
    assert len(boundary.points.data) > 100   # the training points over them


def test_class_names_stand_under_the_columns_where_they_fit(qtbot):
    from playground.training.events import ConfusionEvent
    from widgets.panels.confusion import ConfusionPanel
    names = ["class_0", "class_1", "class_2"]
    panel = ConfusionPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.ingest([ConfusionEvent(1, np.array([[5, 1, 0], [0, 6, 1], [0, 0, 4]]), names)])
    panel.dirty = True
    panel.draw_now()
    ticks = lambda side: [label for _, label in panel.plot.getAxis(side)._tickLevels[0]]  # noqa: E731
    assert ticks("bottom") == names and ticks("left") == names
    panel.resize(160, 700)   # too narrow for the names: numbers under the columns, named rows
    qtbot.waitUntil(lambda: ticks("bottom") == ["0", "1", "2"], timeout=5000)
    assert ticks("left") == ["0: class_0", "1: class_1", "2: class_2"]
