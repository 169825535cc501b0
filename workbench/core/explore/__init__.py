"""Beyond labels: embeddings, projections (PCA, t-SNE, UMAP), clustering, neighbours, anomalies,
autoencoders and next-step models (no Qt; scikit-learn, openTSNE, umap-learn and torch load lazily).

    emb = raw_embedding(ds, max_points=5000)            # or run_embedding(project, run_id, layer)
    proj = project(emb.vectors, "tsne", perplexity=30, progress=..., should_cancel=...)
    c = cluster(emb.vectors, "kmeans", k=suggest_k(emb.vectors).best_k)
    rep = cluster_report(emb.vectors, c, emb.labels, emb.class_names)   # ARI, cluster-vs-class table
    save_selection(ds, emb.indices[c.labels == 0], ["cluster 1"] * n, out_dir, "my-set")
"""
from workbench.core.explore.anomalies import Anomalies, distance_anomalies, reconstruction_anomalies, reconstruction_errors
from workbench.core.explore.clustering import (
    Clustering, ClusterReport, KSuggestion, cluster, cluster_report, examples_per_cluster, suggest_eps, suggest_k,
)
from workbench.core.explore.embeddings import (
    Embedding, LoadedRun, layer_activations, list_runs, load_run, preview, raw_embedding, run_embedding, run_layers,
    subsample,
)
from workbench.core.explore.neighbours import Neighbours, PointIndex, nearest_neighbours, points_in_polygon, search_labels
from workbench.core.explore.projection import Projection, ProjectionCancelled, project
from workbench.core.explore.selection import SavedSelection, save_selection

__all__ = [
    "Anomalies", "ClusterReport", "Clustering", "Embedding", "KSuggestion", "LoadedRun", "Neighbours", "PointIndex",
    "Projection", "ProjectionCancelled", "SavedSelection",
    "cluster", "cluster_report", "distance_anomalies", "examples_per_cluster", "layer_activations", "list_runs", "load_run", "preview",
    "nearest_neighbours", "points_in_polygon", "project", "raw_embedding", "reconstruction_anomalies",
    "reconstruction_errors", "run_embedding", "run_layers", "save_selection", "search_labels", "subsample",
    "suggest_eps", "suggest_k",
]
