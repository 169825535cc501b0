"""Verification, identification and clustering on embeddings (scikit-learn does the maths).

Distances are Euclidean between L2-normalized embeddings (0 = identical, 2 = opposite).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.core.errors import DataError

UNKNOWN = "unknown"


def pair_distances(emb: np.ndarray, labels: np.ndarray, max_pairs: int | None = 50000,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Distances of all pairs i < j (a seeded sample when there are more than ``max_pairs``) and
    whether each pair is the same person."""
    emb = np.asarray(emb, np.float64)
    labels = np.asarray(labels)
    n = len(emb)
    i, j = np.triu_indices(n, k=1)
    if max_pairs is not None and len(i) > max_pairs:
        same_all = labels[i] == labels[j]
        # keep every same-person pair (they are the rare ones) and sample the rest
        pos = np.flatnonzero(same_all)
        neg = np.flatnonzero(~same_all)
        rng = np.random.default_rng(seed)
        room = max(max_pairs - len(pos), max_pairs // 2)
        if len(pos) > max_pairs // 2:
            pos = rng.choice(pos, max_pairs // 2, replace=False)
            room = max_pairs - len(pos)
        neg = rng.choice(neg, min(room, len(neg)), replace=False)
        keep = np.sort(np.concatenate([pos, neg]))
        i, j = i[keep], j[keep]
    d = np.linalg.norm(emb[i] - emb[j], axis=1)
    return d, labels[i] == labels[j]


@dataclass
class VerificationReport:
    """ROC of same/different pairs, distance histograms, equal error rate and the chosen threshold.

    ``threshold`` is the distance at the equal error rate: pairs closer than it are "same person".
    """

    fpr: np.ndarray
    tpr: np.ndarray
    distances_at: np.ndarray      # the distance threshold of each ROC point
    auc: float
    eer: float
    threshold: float
    hist_bins: np.ndarray
    hist_same: np.ndarray
    hist_diff: np.ndarray
    n_same: int
    n_diff: int
    accuracy: float               # of same/different decisions at ``threshold``
    mean_same: float
    mean_diff: float
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {"auc": self.auc, "eer": self.eer, "threshold": self.threshold, "accuracy": self.accuracy,
                "pairs_same": self.n_same, "pairs_different": self.n_diff,
                "mean_distance_same": self.mean_same, "mean_distance_different": self.mean_diff, **self.extra}

    def to_dict(self) -> dict:
        return {**self.summary(), "roc": {"fpr": self.fpr.tolist(), "tpr": self.tpr.tolist(),
                                          "distance": self.distances_at.tolist()},
                "histogram": {"bins": self.hist_bins.tolist(), "same": self.hist_same.tolist(),
                              "different": self.hist_diff.tolist()}}


def evaluate_pairs(d: np.ndarray, same: np.ndarray, bins: int = 40) -> VerificationReport:
    """ROC / AUC (sklearn) with "same" scored by -distance; EER where false accepts = false rejects."""
    from sklearn.metrics import auc as sk_auc
    from sklearn.metrics import roc_curve

    d = np.asarray(d, np.float64)
    same = np.asarray(same, bool)
    if same.all() or not same.any():
        raise DataError("Evaluation needs pairs of the same person and pairs of different people: "
                        "use at least 2 people with at least 2 photos each.")
    fpr, tpr, thr = roc_curve(same, -d)
    dist = -thr  # first entry is -inf: nothing accepted
    fnr = 1.0 - tpr
    k = int(np.argmin(np.abs(fpr - fnr)))
    eer = float((fpr[k] + fnr[k]) / 2)
    # roc_curve predicts "same" when -d >= thr, i.e. d <= -thr: the same rule the Verifier uses
    t = float(dist[k]) if np.isfinite(dist[k]) else float(d.min())
    hi = max(float(d.max()), t) * 1.02 + 1e-9
    edges = np.linspace(0.0, hi, bins + 1)
    hs, _ = np.histogram(d[same], edges)
    hd, _ = np.histogram(d[~same], edges)
    pred = d <= t
    return VerificationReport(
        fpr=fpr, tpr=tpr, distances_at=np.where(np.isfinite(dist), dist, 0.0), auc=float(sk_auc(fpr, tpr)),
        eer=eer, threshold=t, hist_bins=edges, hist_same=hs, hist_diff=hd, n_same=int(same.sum()),
        n_diff=int((~same).sum()), accuracy=float((pred == same).mean()), mean_same=float(d[same].mean()),
        mean_diff=float(d[~same].mean()))


def evaluate_embeddings(emb: np.ndarray, labels: np.ndarray, max_pairs: int | None = 50000,
                        bins: int = 40) -> VerificationReport | None:
    """``evaluate_pairs`` on all pairs of these embeddings; None when there are no same or no different pairs."""
    d, same = pair_distances(emb, labels, max_pairs=max_pairs)
    if len(d) == 0 or same.all() or not same.any():
        return None
    return evaluate_pairs(d, same, bins=bins)


def evaluate_encoder(encoder, crops, labels, max_pairs: int | None = 50000) -> VerificationReport:
    """Embed held-out people's crops with ``encoder`` and evaluate their pairs."""
    emb = encoder.embed(crops)
    rep = evaluate_embeddings(emb, labels, max_pairs=max_pairs)
    if rep is None:
        raise DataError("Evaluation needs at least 2 people with at least 2 photos each.")
    rep.extra["encoder"] = getattr(encoder, "name", "?")
    rep.extra["people"] = int(len(np.unique(labels)))
    rep.extra["images"] = int(len(labels))
    return rep


@dataclass(frozen=True)
class VerifyResult:
    accepted: bool
    distance: float
    threshold: float
    claimed: str

    def sentence(self) -> str:
        verdict = "accepted" if self.accepted else "rejected"
        rel = "<=" if self.accepted else ">"
        return f"{verdict}: distance {self.distance:.3f} {rel} threshold {self.threshold:.3f} to {self.claimed}"


class Verifier:
    """One-shot verification: is the probe within ``threshold`` of the claimed person's photos?"""

    def __init__(self, threshold: float):
        self.threshold = float(threshold)

    def distance(self, probe: np.ndarray, reference: np.ndarray) -> float:
        """Distance of one probe embedding to the nearest of the person's reference embeddings."""
        ref = np.atleast_2d(np.asarray(reference, np.float64))
        if ref.size == 0:
            raise DataError("The claimed person has no photos in the gallery; enroll them first.")
        return float(np.linalg.norm(ref - np.asarray(probe, np.float64).reshape(1, -1), axis=1).min())

    def verify(self, probe: np.ndarray, reference: np.ndarray, claimed: str = "") -> VerifyResult:
        d = self.distance(probe, reference)
        return VerifyResult(d <= self.threshold, d, self.threshold, claimed)


@dataclass(frozen=True)
class Match:
    name: str                 # UNKNOWN when the nearest person is farther than the threshold
    distance: float           # to the nearest gallery photo
    nearest: str              # the nearest person even when too far
    neighbors: tuple[tuple[str, float], ...] = ()


class Identifier:
    """k-nearest neighbours over the gallery embeddings (sklearn), "unknown" beyond ``threshold``.

    With k > 1 the name is the majority among the k nearest photos that lie within the threshold
    (ties go to the closer person).
    """

    def __init__(self, threshold: float, n_neighbors: int = 1):
        self.threshold = float(threshold)
        self.n_neighbors = max(1, int(n_neighbors))
        self._nn = None
        self._names: np.ndarray = np.array([], dtype=object)

    def fit(self, embeddings: np.ndarray, names) -> "Identifier":
        from sklearn.neighbors import NearestNeighbors

        embeddings = np.asarray(embeddings, np.float64)
        if len(embeddings) == 0:
            self._nn = None
            self._names = np.array([], dtype=object)
            return self
        if len(embeddings) != len(names):
            raise DataError(f"{len(embeddings)} embeddings but {len(names)} names.")
        self._names = np.asarray(list(names), dtype=object)
        self._nn = NearestNeighbors(n_neighbors=min(self.n_neighbors, len(embeddings))).fit(embeddings)
        return self

    @property
    def empty(self) -> bool:
        return self._nn is None

    def identify(self, embeddings: np.ndarray) -> list[Match]:
        embeddings = np.atleast_2d(np.asarray(embeddings, np.float64))
        if len(embeddings) == 0 or embeddings.size == 0:
            return []
        if self._nn is None:
            return [Match(UNKNOWN, float("inf"), "") for _ in range(len(embeddings))]
        dist, idx = self._nn.kneighbors(embeddings)
        out = []
        for drow, irow in zip(dist, idx):
            neigh = tuple((str(self._names[i]), float(dd)) for dd, i in zip(drow, irow))
            close = [(n, dd) for n, dd in neigh if dd <= self.threshold]
            if not close:
                out.append(Match(UNKNOWN, neigh[0][1], neigh[0][0], neigh))
                continue
            votes: dict[str, list[float]] = {}
            for n, dd in close:
                votes.setdefault(n, []).append(dd)
            name = max(votes, key=lambda n: (len(votes[n]), -min(votes[n])))
            out.append(Match(name, min(votes[name]), neigh[0][0], neigh))
        return out


@dataclass
class ClusterResult:
    labels: np.ndarray                 # (N,) group of each face
    k: int
    silhouette: dict[int, float]       # k -> silhouette score for every k tried
    suggested_k: int | None            # best k by silhouette (None when k was given and none tried)

    def groups(self) -> list[np.ndarray]:
        """Indices of each group, biggest group first."""
        gs = [np.flatnonzero(self.labels == g) for g in range(self.k)]
        return sorted(gs, key=lambda g: -len(g))


def suggest_k(emb: np.ndarray, k_min: int = 2, k_max: int = 10, seed: int = 0) -> tuple[int, dict[int, float]]:
    """The k in [k_min, k_max] with the best silhouette score of K-Means, and every score."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    emb = np.asarray(emb, np.float64)
    n = len(emb)
    if n < 3:
        raise DataError("Clustering needs at least 3 faces.")
    k_max = min(k_max, n - 1)
    scores: dict[int, float] = {}
    for k in range(max(2, k_min), k_max + 1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(emb)
        if len(np.unique(labels)) < 2:
            continue
        scores[k] = float(silhouette_score(emb, labels))
    if not scores:
        raise DataError("The faces are all identical; there is nothing to group.")
    return max(scores, key=scores.get), scores


def cluster_embeddings(emb: np.ndarray, k: int | None = None, k_max: int = 10, seed: int = 0) -> ClusterResult:
    """K-Means on the embeddings; with k=None the k with the best silhouette score is used."""
    from sklearn.cluster import KMeans

    emb = np.asarray(emb, np.float64)
    if len(emb) == 0:
        raise DataError("No faces to group: no face was found in the photos.")
    scores: dict[int, float] = {}
    suggested = None
    if k is None:
        suggested, scores = suggest_k(emb, 2, k_max, seed)
        k = suggested
    k = int(k)
    if k < 1 or k > len(emb):
        raise DataError(f"Cannot make {k} groups from {len(emb)} faces; choose k between 1 and {len(emb)}.")
    labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(emb)
    return ClusterResult(labels.astype(np.int64), k, scores, suggested)
