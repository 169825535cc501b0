"""Next-token prediction on real text: the perplexity falls below the unigram baseline, samples
appear every epoch, the run is stored; skipped until the Embedding layer is installed."""
import math

import numpy as np
import pytest

from workbench.core.models import LAYER_TYPES

pytestmark = pytest.mark.skipif("Embedding" not in LAYER_TYPES, reason="needs the Embedding layer (text models)")


def test_windows_and_the_unigram_baseline():
    from workbench.core.explore.language import unigram_perplexity, windows

    X, Y = windows(np.arange(20), 4, 2)
    assert X.shape == Y.shape == (8, 4) and list(X[1]) == [2, 3, 4, 5] and list(Y[1]) == [3, 4, 5, 6]
    # a uniform stream over 4 ids: the unigram model hesitates between 4
    assert unigram_perplexity(np.tile(np.arange(4), 50), np.arange(4), 4) == pytest.approx(4.0, rel=1e-6)


def test_a_character_model_beats_the_unigram_baseline_on_reviews(tmp_path):
    from workbench.core.data import load_builtin
    from workbench.core.explore.language import LanguageSettings, generate, train_language_model

    samples = []
    res = train_language_model(load_builtin("imdb"), LanguageSettings(
        level="char", epochs=2, max_texts=150, units=48, dim=16, length=32, max_tokens=40000, prompt="the film",
        temperatures=(0.5, 1.0), sample_length=40), on_sample=samples.append, project=tmp_path, threads=1)
    assert res.perplexity < 0.8 * res.unigram_perplexity and res.beats_unigram
    assert len(samples) == 2 and set(samples[-1]["samples"]) == {0.5, 1.0}
    assert all(len(t) == 40 for t in samples[-1]["samples"].values())
    assert math.isclose(samples[-1]["val_perplexity"], res.perplexity, rel_tol=1e-6)
    rec = res.record
    assert rec.run_id and rec.task == "next_token" and rec.baseline["val"]["strategy"].startswith("unigram")
    assert rec.history[-1]["val_perplexity"] == pytest.approx(res.perplexity)
    cold, hot = (generate(res.model, res.vectorizer, "the ", 200, t, seed=1) for t in (0.2, 2.0))
    assert len(set(cold)) < len(set(hot))  # a low temperature sticks to the likeliest characters


def test_lm_from_the_command_line(tmp_path, capsys):
    import json

    from workbench.cli import main

    texts = tmp_path / "notes.csv"
    rows = ["text,label"] + [f'"the cat sat on the mat number {i % 7}, and the dog ran.",x{i % 2}' for i in range(120)]
    texts.write_text("\n".join(rows) + "\n")
    assert main(["explore", "lm", "--data", str(texts), "--text-column", "text", "--epochs", "2", "--units", "32",
                 "--length", "24", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert obj["beats_unigram"] and obj["perplexity"] < obj["unigram_perplexity"] and len(obj["history"]) == 2
