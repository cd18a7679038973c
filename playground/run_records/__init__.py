"""Run records and experiments over them: every run as a folder of plain files (`store`,
`run_data`, `summary`), training a preset to the end into a record
(`run_to_end`), twins, seed repeats and Welch verdicts (`experiments`, `verdicts`) and the lessons'
claims checked over seeds (`lesson_claims`).

May import: everything below it: `core`, `params`, `layers`, `data`, `network`, `training`,
`babysit`, `course`.
"""
