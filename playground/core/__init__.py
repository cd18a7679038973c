"""The foundation every other part stands on: reading and writing the files people keep without
hanging or bloating (`files`), terminal-safe text (`terminal_text`), how counts and lists read (`words`), worker processes that die with
their parent (`workers`), the three seeds of a run (`seeds`) and where the built-in presets, lessons
and resources live (`builtin_data`).

May import: nothing else in the engine (only the standard library, numpy and torch).
"""
