"""``workbench explore``: beyond labels, from the command line (the Explore panel calls the same core).

    workbench explore project --data builtin:digits --method tsne --out points.csv
    workbench explore project --project P --run RUN_ID --layer 9 --method umap     # a layer of a trained run
    workbench explore layers --project P --run RUN_ID                                # its layer summary
    workbench explore cluster --data builtin:digits --method kmeans --k auto --save-dir out --name by-cluster
    workbench explore neighbours --data builtin:mnist --point 12 --k 8 --metric cosine
    workbench explore anomalies --data builtin:digits [--project P --run AUTOENCODER_RUN]
    workbench explore autoencoder --data builtin:mnist --kind conv --code 16 --epochs 10 --project P
    workbench explore forecast --data weather.csv --time-column date --column temperature --horizon 3
    workbench explore lm --data builtin:imdb --level char --epochs 5 --temperature 0.5 --temperature 1.0

Every command takes ``--json`` (one JSON object on the last line). ``--layer`` counts from 1 as
the layer summary does; without it a run's code layer (its narrowest) is used.
"""
from __future__ import annotations

import argparse
import sys

from workbench import cli_args
from workbench.core.errors import WorkbenchError
from workbench.core import params as P

NAME = "explore"


def _progress(done: int, total: int, text: str) -> None:
    if not sys.stderr.isatty():
        return
    sys.stderr.write(f"\r{done}/{total} {text[:60]:<60}")
    sys.stderr.flush()
    if total and done >= total:
        sys.stderr.write("\n")


_emit = cli_args.emit


def _source_options(p: argparse.ArgumentParser, *, run: bool = True) -> None:
    p.add_argument("--data", help="builtin:NAME, an image folder or a CSV file")
    p.add_argument("--target", help="target / label column of a CSV")
    p.add_argument("--time-column", help="time column of a CSV table")
    p.add_argument("--text-column", help="text column of a text CSV")
    p.add_argument("--image-size", default=(64, 64), type=cli_args.image_size, help="image folders: WIDTHxHEIGHT")
    if run:
        p.add_argument("--project", help="project folder with the run")
        p.add_argument("--run", help="a run id: explore one of its layers instead of the raw inputs")
        p.add_argument("--layer", type=P.param(P.UNITS, label="layer").arg_type, help="the layer (from 1, as in the layer summary)")
    p.add_argument("--max-points", type=P.param(P.MAX_POINTS, label="max points").arg_type, default=20000,
                   help="subsample larger sets to this many points (default 20000)")
    p.add_argument("--seed", type=P.SEED.arg_type, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object on the last line")


def _dataset(args, required: bool = True):
    from workbench.core.data import load_data

    if not args.data:
        if required:
            raise WorkbenchError("Give the data with --data (builtin:NAME, an image folder or a CSV file).")
        return None
    return load_data(args.data, target=args.target, time_column=args.time_column, text_column=args.text_column,
                     image_size=tuple(args.image_size))


def _embedding(args):
    from workbench.core.explore import raw_embedding, run_embedding

    if getattr(args, "run", None):
        if not args.project:
            raise WorkbenchError("--run needs the project folder that holds it (--project DIR).")
        ds = _dataset(args, required=False)
        layer = args.layer - 1 if args.layer else None
        return run_embedding(args.project, args.run, layer, dataset=ds, max_points=args.max_points, seed=args.seed,
                             progress=_progress), ds
    ds = _dataset(args)
    return raw_embedding(ds, max_points=args.max_points, seed=args.seed), ds


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="Explore data without labels: projections, clusters, neighbours, "
                                         "anomalies, autoencoders, forecasting.",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="explore_command", metavar="WHAT", required=True)

    q = sub.add_parser("project", help="PCA, t-SNE or UMAP of the raw inputs or of a run's layer")
    _source_options(q)
    q.add_argument("--method", choices=("pca", "tsne", "umap"), default="pca")
    q.add_argument("--dims", type=cli_args.bounded_int(2, 3), default=2)
    q.add_argument("--components", help="PCA: the components on the axes, e.g. 1,3")
    q.add_argument("--perplexity", type=P.param(P.POSITIVE_REAL, label="perplexity").arg_type, default=30.0)
    q.add_argument("--early-exaggeration", type=P.param(P.POSITIVE_REAL, label="early exaggeration").arg_type, default=12.0)
    q.add_argument("--iterations", type=P.param(P.ITERATIONS, label="iterations").arg_type, default=750)
    q.add_argument("--neighbors", type=P.param(P.NEIGHBORS, label="neighbors").arg_type, default=15, help="UMAP's n_neighbors")
    q.add_argument("--min-dist", type=P.param(P.NONNEG_REAL, label="min dist").arg_type, default=0.1, help="UMAP's min_dist")
    q.add_argument("--out", help="write the points as CSV (row, label, x, y[, z])")
    q.set_defaults(func=run_project)

    q = sub.add_parser("layers", help="the layer summary of a run (what --layer can pick)")
    q.add_argument("--project", required=True)
    q.add_argument("--run", required=True)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=run_layers_cmd)

    q = sub.add_parser("cluster", help="K-Means (k by silhouette), DBSCAN or agglomerative clustering")
    _source_options(q)
    q.add_argument("--method", choices=("kmeans", "dbscan", "agglomerative"), default="kmeans")
    q.add_argument("--k", default="auto", help="number of clusters, or 'auto' (the best silhouette of 2..12)")
    q.add_argument("--eps", type=P.param(P.POSITIVE_REAL, label="eps").arg_type, help="DBSCAN's eps (default: from the data)")
    q.add_argument("--min-samples", type=P.param(P.COUNT, label="min samples").arg_type, default=5)
    q.add_argument("--save-dir", help="save the clustered samples as a labelled data set in this folder")
    q.add_argument("--name", default="clusters", help="name of the saved data set")
    q.add_argument("--clusters", help="only these clusters (e.g. 1,3); default all")
    q.set_defaults(func=run_cluster)

    q = sub.add_parser("neighbours", help="the k nearest neighbours of one sample")
    _source_options(q)
    q.add_argument("--point", type=P.param(P.NONNEG_INT, label="point").arg_type, required=True, help="data-set row of the sample")
    q.add_argument("--k", type=P.param(P.COUNT, label="k").arg_type, default=8)
    q.add_argument("--metric", choices=("euclidean", "cosine"), default="euclidean")
    q.set_defaults(func=run_neighbours)

    q = sub.add_parser("anomalies", help="the most unusual samples (distance to cluster centres, or an "
                                         "autoencoder run's reconstruction error)")
    _source_options(q)
    q.add_argument("--n", type=P.param(P.COUNT, label="number of samples").arg_type, default=20)
    q.add_argument("--k", type=P.param(P.COUNT, label="k").arg_type, default=10, help="clusters for the distance method")
    q.set_defaults(func=run_anomalies)

    q = sub.add_parser("autoencoder", help="train a dense or convolutional (denoising) autoencoder")
    _source_options(q, run=False)
    q.add_argument("--project", help="save the run in this project folder")
    q.add_argument("--kind", choices=("dense", "conv"), default="dense")
    q.add_argument("--code", type=P.param(P.UNITS, label="code").arg_type, default=16, help="code (bottleneck) size")
    q.add_argument("--noise", type=P.param(P.NONNEG_REAL, label="noise").arg_type, default=0.0, help="> 0: denoising, Gaussian noise of this std")
    q.add_argument("--loss", choices=("auto", "bce", "mse"), default="auto")
    q.add_argument("--epochs", type=P.EPOCHS.arg_type, default=10)
    q.add_argument("--batch-size", type=P.BATCH_SIZE.arg_type, default=128)
    q.add_argument("--lr", type=P.LR.arg_type, default=1e-3)
    q.set_defaults(func=run_autoencoder)

    q = sub.add_parser("forecast", help="next-value forecasting on a time-ordered table column")
    _source_options(q, run=False)
    q.add_argument("--project", help="save the run in this project folder")
    q.add_argument("--column", help="the column to forecast (default: the target)")
    q.add_argument("--window", type=P.param(P.LENGTH, label="window").arg_type, default=24)
    q.add_argument("--horizon", type=P.param(P.LENGTH, label="horizon").arg_type, default=1)
    q.add_argument("--units", type=P.param(P.UNITS, label="units").arg_type, default=32)
    q.add_argument("--cell", choices=("GRU", "LSTM"), default="GRU")
    q.add_argument("--epochs", type=P.EPOCHS.arg_type, default=30)
    q.add_argument("--val", type=cli_args.fraction, default=0.15)
    q.add_argument("--test", type=cli_args.fraction, default=0.15)
    q.set_defaults(func=run_forecast)

    q = sub.add_parser("lm", help="a character- or word-level language model (next token) on a text data set")
    _source_options(q, run=False)
    q.add_argument("--project", help="save the run in this project folder")
    q.add_argument("--level", choices=("char", "word"), default="char")
    q.add_argument("--vocab", type=P.VOCAB_SIZE.arg_type, help="vocabulary size (default 200 characters / 5000 words)")
    q.add_argument("--length", type=P.param(P.LENGTH, label="length").arg_type, default=64, help="tokens per training window")
    q.add_argument("--units", type=P.param(P.UNITS, label="units").arg_type, default=128)
    q.add_argument("--cell", choices=("GRU", "LSTM"), default="GRU")
    q.add_argument("--epochs", type=P.EPOCHS.arg_type, default=8)
    q.add_argument("--texts", type=P.param(P.COUNT, label="texts").arg_type, default=2000, help="texts at most")
    q.add_argument("--temperature", type=P.param(P.POSITIVE_REAL, label="temperature").arg_type, action="append",
                   help="sampling temperature (repeat the option for several; default 0.5 and 1.0)")
    q.add_argument("--prompt", default="")
    q.set_defaults(func=run_lm)
    p.set_defaults(func=lambda a: p.print_help() or 2)
    return p


def run_project(args) -> int:
    from workbench.core.explore import project

    emb, _ = _embedding(args)
    comps = None
    if args.components:
        try:
            comps = tuple(int(c) - 1 for c in args.components.split(","))
        except ValueError:
            raise WorkbenchError(f"--components {args.components!r} is not a list of numbers like 1,3.") from None
    proj = project(emb.vectors, args.method, dims=args.dims, components=comps, perplexity=args.perplexity,
                   early_exaggeration=args.early_exaggeration, n_iter=args.iterations, n_neighbors=args.neighbors,
                   min_dist=args.min_dist, seed=args.seed, progress=_progress)
    if args.out:
        import csv
        import io

        from workbench.core.jsonio import atomic_write_text

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["row", "label"] + ["x", "y", "z"][: proj.coords.shape[1]])
        for i, row in enumerate(emb.indices):
            w.writerow([int(row), emb.class_name(i)] + [f"{v:.6g}" for v in proj.coords[i]])
        atomic_write_text(args.out, buf.getvalue())
    obj = {"points": len(proj), "n_total": emb.n_total, "source": emb.description, "method": proj.method,
           "params": proj.params, "seconds": proj.seconds, "explained_variance": proj.explained_variance,
           "components": [c + 1 for c in proj.components] if proj.method == "pca" else None, "out": args.out}
    return _emit(args, obj, [emb.description, emb.count_text(), proj.describe()]
                 + ([f"points written to {args.out}"] if args.out else []))


def run_layers_cmd(args) -> int:
    from workbench.core.explore import run_layers

    layers = run_layers(args.project, args.run)
    lines = [f"{l['index'] + 1:>3}  {l['type']:<16} {str(tuple(l['output_shape'])):<16} {l['params']:>10,}"
             for l in layers]
    return _emit(args, {"layers": layers}, lines)


def _k_of(args, X):
    from workbench.core.explore import suggest_k

    if str(args.k).lower() == "auto":
        s = suggest_k(X, seed=args.seed, progress=_progress)
        return s.best_k, s
    try:
        return int(args.k), None
    except ValueError:
        raise WorkbenchError(f"--k must be a number or 'auto', not {args.k!r}.") from None


def run_cluster(args) -> int:
    from workbench.core.explore import cluster, cluster_report, save_selection

    emb, ds = _embedding(args)
    sug = None
    k = 8
    if args.method in ("kmeans", "agglomerative"):
        k, sug = _k_of(args, emb.vectors)
    c = cluster(emb.vectors, args.method, k=k, eps=args.eps, min_samples=args.min_samples, seed=args.seed)
    rep = cluster_report(emb.vectors, c, emb.labels, emb.class_names)
    obj = {"points": len(emb), "n_total": emb.n_total, "method": c.method, "params": c.params,
           "n_clusters": c.n_clusters, "noise": c.n_noise, "silhouette": c.silhouette,
           "suggestion": sug.to_dict() if sug else None, **rep.to_dict()}
    lines = [emb.count_text(), c.describe()]
    if sug:
        lines.append("silhouette by k: " + ", ".join(f"{kk}: {s:.3f}" for kk, s in zip(sug.ks, sug.silhouettes)
                                                    if s is not None) + f" -> k = {sug.best_k}")
    lines.append("sizes: " + ", ".join(f"{'noise' if i < 0 else i + 1}: {n}" for i, n in rep.sizes.items()))
    if rep.ari is not None:
        lines.append(f"adjusted Rand index against the labels: {rep.ari:.3f}; purity {rep.purity:.1%}")
    if args.save_dir:
        if ds is None:
            from workbench.core.explore import load_run
            from workbench.core.explore.embeddings import run_dataset

            ds = run_dataset(load_run(args.project, args.run))
        keep = list(range(c.n_clusters))
        if args.clusters:
            try:
                keep = [int(v) - 1 for v in args.clusters.split(",")]
            except ValueError:
                raise WorkbenchError(f"--clusters {args.clusters!r} is not a list like 1,3.") from None
        sel = [i for i, lab in enumerate(c.labels) if lab in keep]
        saved = save_selection(ds, emb.indices[sel], [f"cluster {c.labels[i] + 1}" for i in sel], args.save_dir,
                               args.name)
        obj["saved"] = saved.to_dict()
        lines.append(f"saved {saved.n_samples} samples as {saved.path} ({saved.format})")
    return _emit(args, obj, lines)


def run_neighbours(args) -> int:
    from workbench.core.explore import nearest_neighbours

    emb, _ = _embedding(args)
    where = [i for i, r in enumerate(emb.indices) if int(r) == args.point]
    if not where:
        raise WorkbenchError(f"Row {args.point} is not among the {len(emb):,} points explored; raise --max-points "
                             f"or pick another row.")
    nn = nearest_neighbours(emb.vectors, where[0], args.k, args.metric)
    rows = [int(emb.indices[i]) for i in nn.indices]
    obj = {"point": args.point, "label": emb.class_name(where[0]), "metric": nn.metric, "neighbours": rows,
           "labels": [emb.class_name(i) for i in nn.indices], "distances": nn.distances}
    return _emit(args, obj, [f"row {r}  {emb.class_name(i):<12} {d:.4f}" for r, i, d in
                             zip(rows, nn.indices, nn.distances)])


def run_anomalies(args) -> int:
    from workbench.core.explore import cluster, distance_anomalies, load_run, reconstruction_anomalies

    if args.run:
        if not args.project:
            raise WorkbenchError("--run needs the project folder that holds it (--project DIR).")
        from workbench.core.explore.embeddings import model_inputs, run_dataset, subsample

        loaded = load_run(args.project, args.run)
        if loaded.record.task != "reconstruction":
            raise WorkbenchError(f"Run {args.run} is not an autoencoder; give an autoencoder run, or no run to use "
                                 f"distances to cluster centres.")
        ds = _dataset(args, required=False) or run_dataset(loaded)
        rows = subsample(len(ds), args.max_points, args.seed)
        an = reconstruction_anomalies(loaded.model, loaded.head, model_inputs(loaded, ds, rows), args.n)
        labels = [str(ds.class_names[int(ds.y[rows[i]])]) if ds.class_names else "" for i in an.indices]
    else:
        emb, ds = _embedding(args)
        c = cluster(emb.vectors, "kmeans", k=args.k, seed=args.seed)
        an = distance_anomalies(emb.vectors, c.centers, args.n)
        rows = emb.indices
        labels = [emb.class_name(i) for i in an.indices]
    found = [int(rows[i]) for i in an.indices]
    obj = {"method": an.method, "rows": found, "scores": an.scores, "labels": labels}
    return _emit(args, obj, [an.describe()] + [f"row {r}  {lab:<12} {s:.4g}" for r, lab, s in
                                                zip(found, labels, an.scores)])


def run_autoencoder(args) -> int:
    from workbench.core.explore.autoencoder import AutoencoderSettings, train_autoencoder

    ds = _dataset(args)
    s = AutoencoderSettings(kind=args.kind, code_size=args.code, noise=args.noise, loss=args.loss, epochs=args.epochs,
                            batch_size=args.batch_size, lr=args.lr, seed=args.seed, max_samples=args.max_points)
    res = train_autoencoder(ds, s, project=args.project)
    rec = res.record
    err = rec.details["reconstruction_error"]
    obj = {"run_id": rec.run_id, "history": rec.history, "best_epoch": rec.best_epoch, "stop_reason": rec.stop_reason,
           "code_layer": res.code_layer + 1, "reconstruction_error": err, "model": rec.model["name"],
           "parameters": rec.model["parameters"]}
    lines = [f"{rec.model['name']}: {rec.model['parameters']:,} parameters, code layer {res.code_layer + 1}",
             "validation loss by epoch: " + ", ".join(f"{h.get('val_loss', float('nan')):.4f}" for h in rec.history),
             f"mean validation reconstruction error ({err['loss']}): {err['val_mean']:.4f}"]
    if rec.run_id:
        lines.append(f"saved as run {rec.run_id}; explore its code: workbench explore project --project "
                     f"{args.project} --run {rec.run_id} --method tsne")
    return _emit(args, obj, lines)


def run_forecast(args) -> int:
    from workbench.core.explore.forecast import ForecastSettings, forecast

    ds = _dataset(args)
    s = ForecastSettings(column=args.column, window=args.window, horizon=args.horizon, units=args.units,
                         cell=args.cell, epochs=args.epochs, seed=args.seed, val=args.val, test=args.test)
    res = forecast(ds, s, project=args.project)
    obj = {"run_id": res.record.run_id, "column": res.series.name, "scores": res.scores,
           "beats_baseline": res.beats_baseline, "windows": {k: int(len(v)) for k, v in res.parts.items()},
           "filled_missing": res.series.filled}
    lines = [f"{res.series.name}: {len(res.series.values):,} values, windows of {s.window}, horizon {s.horizon}"]
    lines += [f"{part:>5}: model MAE {v['model_mae']:.4g}, repeat-last MAE {v['baseline_mae']:.4g}"
              for part, v in res.scores.items()]
    lines.append(res.describe())
    return _emit(args, obj, lines)


def run_lm(args) -> int:
    from workbench.core.explore.language import LanguageSettings, train_language_model
    from workbench.core.models import LAYER_TYPES

    if "Embedding" not in LAYER_TYPES:
        raise WorkbenchError("The language model needs the Embedding layer, which this installation does not have; "
                             "update Workbench.")
    ds = _dataset(args)
    s = LanguageSettings(level=args.level, vocab_size=args.vocab or (200 if args.level == "char" else 5000),
                         length=args.length, units=args.units, cell=args.cell, epochs=args.epochs,
                         max_texts=args.texts, seed=args.seed, temperatures=tuple(args.temperature or (0.5, 1.0)),
                         prompt=args.prompt)

    def said(p):
        if not args.json:
            ppl = p.get("val_perplexity")
            print(f"epoch {p['epoch']}" + (f", validation perplexity {ppl:.2f}" if ppl else ""))
            for t, text in p["samples"].items():
                print(f"  [temperature {t:g}] {text}")

    res = train_language_model(ds, s, on_sample=said, project=args.project)
    obj = {"run_id": res.record.run_id, "perplexity": res.perplexity, "unigram_perplexity": res.unigram_perplexity,
           "beats_unigram": res.beats_unigram, "samples": {str(k): v for k, v in res.samples.items()},
           "history": res.record.history}
    return _emit(args, obj, [res.describe()] + ([f"saved as run {res.record.run_id}"] if res.record.run_id else []))
