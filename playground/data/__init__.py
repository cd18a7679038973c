"""Offline data sets: generated or bundled, never downloaded.

Importing this package registers every data set in `DATASETS` (in display order):
2-D points, regression, images, sequences, then a person's own files (csv, npz, images), with
what each data set allows before any network: the chance loss and the classical baselines.

May import: `core`, `params`.
"""
from playground.data.base import DATASETS, DataSetType, Dataset, make_dataset
from playground.data import toy2d, regression, images, sequences  # noqa: F401  (registers sets)
from playground.data import importers  # noqa: F401  (registers csv, npz, images: a person's own data)
from playground.data.images import DIGITS_RESOURCE, load_digits_arrays

__all__ = ["DATASETS", "DataSetType", "Dataset", "make_dataset",
           "DIGITS_RESOURCE", "load_digits_arrays"]

