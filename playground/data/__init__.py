"""Offline data sets: generated or bundled, never downloaded.

Importing this package registers every data set in `DATASETS` (in display order):
2-D points, regression, images, sequences, then a person's own files (csv, npz, images).
"""
from playground.data.base import DATASETS, DataSetType, Dataset, make_dataset
from playground.data import toy2d, regression, images, sequences  # noqa: F401  (registers sets)
from playground.data import importers  # noqa: F401  (registers csv, npz, images: a person's own data)
from playground.data.images import DIGITS_RESOURCE, load_digits_arrays

__all__ = ["DATASETS", "DataSetType", "Dataset", "make_dataset", "augment", "corrupt",
           "DIGITS_RESOURCE", "load_digits_arrays"]


def __getattr__(name: str):
    """augment and corrupt run on tensors: importing them (and torch) waits until they are used,
    so `playground data inspect` answers without torch."""
    if name in ("augment", "corrupt"):
        from playground.data import transforms
        return getattr(transforms, name)
    raise AttributeError(f"module 'playground.data' has no attribute {name!r}")
