"""Babysitting in the app: the pre-flight check list, the diagnosis cards, the learning-rate
finder and the random-search dialog. The work itself is the engine's (playground.babysit).

May import: `panels`, `tasks`, `commands`.
"""
