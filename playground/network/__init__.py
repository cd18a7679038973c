"""The network and its spec: the plain-data description of a model, its data and its training
(`spec`), the preset files that hold it (`preset`, `overrides`, `cli_values`), the checks and shape
inference that say whether a graph is valid and fits its data (`shapes`, `fit`, `applies`), pure edits
and auto-layout of the graph (`graph_edits`, `layout`), the torch module built from it (`build`) and
the model file that carries weights with their preset (`model_file`).

May import: `core`, `params`, `layers`, `data`.
"""
