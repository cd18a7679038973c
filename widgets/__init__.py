"""The Qt app: windows, the layer builder, plot panels, the training thread.

The window sits at the top: `app`, `main_window` with its `window_menus`, `window_docks` and
`window_training`, the canvas, the data and course pages. It may import every package below. Those
packages share a few of its modules, which import no package of `widgets` themselves.

Shared modules: `tasks`, `theme`, `commands`, `document`, `data_reading`, `panel_groups`.

Each package's docstring says which of these, and which sibling packages, it may import
(`tests/test_import_direction.py` holds every module to it). Any part may import the
engine (`playground`), which never imports Qt or `widgets` (`tests/test_engine_imports.py`).
"""
