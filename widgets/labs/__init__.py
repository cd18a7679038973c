"""The labs' windows: one page per lab (activation gallery, optimizer race, initialization
explorer, backprop step by step), each drawing what `playground.labs` computes.

May import: `panels`, `tasks`.
"""
