"""The command line: `playground train|presets|...|gui` (`main`, which imports each package's
`commands` module only when its command runs) and the desktop entry.

May import: anything in `playground` (it is the top); never Qt.
"""
