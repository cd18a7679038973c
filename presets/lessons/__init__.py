"""The built-in presets' guided lessons (`NAME.md`): package data installed as
`playground._presets.lessons`; see playground/course/lessons.py. Nothing here is code."""
