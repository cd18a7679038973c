"""The course as content: the built-in examples (`examples`), their guided lessons (`lessons`), and
the numbers of a run a lesson may make a claim about (`metrics`).

May import: `core`, `params`, `layers`, `data`, `network`, `training`, `babysit`.
"""
