"""Help ▸ Concept notes and About: written from the engine's own declarations (the layer
catalogue, the training settings, the examples' descriptions), so the notes never disagree
with what the app does."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

MOUSE_AND_KEYS = """
<h2>Building a network</h2>
<ul>
<li><b>Add a layer</b>: drag it from the palette onto the canvas, or double-click it (it is added
below the end of the chain). A layer dropped just below the last layer of a chain is connected to
it; a layer dropped onto a connection is inserted into it.</li>
<li><b>Connect</b>: drag from a layer's lower port (its output) to another layer's upper port (its
input). A layer that takes one input is rewired; Add and Concat take several.</li>
<li><b>Disconnect</b>: click a connection and press Delete, or right-click it.</li>
<li><b>Select several</b>: drag a box on empty canvas, or Ctrl+click. <b>Move</b>: drag layers.</li>
<li><b>Zoom</b>: mouse wheel, Ctrl++ / Ctrl+−, Ctrl+0 fits the whole network.
<b>Pan</b>: middle mouse button, or hold Space and drag.</li>
<li><b>Tidy up</b>: Edit ▸ Auto-layout (Ctrl+L). Every edit can be undone (Ctrl+Z).</li>
<li><b>Train</b>: F5 starts and pauses, F10 takes one step, Shift+F5 stops. Settings marked ⚡ apply
to a running training at its next step.</li>
</ul>
"""


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def concept_notes_html() -> str:
    from playground.course.examples import builtin_examples
    from playground.layers import CATALOGUE, GROUPS
    from playground.network.spec import HOT_SETTINGS, TRAINING_PARAMS

    parts = ["<h1>NN Playground: concept notes</h1>", MOUSE_AND_KEYS, "<h2>Layers</h2>"]
    for group in GROUPS:
        layers = [lt for lt in CATALOGUE.values() if lt.group == group]
        if not layers:
            continue
        parts.append(f"<h3>{_esc(group)}</h3><dl>")
        for lt in layers:
            params = "".join(f"<li><a name='{layer_anchor(lt.name, p.name)}'></a><code>{p.name}</code>: "
                             f"{_esc(p.help)}</li>" for p in lt.params)
            parts.append(f"<dt><a name='{layer_anchor(lt.name)}'></a><b>{lt.name}</b></dt><dd>{_esc(lt.help)}"
                         + (f"<ul>{params}</ul>" if params else "") + "</dd>")
        parts.append("</dl>")
    parts.append("<h2>Training settings</h2><dl>")
    for p in TRAINING_PARAMS:
        hot = " ⚡" if p.name in HOT_SETTINGS else ""
        parts.append(f"<dt><a name='{setting_anchor(p.name)}'></a><code>{p.name}</code>{hot}</dt>"
                     f"<dd>{_esc(p.help)}</dd>")
    parts.append("</dl><h2>Examples (File ▸ Examples)</h2><dl>")
    for ex in builtin_examples():
        parts.append(f"<dt><b>{ex.name}</b></dt><dd>{_esc(ex.description)}</dd>")
    parts.append("</dl>")
    return "\n".join(parts)


def layer_anchor(type_name: str, param: str = "") -> str:
    """The notes' anchor of a layer type (or of one of its parameters)."""
    return f"layer-{type_name}" + (f"-{param}" if param else "")


def setting_anchor(name: str) -> str:
    return f"setting-{name}"


class NotesDialog(QDialog):
    """The concept notes: the reference every "?" in the app opens at its entry."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conceptNotes")
        self.setWindowTitle("Concept notes")
        self.resize(760, 720)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(concept_notes_html())
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def show_entry(self, anchor: str = "") -> None:
        """Show the notes (without blocking the window) at `anchor`'s entry."""
        self.show()
        self.raise_()
        self.activateWindow()
        if anchor:
            self.browser.scrollToAnchor(anchor)


ABOUT_HTML = """<h3>NN Playground</h3>
<p>Build neural networks by drag and drop, train them live, look inside, export them.</p>
<p>For students of a first deep-learning course and anyone sketching a small model before writing
code. The network is plain data (a preset); the engine builds a PyTorch module from it.</p>
<p>PySide6 (Qt), pyqtgraph and PyTorch. MIT licence.</p>"""
