"""The softmax and information lab: the naive softmax overflows in float32 where the max-subtraction
trick does not (checked against scipy in float64), scaled logits grow over-confident, and entropy,
cross-entropy and KL match scipy.stats.entropy, with H(p, q) = H(p) + KL(p‖q)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import softmax as scipy_softmax
from scipy.stats import entropy as scipy_entropy

from playground.command_line.main import main
from playground.labs import softmax as sm


@pytest.mark.parametrize("logits", [[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0], [89.0, 90.0]])
def test_naive_softmax_fails_in_float32_and_the_trick_matches_scipy(logits):
    o = sm.overflow(logits)
    assert o.naive_fails and np.all(np.isnan(o.naive))
    ref = scipy_softmax(np.array(logits, dtype=np.float64))
    assert o.stable.dtype == np.float32
    np.testing.assert_allclose(o.stable, ref, rtol=1e-6, atol=1e-7)
    assert o.shifted_exps.max() == 1.0 and np.all(o.shifted_exps <= 1.0)


def test_small_logits_give_the_same_answer_both_ways():
    z = [0.5, -1.0, 2.0, 3.0]
    o = sm.overflow(z)
    assert not o.naive_fails
    np.testing.assert_allclose(o.naive, scipy_softmax(np.array(z)), rtol=1e-6)
    np.testing.assert_allclose(o.stable, scipy_softmax(np.array(z)), rtol=1e-6)


def test_the_float32_exp_limit_is_where_exp_overflows():
    with np.errstate(over="ignore"):
        assert np.isfinite(np.exp(np.float32(88.7)))
        assert np.isinf(np.exp(np.float32(88.8)))
    assert 88.7 < sm.FLOAT32_EXP_LIMIT < 88.8


def test_scaling_the_logits_drives_the_largest_probability_to_one():
    z = np.array([1.0, 2.0, 3.0])
    c = sm.confidence(z)
    expected = np.array([scipy_softmax(f * z).max() for f in c.factors])
    np.testing.assert_allclose(c.max_prob, expected, rtol=1e-12)
    assert np.all(np.diff(c.max_prob) >= -1e-15)
    assert c.max_prob[0] == pytest.approx(1 / 3, abs=0.01) and c.max_prob[-1] > 0.999999
    assert c.entropy_bits[0] == pytest.approx(np.log2(3), abs=0.01) and c.entropy_bits[-1] < 1e-3
    # the largest probability reaches 0.99 where 1/(1 + e^-f + e^-2f) = 0.99: f ≈ 4.61, the sweep's next point is 5.01
    assert c.factor_for(0.99) == pytest.approx(5.01, abs=0.01)
    assert sm.confidence([2.0, 2.0]).factor_for(0.99) is None   # a tie stays 0.5 / 0.5


@pytest.mark.parametrize("p,q", [([0.7, 0.2, 0.1], [0.3, 0.4, 0.3]), ([1, 2, 3, 4], [4, 3, 2, 1]),
                                 ([0.5, 0.5, 0.0], [0.2, 0.3, 0.5])])
@pytest.mark.parametrize("unit,base", [("bits", 2.0), ("nats", np.e)])
def test_entropy_cross_entropy_and_kl_match_scipy(p, q, unit, base):
    info = sm.information(p, q, unit)
    pn, qn = np.array(p, float) / np.sum(p), np.array(q, float) / np.sum(q)
    assert info.entropy_p == pytest.approx(scipy_entropy(pn, base=base), rel=1e-12)
    assert info.entropy_q == pytest.approx(scipy_entropy(qn, base=base), rel=1e-12)
    assert info.kl == pytest.approx(scipy_entropy(pn, qn, base=base), rel=1e-12)
    assert info.kl_reverse == pytest.approx(scipy_entropy(qn, pn, base=base), rel=1e-12) or (
        np.isinf(info.kl_reverse) and np.isinf(scipy_entropy(qn, pn, base=base)))
    by_hand = -sum(a * np.log(b) for a, b in zip(pn, qn) if a > 0) / np.log(base)
    assert info.cross_entropy == pytest.approx(by_hand, rel=1e-12)
    assert info.cross_entropy == pytest.approx(info.entropy_p + info.kl, rel=1e-12)


def test_kl_is_zero_for_equal_distributions_and_infinite_where_q_misses_a_class():
    same = sm.information([0.2, 0.8], [0.2, 0.8])
    assert same.kl == pytest.approx(0.0, abs=1e-15) and same.cross_entropy == pytest.approx(same.entropy_p)
    miss = sm.information([0.5, 0.5], [1.0, 0.0])
    assert np.isinf(miss.kl) and np.isinf(miss.cross_entropy) and np.isfinite(miss.kl_reverse)
    assert "∞" in miss.identity_text()


@pytest.mark.parametrize("p,q", [([1.0], [1.0]), ([0.5, 0.5], [0.2, 0.3, 0.5]), ([-1, 2], [1, 1]), ([0, 0], [1, 1])])
def test_bad_distributions_are_refused(p, q):
    with pytest.raises(ValueError):
        sm.information(p, q)


def test_cli_json_and_text(capsys):
    assert main(["lab", "softmax", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overflow"]["naive_float32"] == ["nan"] * 3 and data["overflow"]["exp_float32"] == ["inf"] * 3
    np.testing.assert_allclose(data["overflow"]["stable_float32"], scipy_softmax([1000.0, 1001.0, 1002.0]), rtol=1e-6)
    info = data["information"]
    assert info["cross_entropy"] == pytest.approx(info["entropy_p"] + info["kl"])
    assert main(["lab", "softmax", "--logits", "1,2", "--factor", "10", "--p", "1,0", "--q", "0,1", "--unit", "nats",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["softmax_at_factor"] == pytest.approx(list(scipy_softmax([10.0, 20.0])))
    assert data["information"]["kl"] == "inf" and data["information"]["entropy_p"] == 0.0
    assert main(["lab", "softmax"]) == 0
    assert "['nan', 'nan', 'nan']" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--logits", "1,x"], ["--logits", "1,inf"], ["--factor", "0"],
                                  ["--unit", "dits"]])
def test_cli_refuses_bad_options(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(["lab", "softmax", *argv])
    assert e.value.code == 2


def test_page_recomputes_from_its_controls(qtbot):
    from widgets.labs.softmax import SoftmaxLabPage
    page = SoftmaxLabPage()
    qtbot.addWidget(page)
    page.show()
    assert page.lab.overflow.naive_fails and "fails in float32" in page.note.text()
    assert "nan, nan, nan" in page.softmax_plot.titleLabel.text
    page.logits_edit.setText("1, 2, 3")
    page.logits_edit.editingFinished.emit()
    assert not page.lab.overflow.naive_fails and "works for these logits" in page.note.text()
    page.factor_box.setValue(20.0)
    assert page.lab.scaled.max() == pytest.approx(scipy_softmax(20.0 * np.array([1.0, 2.0, 3.0])).max())
    page.set_weights([0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25])
    assert len(page.lab.information.p) == 4 and page.lab.information.kl == pytest.approx(0.0, abs=1e-15)
    assert page.lab.information.entropy_p == pytest.approx(2.0)   # 4 equal classes: 2 bits
    page.unit_box.setCurrentText("nats")
    assert page.lab.information.entropy_p == pytest.approx(np.log(4))
    page.logits_edit.setText("1, banana")
    page.logits_edit.editingFinished.emit()
    assert page.error and "Cannot compute" in page.note.text()


def test_labs_window_has_the_page_and_the_losses_chapter_names_it(qtbot):
    from playground.course.chapters import CHAPTERS
    from widgets.labs.softmax import SoftmaxLabPage
    from widgets.labs.window import LabsWindow
    w = LabsWindow(first="softmax")
    qtbot.addWidget(w)
    assert isinstance(w.pages["softmax"], SoftmaxLabPage)
    assert "softmax" in next(c for c in CHAPTERS if c.key == "losses").labs


def test_a_bad_logits_entry_blanks_the_softmax_and_leaves_p_and_q_working(qtbot):
    """The whole lab froze on a bad logits entry: the old bars stayed up, and p and q ignored their
    boxes, with one red line at the bottom as the only sign."""
    from widgets.labs.softmax import SoftmaxLabPage
    page = SoftmaxLabPage()
    qtbot.addWidget(page)
    page.show()
    for text in ("1, banana", "1,,2", "nan, 1", ""):
        page.logits_edit.setText(text)
        page.logits_edit.editingFinished.emit()
        assert page.lab is None and page.logits_error and page.softmax_bars is None, text
        assert "no softmax" in page.softmax_plot.titleLabel.text
        assert "border" in page.logits_edit.styleSheet() and "Cannot compute" in page.logits_edit.toolTip()
    page.set_weights([0.5, 0.5, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25])   # p and q still answer
    heights = page.info_bars[0].opts["height"]
    assert len(heights) == 4 and list(heights) == pytest.approx([0.5, 0.5, 0.0, 0.0])
    assert "KL(p‖q) = 1" in page.info_plot.titleLabel.text   # log2(0.5 / 0.25) = 1 bit
    page.logits_edit.setText("1, 2, 3")
    page.logits_edit.editingFinished.emit()
    assert page.lab is not None and page.error == "" and page.logits_edit.styleSheet() == ""
    assert page.lab.scaled == pytest.approx(scipy_softmax(np.array([1.0, 2.0, 3.0])))
    page.set_weights([0.0, 0.0], [0.5, 0.5])   # p all 0: p and q's half says so, the softmax stays
    assert page.information_error and not page.info_bars and page.softmax_bars is not None


def test_eight_classes_fit_a_1366_pixel_screen(qtbot):
    """p's and q's 16 boxes side by side made the labs window 1415 px wide."""
    from widgets.labs.window import LabsWindow
    window = LabsWindow(first="softmax")
    qtbot.addWidget(window)
    window.show()
    window.pages["softmax"].k_box.setValue(8)
    # (offscreen fonts: 1143 px side by side, 623 in two rows; Xvfb's fonts made it 1415)
    assert window.minimumSizeHint().width() < 900
