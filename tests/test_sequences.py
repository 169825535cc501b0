"""Sequences & shots: syntax trees, captions, zero-shot and few-shot, each on tiny settings."""
import json

import numpy as np
import pytest

from workbench.core.errors import DataError
from workbench.core.studies.sequences import grammar as G


def test_arithmetic_tree_follows_precedence():
    assert " ".join(G._arith_tree("6 / 4 + 9 * 3".split())) == "( + ( / 6 4 ) ( * 9 3 ) )"
    assert " ".join(G._arith_tree("1 - 2 - 3".split())) == "( - ( - 1 2 ) 3 )"  # left-associative


def test_generated_trees_hold_their_sentence():
    for grammar in G.GRAMMARS:
        for ex in G.generate(grammar, 40, [1, 2, 3], seed=1):
            tree = G.read_tree(ex.tree)
            words = [w for w in ex.words if w not in G.OPERATORS]  # operators are the labels, digits the leaves
            assert tree is not None and G.leaves(tree) == words
    ex = G.english_example(np.random.default_rng(0), 0)
    assert ex.tree[:2] == ["(", "S"] and ex.words[0] in G.DETS


def test_parseval_scores():
    gold = "( + ( / 6 4 ) ( * 9 3 ) )".split()
    flat = "( + ( / 6 4 ) 9 3 )".split()  # misses one constituent and holds the sentence's leaves
    assert G.bracket_scores([gold], [gold])["bracket_f1"] == 1.0
    s = G.bracket_scores([gold], [flat])
    assert s["exact"] == 0.0 and s["bracket_precision"] == 1.0 and s["bracket_recall"] == pytest.approx(2 / 3)
    bad = G.bracket_scores([gold], ["(", "+", "6"])
    assert bad["well_formed"] == 0.0 and bad["bracket_f1"] == 0.0
    layout = G.draw_tree(gold)
    assert len(layout["nodes"]) == 7 and len(layout["edges"]) == 6
    assert G.draw_tree(["(", ")"]) is None
    with pytest.raises(DataError):
        G.generate("klingon", 5, [1])


def test_tree_parser_trains_scores_and_is_stored(tmp_path):
    from workbench.core.runs import RunRecord, RunStore
    from workbench.core.studies.sequences.trees import train_tree_parser

    out = train_tree_parser("arithmetic", n_train=300, n_test=60, epochs=2, hidden=32, train_sizes=[1, 2],
                            test_sizes=[3], beam=2, run_store=RunStore(tmp_path))
    assert 0.0 <= out.test["exact"] <= 1.0 and out.baseline["exact"] > 0.0  # left-to-right is right for 1 operator
    assert [r["size"] for r in out.length_curve] == [1, 2, 3]
    assert [r["trained"] for r in out.length_curve] == [True, True, False]
    assert out.beam_test is not None and "val_exact" in out.fit.history[-1]
    assert isinstance(out.parse("1 + 2"), list)
    rec = RunRecord.from_dict(json.loads((tmp_path / "runs" / out.run_id / "run.json").read_text()))
    assert rec.study == "sequences" and rec.details["task"] == "trees" and rec.test_metrics["exact"] == out.test["exact"]


def test_caption_scenes_and_held_out_pairs():
    from workbench.core.studies.detection.captions import COLOURS, SHAPES, generate_captioned, held_out_pairs

    held = held_out_pairs(3, seed=0)
    assert len({c for c, _ in held}) == 3 and len({s for _, s in held}) == 3
    cs = generate_captioned(60, 48, seed=2)
    assert cs.images.shape == (60, 48, 48, 3)
    for words, pairs in zip(cs.captions, cs.pairs):
        for c, s in pairs:
            assert c in COLOURS and s in SHAPES and c in words
    assert any(w[0] in ("two", "three") for w in cs.captions) and any("above" in w or "left" in w for w in cs.captions)


def test_captioner_scores_seen_unseen_and_baselines():
    from workbench.core.studies.sequences.captions import attention_overlays, train_captioner

    out = train_captioner(n=240, epochs=1, hidden=32, width=16, beam=2, n_test=40, gallery=4)
    assert set(out.test) == {"seen", "unseen"} and "beam" in out.test["seen"]
    assert set(out.baselines["seen"]) >= {"most_frequent", "nearest"}
    g = out.gallery[0]
    assert g["attention"].shape[1:] == (out.model.side, out.model.side)
    imgs, labels = attention_overlays(g["image"], g["attention"], g["greedy"].split())
    assert labels[0] == "image" and len(imgs) == len(labels) and imgs[1].shape == (192, 192, 3)
    assert out.record.details["task"] == "captions" and "seen_exact" in out.record.test_metrics
    assert out.settings["schedule"] == "cosine"  # the default: large steps first, small ones at the end


def test_cosine_schedule_lowers_the_learning_rate_epoch_by_epoch():
    from types import SimpleNamespace

    from workbench.core.studies.sequences.common import CosineLR

    groups = [{"lr": 2e-3}]
    trainer = SimpleNamespace(optimizer=SimpleNamespace(param_groups=groups))
    cb, seen = CosineLR(10), []
    for epoch in range(1, 11):
        cb.on_epoch_start(trainer, epoch)
        seen.append(groups[0]["lr"])
    assert seen[0] == pytest.approx(2e-3) and all(a > b for a, b in zip(seen, seen[1:]))
    assert seen[-1] < 0.05 * 2e-3


def test_one_object_places_never_overlap():
    """Each lone object's position names exactly one place: the areas are apart (an overlap made
    about 9 % of the one-object captions unknowable from the image)."""
    from itertools import combinations

    from workbench.core.studies.detection.captions import PLACES

    for (a, (ax, ay)), (b, (bx, by)) in combinations(PLACES.items(), 2):
        apart_x = ax[1] < bx[0] or bx[1] < ax[0]
        apart_y = ay[1] < by[0] or by[1] < ay[0]
        assert apart_x or apart_y, (a, b)


def test_captions_from_a_users_csv(tmp_path):
    import cv2

    from workbench.core.studies.detection.captions import generate_captioned, load_captions_csv
    from workbench.core.studies.sequences.captions import train_captioner

    cs = generate_captioned(14, 48, seed=3)
    lines = ["image,caption"]
    for i, (img, cap) in enumerate(zip(cs.images, cs.captions)):
        cv2.imwrite(str(tmp_path / f"im{i}.png"), img[..., ::-1])
        lines.append(f"im{i}.png,{' '.join(cap).capitalize()}.")
    lines.append("../outside.png,a red circle")  # outside the CSV's folder: skipped, not read
    (tmp_path / "caps.csv").write_text("\n".join(lines) + "\n")
    ds = load_captions_csv(tmp_path / "caps.csv")
    assert len(ds) == 14 and ds.captions[0] == cs.captions[0] and ds.source["skipped"]
    out = train_captioner(ds, epochs=1, hidden=16, width=8, beam=0, gallery=2)
    assert set(out.test) == {"seen"} and out.held_out == []
    (tmp_path / "few.csv").write_text("image,caption\nim0.png,a red circle\n")
    with pytest.raises(DataError):
        load_captions_csv(tmp_path / "few.csv")


def test_zero_shot_generated_and_plain_classifier_blind():
    from workbench.core.studies.sequences.zeroshot import run_zero_shot

    out = run_zero_shot(n_per_class=10, epochs=1, size=32)
    s = out.scores
    assert len(out.unseen) == 3 and s["plain_unseen"] == 0.0  # it cannot name a class it never saw
    assert 0.0 <= s["zsl_unseen"] <= 1.0 and s["chance_unseen"] == pytest.approx(1 / 3)
    assert out.record.details["task"] == "zeroshot" and out.confusion[0]["n"] == 10


def test_zero_shot_on_user_folders(tmp_path):
    import cv2

    from workbench.core.studies.sequences.zeroshot import generated_classes, run_zero_shot

    images, labels, names, table = generated_classes(6, 32, seed=1)
    for img, k in zip(images, labels):
        d = tmp_path / "data" / names[k].replace(" ", "_")
        d.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(d / f"{len(list(d.iterdir()))}.png"), img[..., ::-1])
    rows = ["class,colour,shape,unseen"] + [f"{n.replace(' ', '_')},{t['colour']},{t['shape']},"
                                            f"{'yes' if n in ('blue triangle', 'red square') else ''}"
                                            for n, t in table.items()]
    (tmp_path / "attrs.csv").write_text("\n".join(rows) + "\n")
    out = run_zero_shot(str(tmp_path / "data"), attributes=str(tmp_path / "attrs.csv"), epochs=1, size=32,
                        features="small-cnn")
    assert sorted(out.unseen) == ["blue_triangle", "red_square"] and out.scores["plain_unseen"] == 0.0
    (tmp_path / "bad.csv").write_text("class,colour\nred_circle,red\n")
    with pytest.raises(DataError):
        run_zero_shot(str(tmp_path / "data"), attributes=str(tmp_path / "bad.csv"), epochs=1)


def test_few_shot_curve_on_digits():
    from workbench.core.studies.sequences.fewshot import run_few_shot

    out = run_few_shot("builtin:digits", shots=[1, 2], episodes=1, queries=4, scratch_epochs=1, size=32,
                       embedding="imagenet")
    assert [r["shots"] for r in out.curve] == [1, 2]
    assert all(0.0 <= r["prototype"] <= 1.0 and 0.0 <= r["scratch"] <= 1.0 for r in out.curve)
    assert out.curve[0]["chance"] == pytest.approx(0.1) and len(out.examples) == 10
    assert out.record.details["task"] == "fewshot" and "prototype_1shot" in out.record.test_metrics


def test_few_shot_embedding_learnt_on_base_classes_scores_only_novel_ones():
    from workbench.core.studies.sequences.fewshot import run_few_shot

    out = run_few_shot("builtin:digits", shots=[1, 3], episodes=2, queries=10, scratch_epochs=1, base_epochs=3,
                       size=32)
    base = out.settings["base_classes"]
    assert out.settings["embedding"] == "base" and len(base) == 5 and not set(base) & set(out.classes)
    assert out.curve[0]["chance"] == pytest.approx(0.2) and len(out.examples) == 5  # 5-way on the novel digits
    one = out.at(1)
    assert one["prototype"] > 0.3  # digits it never trained on, from one example each (chance 0.2)
    assert one["prototype_ci"] > 0 and 0.0 <= one["prototype_imagenet"] <= 1.0
    assert one["ahead"] == pytest.approx(one["prototype"] - one["scratch"])


def test_cli_trees_json_and_user_error(capsys):
    from workbench.cli import main

    code = main(["sequences", "trees", "--n-train", "200", "--epochs", "1", "--hidden", "16", "--parse", "1 + 2",
                 "--json"])
    assert code == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "test" in res and "length_curve" in res and isinstance(res["parse"], str)
    assert main(["sequences", "zeroshot", "--data", "somewhere"]) == 2
