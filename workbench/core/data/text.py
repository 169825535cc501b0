"""Text to numbers: tokenization options, a vocabulary learned from training texts only, and two
representations: multi-hot bag of words (with n-grams) and integer token sequences.

    opts = TextOptions(mode="sequence", length=200)          # or mode="bag", ngrams=2, level="char"
    vec = TextVectorizer(opts, vocab_size=10000).fit(train_texts)
    ids = vec.transform(texts)         # (N, 200) float32 token ids: 0 = padding, 1 = unknown word
    vec.token_count                    # 10002: what an Embedding layer needs as its number of ids
    vec.encode("a new text")           # [ids] without padding (e.g. for a language model)
    vec.decode(ids)                    # the tokens back ("<pad>" / "<unk>" for the special ids)
    vec.to_dict() / TextVectorizer.from_dict(d)                # plain JSON, stored with a run

Tokens: words (letters and digits; inner apostrophes kept: "don't") or characters; lowercase or
not; punctuation dropped, or kept as tokens of their own. Bag of words may add word (or character)
n-grams up to ``ngrams``. The vocabulary is the most frequent training tokens (ties broken
alphabetically, so it is deterministic). Sequences are cut to ``length`` tokens (the first ones are
kept) and padded at the front with 0, so a recurrent layer's last step is the text's last token.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable

import numpy as np

from workbench.core.errors import DataError

PAD_ID = 0
OOV_ID = 1
FIRST_WORD_ID = 2
PAD_TOKEN, OOV_TOKEN = "<pad>", "<unk>"
MODES = ("bag", "sequence", "auto")  # "auto": token sequences when the model starts with an Embedding
LEVELS = ("word", "char")
MAX_NGRAMS = 5
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_WORD_OR_MARK = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[^\w\s]")
_NOT_WORD_CHAR = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class TextOptions:
    """How texts become tokens and numbers (see the module docstring)."""

    lowercase: bool = True
    punctuation: bool = False  # keep punctuation marks as tokens
    level: str = "word"  # "word" or "char"
    ngrams: int = 1  # bag of words: n-grams of 1..ngrams tokens
    mode: str = "auto"  # "bag", "sequence" or "auto"
    length: int = 200  # tokens per sequence

    def __post_init__(self):
        if self.level not in LEVELS:
            raise DataError(f"Unknown token level {self.level!r}; choose word or char.")
        if self.mode not in MODES:
            raise DataError(f"Unknown text representation {self.mode!r}; choose bag, sequence or auto.")
        if not isinstance(self.ngrams, int) or not 1 <= self.ngrams <= MAX_NGRAMS:
            raise DataError(f"N-grams must be a whole number from 1 to {MAX_NGRAMS}, not {self.ngrams!r}.")
        if not isinstance(self.length, int) or self.length < 1:
            raise DataError(f"The sequence length must be a whole number of at least 1, not {self.length!r}.")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | "TextOptions" | None) -> "TextOptions":
        if isinstance(d, TextOptions):
            return d
        d = dict(d or {})
        names = {"lowercase", "punctuation", "level", "ngrams", "mode", "length"}
        unknown = sorted(set(d) - names)
        if unknown:
            raise DataError(f"Unknown text option(s) {', '.join(unknown)}; the options are {', '.join(sorted(names))}.")
        for k in ("ngrams", "length"):
            if k in d and isinstance(d[k], float) and d[k].is_integer():
                d[k] = int(d[k])
        return cls(**d)

    def resolved(self, sequence: bool) -> "TextOptions":
        """The options with mode "auto" decided (token sequences or bag of words)."""
        if self.mode != "auto":
            return self
        return TextOptions(**{**self.to_dict(), "mode": "sequence" if sequence else "bag"})


DEFAULT_OPTIONS = TextOptions()


def tokenize(text: str, options: TextOptions | None = None) -> list[str]:
    """The tokens of one text (default: lowercase words, punctuation dropped: "Don't STOP!" ->
    ["don't", "stop"])."""
    o = options or DEFAULT_OPTIONS
    s = str(text)
    if o.lowercase:
        s = s.lower()
    if o.level == "char":
        if not o.punctuation:
            s = _NOT_WORD_CHAR.sub(" ", s)
        return list(_SPACES.sub(" ", s).strip())
    return (_WORD_OR_MARK if o.punctuation else _WORD).findall(s)


def with_ngrams(tokens: list[str], n: int, joiner: str = " ") -> list[str]:
    """The tokens followed by their 2..n-grams ("not good" -> ["not", "good", "not good"])."""
    out = list(tokens)
    for k in range(2, n + 1):
        out += [joiner.join(tokens[i:i + k]) for i in range(len(tokens) - k + 1)]
    return out


class TextVectorizer:
    """Vocabulary from training texts + bag-of-words or token-sequence encoding (module docstring)."""

    def __init__(self, options: TextOptions | dict | None = None, vocab_size: int = 10000, min_count: int = 1):
        self.options = TextOptions.from_dict(options)
        if int(vocab_size) < 1:
            raise DataError(f"The vocabulary size must be at least 1, not {vocab_size}.")
        self.vocab_size = int(vocab_size)
        self.min_count = int(min_count)
        self.vocabulary: list[str] = []
        self._index: dict[str, int] | None = None

    @property
    def sequence(self) -> bool:
        return self.options.mode == "sequence"

    def _tokens(self, text: str) -> list[str]:
        toks = tokenize(text, self.options)
        if not self.sequence and self.options.ngrams > 1:
            toks = with_ngrams(toks, self.options.ngrams, "" if self.options.level == "char" else " ")
        return toks

    def fit(self, texts: Iterable[str]) -> "TextVectorizer":
        counts: Counter = Counter()
        for t in texts:
            counts.update(self._tokens(t))
        ranked = sorted(((w, c) for w, c in counts.items() if c >= self.min_count), key=lambda kv: (-kv[1], kv[0]))
        self.vocabulary = [w for w, _ in ranked[: self.vocab_size]]
        self._index = None
        return self

    @property
    def index(self) -> dict[str, int]:
        """token -> column (bag) or id (sequence; words start at 2)."""
        if self._index is None:
            first = FIRST_WORD_ID if self.sequence else 0
            self._index = {w: i + first for i, w in enumerate(self.vocabulary)}
        return self._index

    @property
    def token_count(self) -> int:
        """Number of distinct ids in sequences (vocabulary + padding + unknown)."""
        return len(self.vocabulary) + FIRST_WORD_ID

    @property
    def output_size(self) -> int:
        """Values per text: the sequence length, or the vocabulary size for bag of words."""
        return self.options.length if self.sequence else len(self.vocabulary)

    def encode(self, text: str) -> list[int]:
        """Token ids of one text, unpadded (unknown tokens -> OOV_ID)."""
        index = self.index
        return [index.get(w, OOV_ID) for w in tokenize(text, self.options)]

    def decode(self, ids) -> list[str]:
        vocab = self.vocabulary
        out = []
        for i in np.asarray(ids, dtype=np.int64).ravel():
            out.append(PAD_TOKEN if i == PAD_ID else OOV_TOKEN if i == OOV_ID or i - FIRST_WORD_ID >= len(vocab)
                       else vocab[i - FIRST_WORD_ID])
        return out

    def transform(self, texts) -> np.ndarray:
        """float32 (N, vocabulary) multi-hot, or (N, length) token ids."""
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        index = self.index
        if self.sequence:
            L = self.options.length
            out = np.zeros((len(texts), L), dtype=np.float32)
            for r, t in enumerate(texts):
                ids = [index.get(w, OOV_ID) for w in tokenize(t, self.options)][:L]
                if ids:
                    out[r, L - len(ids):] = ids
            return out
        out = np.zeros((len(texts), len(self.vocabulary)), dtype=np.float32)
        for r, t in enumerate(texts):
            cols = [index[w] for w in set(self._tokens(t)) if w in index]
            out[r, cols] = 1.0
        return out

    def describe(self) -> str:
        o = self.options
        what = ("characters" if o.level == "char" else "words") + (" and punctuation" if o.punctuation else "")
        if self.sequence:
            return (f"token ids of the first {o.length} {what} over the {len(self.vocabulary):,} most frequent "
                    f"training tokens (0 = padding, 1 = unknown)")
        grams = f" with 1..{o.ngrams}-grams" if o.ngrams > 1 else ""
        return f"multi-hot over the {len(self.vocabulary):,} most frequent training {what}{grams}"

    def to_dict(self) -> dict:
        return {"options": self.options.to_dict(), "vocab_size": self.vocab_size, "min_count": self.min_count,
                "vocabulary": list(self.vocabulary)}

    @classmethod
    def from_dict(cls, d: dict) -> "TextVectorizer":
        v = cls(d.get("options"), d.get("vocab_size", 10000), d.get("min_count", 1))
        v.vocabulary = [str(w) for w in d.get("vocabulary", [])]
        return v
