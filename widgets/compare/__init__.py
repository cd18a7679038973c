"""The compare view: recorded runs side by side (browser, overlay, settings, layers, scatter),
and the model-selection dialogs (learning and complexity curves, cross-validation, bias and
variance).

May import: `panels`, `tasks`.
"""
