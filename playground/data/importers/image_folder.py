"""Image folders in the ImageFolder layout: one subfolder per class, images inside.

Every image is converted to grayscale or RGB and resized (Pillow) into one preallocated
(N, C, size, size) array with pixels in [0, 1]. A file Pillow cannot read is listed with its
path and skipped; only a folder with no usable classes stops the import.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from playground.data.importers.reference import folder_files
from playground.data.importers.report import (
    Cancelled, ImportCancelled, ImportProblem, ImportReport, Progress, class_facts)
from playground.core.files import open_regular
from playground.core.words import plural

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})
CHANNELS = ("grayscale", "rgb")
MAX_IMAGE_PIXELS = 50_000_000
"""Pillow's `Image.MAX_IMAGE_PIXELS`, set explicitly: a larger image (as its header declares, read
before any pixel is decoded) is skipped. A 12000x12000 PNG of one colour is a few kB on disk and
decodes to 432 MB of RGB; 50 MP is still above any phone camera's photos."""


def expected_tree(folder: Path) -> str:
    return (f"an image folder needs one subfolder per class, named after the class, e.g.\n"
            f"  {folder.name}/\n    cat/  001.png  002.png ...\n    dog/  001.png  002.png ...")


def read_image_folder(folder: Path, size: int = 28, channels: str = "grayscale",
                      progress: Progress | None = None, cancelled: Cancelled | None = None
                      ) -> tuple[np.ndarray, np.ndarray, ImportReport]:
    from PIL import Image, UnidentifiedImageError

    _guard_decompression_bombs(Image)
    if not folder.is_dir():
        raise ImportProblem(f"{folder} is not a folder; " + expected_tree(folder))
    if channels not in CHANNELS:
        raise ImportProblem(f"channels must be one of {', '.join(CHANNELS)}; got {channels!r}")
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = [p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if not classes:
        found = f" (it holds {plural(len(loose), 'image')} directly)" if loose else ""
        raise ImportProblem(f"{folder} has no class subfolders{found}; " + expected_tree(folder))
    report = ImportReport(kind="image", source=str(folder), format="images", n_samples=0, input_shape=(),
                          task="classification", n_classes=0, class_names=[], class_counts={})
    if loose:
        report.warnings.append(f"{plural(len(loose), 'image')} {'lies' if len(loose) == 1 else 'lie'} directly in "
                               f"{folder.name}/, outside any class subfolder: "
                               f"{'it is' if len(loose) == 1 else 'they are'} not used")
    files = folder_files(folder)
    c = 3 if channels == "rgb" else 1
    x = np.empty((len(files), c, size, size), dtype=np.float32)
    labels = np.empty(len(files), dtype=np.int64)
    index = {name: k for k, name in enumerate(classes)}
    n = 0
    coloured = 0
    """Images in colour read as grayscale: said in the report, since colour may be what tells the classes apart."""
    largest = (0, 0)
    """The largest image read (width, height): where even it is smaller than `size`, every image is enlarged."""
    for k, path in enumerate(files):
        if cancelled is not None and k % 16 == 0 and cancelled():
            raise ImportCancelled()
        rel = path.relative_to(folder).as_posix()
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            report.skip(rel, f"not an image file ({path.suffix or 'no extension'})")
            continue
        try:
            with open_regular(path, "image") as f, Image.open(f) as im:
                largest = max(largest, im.size, key=lambda wh: wh[0] * wh[1])
                if c == 1 and _in_colour(im):
                    coloured += 1
                im = im.convert("RGB" if c == 3 else "L").resize((size, size), Image.Resampling.BILINEAR)
                pixels = np.asarray(im, dtype=np.float32) / 255.0
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
            report.skip(rel, _too_large(str(e)))
            continue
        except UnidentifiedImageError:   # (Pillow's own words name the file object, not the file)
            report.skip(rel, "cannot be read as an image (not a format Pillow reads, or a damaged file)")
            continue
        except (OSError, SyntaxError, ValueError) as e:
            why = (str(e).splitlines()[0] if str(e) else type(e).__name__).replace(f"'{path}'", rel)
            report.skip(rel, f"cannot be read as an image ({why})")
            continue
        x[n] = pixels.transpose(2, 0, 1) if c == 3 else pixels[None]
        labels[n] = index[path.parent.name]
        n += 1
        if progress is not None and k % 16 == 0:
            progress((k + 1) / len(files))
    x, labels = x[:n], labels[:n]
    counts = np.bincount(labels, minlength=len(classes))
    empty = [name for name, cnt in zip(classes, counts) if cnt == 0]
    if empty:
        report.warnings.append("no usable images in " + ", ".join(f"{e}/" for e in empty)
                               + ": those classes are left out")
        keep = [name for name, cnt in zip(classes, counts) if cnt > 0]
        remap = np.cumsum(counts > 0) - 1
        labels = remap[labels]
        classes = keep
    if len(classes) < 2:
        what = f"only one class ({classes[0]!r})" if classes else "no readable images"
        raise ImportProblem(f"{folder} has {what}: a classifier needs at least two class subfolders "
                            f"with images; " + expected_tree(folder))
    if coloured:
        report.warnings.append(f"{coloured:,} of {plural(n, 'image')} are in colour: they are read in grayscale "
                               f"(channels 'grayscale'), which drops their colour; choose channels "
                               f"'colour (RGB)' where colour tells the classes apart")
    if n and max(largest) < size:
        w, h = largest
        report.warnings.append(f"every image is smaller than {size}×{size} (the largest is {w}×{h}): they are "
                               f"enlarged, which adds no detail; an import size of {max(w, h)} keeps their own pixels")
    report.n_samples = n
    report.input_shape = (c, size, size)
    report.n_classes = len(classes)
    report.class_names = classes
    class_facts(report, labels)
    if progress is not None:
        progress(1.0)
    return x, labels, report


GRAY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "F"})
COLOUR_STEP = 8
"""The largest difference between an image's red, green and blue values (0-255) still called gray:
a gray photo saved as RGB differs by rounding only."""


def _in_colour(im: "PIL.Image.Image") -> bool:  # noqa: F821  (Pillow is imported where images are read)
    """Whether an image holds colour, not only a colour mode: its channels differ somewhere (on a
    16×16 thumbnail, to keep the import fast)."""
    from PIL import Image
    if im.mode in GRAY_MODES:
        return False
    rgb = np.asarray(im.convert("RGB").resize((16, 16), Image.Resampling.BILINEAR), dtype=np.int16)
    return int(np.abs(np.diff(rgb, axis=2)).max()) > COLOUR_STEP


def _guard_decompression_bombs(image_module) -> None:
    """Pillow's pixel limit, and its between-limit-and-twice warning made an error (so the image is
    skipped, not decoded with a warning on stderr); both are process-wide Pillow settings."""
    image_module.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    warnings.filterwarnings("error", category=image_module.DecompressionBombWarning)


def _too_large(pillow_message: str) -> str:
    found = re.search(r"\((\d+) pixels\)", pillow_message)
    declares = f"its header declares {int(found.group(1)):,} pixels, " if found else ""
    return (f"too large: {declares}over the limit of {MAX_IMAGE_PIXELS:,} pixels "
            f"(a guard against decompression bombs); scale it down first")
