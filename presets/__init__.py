"""The built-in presets (`NAME.json`): package data installed as `playground._presets`; see
playground/core/builtin_data.py. Nothing here is code."""
