"""Text as token sequences: the vectorizer (vocabulary from training rows only, padding, truncation,
unknown words), tokenization options, and the Embedding layer models built on it."""
import numpy as np
import pytest

from workbench.core.data import Dataset, Preprocessor, TextOptions, TextVectorizer, tokenize
from workbench.core.errors import DataError, SpecError


def test_sequence_ids_pad_at_the_front_cut_the_tail_and_mark_unknown_words():
    vec = TextVectorizer({"mode": "sequence", "length": 4}, vocab_size=3).fit(
        ["good good film", "bad film", "good plot"])
    assert vec.vocabulary == ["good", "film", "bad"]  # by frequency, ties alphabetical
    assert vec.token_count == 5  # padding + unknown + 3 words
    out = vec.transform(["good film", "a bad bad bad bad film"])
    assert out.dtype == np.float32 and out.shape == (2, 4)
    assert out[0].tolist() == [0, 0, 2, 3]  # padded at the front: the last step is the last word
    assert out[1].tolist() == [1, 4, 4, 4]  # "a" is unknown (1); the first 4 tokens are kept
    assert vec.decode(out[0]) == ["<pad>", "<pad>", "good", "film"]
    assert vec.encode("plot good") == [1, 2]
    again = TextVectorizer.from_dict(vec.to_dict())
    assert again.transform(["good film"]).tolist() == out[:1].tolist()


def test_the_vocabulary_comes_from_training_rows_only():
    texts = np.array(["alpha beta", "alpha gamma", "secret words only in test"], dtype=object)
    ds = Dataset(name="t", kind="text", X=texts, y=np.array([0, 1, 0]), class_names=["a", "b"])
    pre = Preprocessor(text={"mode": "sequence", "length": 5}).fit(ds, [0, 1])
    assert pre.vectorizer.vocabulary == ["alpha", "beta", "gamma"]
    assert pre.output_shape == (5,) and pre.token_count == 5
    test_row = pre.transform(ds, [2])[0]
    assert set(test_row.tolist()) <= {0.0, 1.0}  # every test-only word is unknown
    bag = Preprocessor(text={"mode": "bag"}).fit(ds, [0, 1])
    assert bag.feature_names_out == ["alpha", "beta", "gamma"] and bag.token_count is None


def test_tokenization_options():
    assert tokenize("Don't STOP, now!") == ["don't", "stop", "now"]
    assert tokenize("Don't STOP!", TextOptions(lowercase=False, punctuation=True)) == ["Don't", "STOP", "!"]
    assert tokenize("Hi, yo", TextOptions(level="char")) == list("hi yo")
    bag = TextVectorizer({"mode": "bag", "ngrams": 2}).fit(["not good", "very good"])
    assert "not good" in bag.vocabulary and "very good" in bag.vocabulary
    row = bag.transform(["not good"])[0]
    assert row[bag.vocabulary.index("not good")] == 1 and row[bag.vocabulary.index("very good")] == 0
    chars = TextVectorizer({"mode": "bag", "level": "char", "ngrams": 3}).fit(["abc"])
    assert "abc" in chars.vocabulary and "ab" in chars.vocabulary
    with pytest.raises(DataError, match="token level"):
        TextOptions(level="syllable")
    with pytest.raises(DataError, match="Unknown text option"):
        TextOptions.from_dict({"stemming": True})


def test_embedding_models_build_train_and_size_themselves_from_the_data():
    import torch

    from workbench.core.models import (
        LayerSpec, ModelSpec, build_model, default_head, get_preset, summarize_model, with_token_count,
    )

    head = default_head("binary")
    for name in ("imdb-gru", "imdb-conv1d"):
        spec = with_token_count(get_preset(name), 7)
        assert spec.layers[0].params["vocab"] == 7
        summary = summarize_model(spec, (12,), (1,), head)
        assert summary[0].output_shape == (12, 32) and summary[0].params == 7 * 32
        model = build_model(spec, (12,), (1,), head)
        x = torch.tensor([[0, 0, 2, 3, 4, 5, 6, 2, 3, 4, 99, 1]], dtype=torch.float32)  # 99: past the vocabulary
        assert model(x).shape == (1, 1)
        emb = model.layers[0].body.embedding
        assert torch.all(emb.weight[0] == 0)  # padding is the zero vector
    lstm = ModelSpec([LayerSpec.make("Embedding", dim=8), LayerSpec.make("LSTM", units=4)])
    assert build_model(lstm, (6,), (3,), default_head("multiclass"))(torch.zeros(2, 6)).shape == (2, 3)
    with pytest.raises(SpecError, match=r"layer 2 \(Embedding\).*first layer"):
        summarize_model(ModelSpec([LayerSpec.make("Dense", units=4), LayerSpec.make("Embedding", dim=8)]),
                        (6,), (1,), head)
    with pytest.raises(SpecError, match=r"layer 1 \(Embedding\) needs a value for 'dim'"):
        summarize_model(ModelSpec([LayerSpec.make("Embedding")]), (6,), (1,), head)


def test_a_sequence_model_learns_word_order_free_sentiment():
    """Embedding -> Conv1D -> GlobalMaxPool trained through Trainer.fit learns a toy sentiment task."""
    from workbench.core.models import build_model, default_head, get_preset, with_token_count
    from workbench.core.training import TrainConfig, Trainer

    rng = np.random.default_rng(0)
    good, bad, filler = ["great", "lovely", "superb"], ["awful", "boring", "dull"], ["the", "film", "was", "and", "plot"]
    texts, y = [], []
    for i in range(400):
        words = list(rng.choice(filler, 6)) + [rng.choice(good if i % 2 else bad)]
        rng.shuffle(words)
        texts.append(" ".join(words))
        y.append(i % 2)
    ds = Dataset(name="toy", kind="text", X=np.array(texts, dtype=object), y=np.array(y), class_names=["neg", "pos"])
    pre = Preprocessor(text={"mode": "sequence", "length": 10}).fit(ds, np.arange(300))
    head = default_head("binary")
    model = build_model(with_token_count(get_preset("imdb-conv1d"), pre.token_count), pre.output_shape, (1,), head)
    fit = Trainer().fit(model, head, train=(pre.transform(ds, np.arange(300)), ds.y[:300]),
                        val=(pre.transform(ds, np.arange(300, 400)), ds.y[300:]),
                        config=TrainConfig(epochs=8, batch_size=32, lr=3e-3, seed=0))
    assert fit.history[-1]["val_accuracy"] >= 0.9
