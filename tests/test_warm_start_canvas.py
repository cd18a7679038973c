"""The canvas shows a warm-started layer (issue 25): the layers named in training.warm_start_layers
carry a tag saying where their weights come from and how long they stay frozen, drawn beside the
node; a network trained from scratch has none, and the tags follow the settings live."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage, QPainter

from playground.network.preset import resolve_preset
from widgets.canvas_items import WARM_FILL
from widgets.testing import close_window, make_window


@pytest.fixture
def window(qtbot, tmp_path):
    w = make_window(tmp_path)
    yield w
    close_window(w)


def warm_tags(w) -> dict[str, str]:
    return {nid: item.warm.text() for nid, item in w.scene.nodes.items() if item.warm.isVisible()}


def amber_pixels(w) -> int:
    """Pixels of the tag's fill in the scene as drawn (the node bodies and canvas are other colours)."""
    scene = w.scene
    rect = scene.itemsBoundingRect()
    image = QImage(int(rect.width()) + 1, int(rect.height()) + 1, QImage.Format.Format_RGB32)
    image.fill(QColor("#000000"))
    painter = QPainter(image)
    scene.render(painter, target=image.rect().toRectF(), source=rect)
    painter.end()
    fill = QColor(WARM_FILL).rgb()
    return sum(1 for y in range(0, image.height(), 2) for x in range(0, image.width(), 2)
               if image.pixel(x, y) == fill)


def test_finetune_layers_are_tagged_with_their_source_and_freeze(window) -> None:
    preset = resolve_preset("digits_finetune")
    window.doc.replace(preset, None, source="example digits_finetune")
    layers = [part.strip() for part in preset.training.warm_start_layers.split(",")]
    assert layers == ["enc", "code_fc"]
    tags = warm_tags(window)
    expected = (f"warm: {preset.training.warm_start}\nfrozen {preset.training.freeze_epochs} epochs")
    assert tags == {nid: expected for nid in layers}
    assert "digits_pretrain_autoencoder" in expected and preset.training.freeze_epochs > 0
    assert "weights start from digits_pretrain_autoencoder" in window.scene.nodes["enc"].toolTip()
    assert amber_pixels(window) > 50

    # the tags follow the settings: no freezing drops the second line, no source drops the tags
    window.doc.set_training("freeze_epochs", 0)
    assert warm_tags(window) == {nid: "warm: digits_pretrain_autoencoder" for nid in layers}
    window.doc.set_training("warm_start", "")
    assert warm_tags(window) == {}
    assert amber_pixels(window) == 0


def test_scratch_has_no_tag(window) -> None:
    window.doc.replace(resolve_preset("digits_scratch"), None, source="example digits_scratch")
    assert window.scene.nodes and warm_tags(window) == {}
    assert amber_pixels(window) == 0
    assert "weights start from" not in window.scene.nodes["enc"].toolTip()


def test_check_lr_find_and_search_refuse_a_warm_started_preset_in_one_line(window, monkeypatch) -> None:
    """They train from the seed alone, so on digits_finetune they would test random encoder layers,
    not the pretrained, frozen ones Train uses: each says so in one line and opens nothing."""
    from PySide6.QtWidgets import QMessageBox
    told: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a, **k: told.append((title, text)))
    window.doc.replace(resolve_preset("digits_finetune"), None, source="example digits_finetune")
    assert window.train_block_reason() == ""
    for name in ("check", "lr_find", "search"):
        window.actions_by_name[name].trigger()
    assert [title for title, _ in told] == ["Pre-flight check", "Find learning rate", "Random search"]
    for title, text in told:
        assert "\n" not in text and text.startswith(f"{title} cannot run on this preset")
        assert "'digits_pretrain_autoencoder'" in text and "enc, code_fc" in text and "warm_start" in text
    assert window.__dict__.get("_babysit_dialogs", []) == []


def test_the_refusal_is_only_for_warm_started_presets() -> None:
    from playground.babysit.seed_only import seed_only_refusal
    assert seed_only_refusal(resolve_preset("digits_scratch"), "Pre-flight check") == ""
    finetune = resolve_preset("digits_finetune")
    assert seed_only_refusal(finetune, "Pre-flight check")
    finetune.training.warm_start = ""
    assert seed_only_refusal(finetune, "Pre-flight check") == ""
