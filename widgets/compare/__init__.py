"""The compare view: recorded runs side by side (browser, overlay, settings, layers, scatter)."""
