"""The encoder-decoder both tasks share: a GRU decoder with (or without) attention over what an
encoder made of the input, trained with teacher forcing through the common ``Trainer`` and read
out greedily or with beam search.

* ``TreeNet``: tokens -> embedding -> bidirectional GRU; the memory is one vector per input word.
* ``CaptionNet``: image -> small CNN (or the shipped MobileNetV2, frozen) -> a grid of feature
  vectors; the memory is one vector per grid cell, so the attention weights are a map over the image.

Attention (Luong et al., 2015, global attention with the "general" score): at each output step the
decoder's state scores every memory vector, a softmax turns the scores into weights and their
weighted sum (the context) joins the state to predict the word. Without
attention the decoder starts from the encoder's summary (its last state, or the image's mean
feature) and must carry everything in its one hidden vector: fine for short inputs, not for long.

The ``Trainer`` sees one input tensor per sample: the encoder's input and the decoder's input
(``<s>`` + target) side by side (``pack``); the target is the output tokens, padded with 0 (ignored
by the loss).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from workbench.core.models.heads import TermHead

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ["<pad>", "<s>", "</s>", "<unk>"]


class Vocab:
    def __init__(self, tokens):
        self.itos = list(SPECIALS) + sorted({t for t in tokens} - set(SPECIALS))
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, words, length: int, bos: bool = False, eos: bool = False) -> np.ndarray:
        ids = ([BOS] if bos else []) + [self.stoi.get(w, UNK) for w in words] + ([EOS] if eos else [])
        out = np.zeros(length, np.int64)
        out[: min(length, len(ids))] = ids[:length]
        return out

    def decode(self, ids) -> list[str]:
        out = []
        for i in ids:
            i = int(i)
            if i == EOS:
                break
            if i not in (PAD, BOS):
                out.append(self.itos[i] if i < len(self.itos) else "<unk>")
        return out

    def to_list(self) -> list[str]:
        return list(self.itos)

    @classmethod
    def from_list(cls, itos: list[str]) -> "Vocab":
        v = cls([])
        v.itos = list(itos)
        v.stoi = {t: i for i, t in enumerate(v.itos)}
        return v


def targets(vocab: Vocab, seqs, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(decoder inputs ``<s> w1 .. wn``, outputs ``w1 .. wn </s>``), both padded to ``length``."""
    dec_in = np.stack([vocab.encode(s, length, bos=True) for s in seqs])
    dec_out = np.stack([vocab.encode(s, length, eos=True) for s in seqs])
    return dec_in, dec_out


class TokenHead(TermHead):
    """Cross-entropy over the output tokens, padding ignored (the loss of every sequence model here)."""

    task = "sequence"
    activation = "softmax"
    loss_name = "token cross-entropy"
    term_names = ("tokens",)

    @property
    def reason(self) -> str:
        return "one softmax over the vocabulary per output token; padding does not count"

    def loss_terms(self, raw, y) -> dict:
        return {"tokens": F.cross_entropy(raw.reshape(-1, raw.shape[-1]), y.reshape(-1).long(), ignore_index=PAD)}


class Decoder(nn.Module):
    """GRU decoder with Luong's global attention (the "general" score): the GRU runs over the
    whole teacher-forced input in one fused call, then every output step attends to the memory."""

    def __init__(self, vocab: int, mem_dim: int, hidden: int = 128, emb: int = 64, attention: bool = True):
        super().__init__()
        self.attention = bool(attention)
        self.emb = nn.Embedding(vocab, emb, padding_idx=PAD)
        self.rnn = nn.GRU(emb, hidden, batch_first=True)
        self.query = nn.Linear(hidden, mem_dim, bias=False)
        self.mix = nn.Linear(hidden + (mem_dim if attention else 0), hidden)
        self.out = nn.Linear(hidden, vocab)
        self.mem_dim = mem_dim

    def run(self, tokens, h, mem, mask):
        """tokens (N, T) -> (logits (N, T, V), last state (N, H), attention (N, T, L) or None)."""
        y, hn = self.rnn(self.emb(tokens), h.unsqueeze(0).contiguous())
        if not self.attention:
            return self.out(torch.tanh(self.mix(y))), hn[0], None
        scores = torch.bmm(self.query(y), mem.transpose(1, 2))  # (N, T, L)
        if mask is not None:
            scores = scores.masked_fill(~mask.unsqueeze(1), -1e9)
        a = torch.softmax(scores, -1)
        ctx = torch.bmm(a, mem)
        return self.out(torch.tanh(self.mix(torch.cat([y, ctx], -1)))), hn[0], a


class Seq2Seq(nn.Module):
    """Base: subclasses implement ``encode(part) -> (memory (N, L, M), mask (N, L) or None, h0)``
    and ``split(x) -> (encoder part, decoder input ids)``."""

    max_len: int

    def forward(self, x):
        src, dec_in = self.split(x)
        mem, mask, h = self.encode(src)
        return self.dec.run(dec_in, h, mem, mask)[0]

    @torch.no_grad()
    def greedy(self, src, max_len: int | None = None):
        """-> (token ids (N, T), attention (N, T, L) or None); stops at ``</s>``."""
        self.eval()
        mem, mask, h = self.encode(src)
        n = len(h)
        tok = torch.full((n,), BOS, dtype=torch.long)
        ids, atts = [], []
        done = torch.zeros(n, dtype=torch.bool)
        for _ in range(max_len or self.max_len):
            logits, h, a = self.dec.run(tok[:, None], h, mem, mask)
            tok = logits[:, 0].argmax(-1)
            ids.append(tok)
            if a is not None:
                atts.append(a[:, 0])
            done |= tok == EOS
            if bool(done.all()):
                break
        return torch.stack(ids, 1).numpy(), (torch.stack(atts, 1).numpy() if atts else None)

    @torch.no_grad()
    def beam(self, src_one, width: int = 3, max_len: int | None = None, alpha: float = 0.7) -> list[int]:
        """Beam search for one input (batch of 1): the hypothesis with the best length-normalised
        log-probability (score / length ** alpha, as in Wu et al. 2016)."""
        self.eval()
        mem, mask, h = self.encode(src_one)
        beams = [([], 0.0, h)]
        finished: list[tuple[list[int], float]] = []
        for _ in range(max_len or self.max_len):
            if not beams:
                break
            k = len(beams)
            toks = torch.tensor([b[0][-1] if b[0] else BOS for b in beams])
            hs = torch.cat([b[2] for b in beams])
            logits, h2, _ = self.dec.run(toks[:, None], hs, mem.expand(k, -1, -1),
                                         None if mask is None else mask.expand(k, -1))
            logp = torch.log_softmax(logits[:, 0], -1)
            cand = []
            for i, b in enumerate(beams):
                top = torch.topk(logp[i], width)
                for lp, t in zip(top.values.tolist(), top.indices.tolist()):
                    cand.append((b[0] + [t], b[1] + lp, i))
            cand.sort(key=lambda c: -c[1])
            beams = []
            for seq, score, i in cand:
                if seq[-1] == EOS:
                    finished.append((seq, score / len(seq) ** alpha))
                else:
                    beams.append((seq, score, h2[i:i + 1]))
                if len(beams) >= width:
                    break
            if len(finished) >= width:
                break
        finished += [(b[0], b[1] / max(1, len(b[0])) ** alpha) for b in beams]
        return max(finished, key=lambda f: f[1])[0] if finished else []


class TreeNet(Seq2Seq):
    """Word ids -> bidirectional GRU memory -> attention decoder over the tree's tokens."""

    def __init__(self, src_vocab: int, tgt_vocab: int, src_len: int, max_len: int, hidden: int = 128,
                 emb: int = 64, attention: bool = True):
        super().__init__()
        self.src_len, self.max_len = int(src_len), int(max_len)
        self.emb = nn.Embedding(src_vocab, emb, padding_idx=PAD)
        self.rnn = nn.GRU(emb, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)
        self.dec = Decoder(tgt_vocab, 2 * hidden, hidden, emb, attention)

    def split(self, x):
        x = x.long()
        return x[:, : self.src_len], x[:, self.src_len:]

    def encode(self, src):
        src = src.long()
        lengths = (src != PAD).sum(1).clamp(min=1)
        packed = nn.utils.rnn.pack_padded_sequence(self.emb(src), lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        out, hn = self.rnn(packed)
        mem, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        h0 = torch.tanh(self.bridge(torch.cat([hn[0], hn[1]], -1)))
        return mem, src != PAD, h0


class CaptionNet(Seq2Seq):
    """Image (3, S, S), values 0..255 -> a grid of features -> attention decoder over the caption's words.

    ``encoder`` "small-cnn": four 3x3 conv blocks (three with stride 2): an S/8 x S/8 grid;
    "mobilenet_v2": the shipped ImageNet MobileNetV2, frozen (its features computed once and cached),
    at 6x6 cells (input resized to 192), projected to ``width`` channels."""

    def __init__(self, vocab: int, size: int, max_len: int, hidden: int = 128, emb: int = 64, width: int = 64,
                 encoder: str = "small-cnn", attention: bool = True):
        super().__init__()
        self.size, self.max_len, self.encoder_name = int(size), int(max_len), encoder
        if encoder == "mobilenet_v2":
            from workbench.core.models.pretrained import PretrainedFeatures

            self.backbone = PretrainedFeatures("mobilenet_v2", 3, 192, pool=False)
            self.cnn = nn.Sequential(nn.Conv2d(1280, width, 1), nn.ReLU())
        else:
            self.backbone = None

            def block(cin, cout, stride):
                return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU())

            self.cnn = nn.Sequential(block(3, 32, 2), block(32, width, 2), block(width, width, 1), block(width, width, 2))
        with torch.no_grad():
            side = int(self._grid(torch.zeros(1, 3, self.size, self.size)).shape[-1])
        self.side = side
        # where each cell is ("left", "top"): its x and y as two fixed channels beside the features
        t = torch.linspace(-1, 1, side)
        self.register_buffer("coords", torch.stack(torch.meshgrid(t, t, indexing="xy"))[None], persistent=False)
        self.bridge = nn.Linear(width + 2, hidden)
        self.dec = Decoder(vocab, width + 2, hidden, emb, attention)

    def _grid(self, img):
        if self.backbone is not None:
            img = self.backbone(img)
        return self.cnn(img)

    def split(self, x):
        n_pix = 3 * self.size * self.size
        img = x[:, :n_pix].float().reshape(-1, 3, self.size, self.size)
        return img, x[:, n_pix:].long()

    def encode(self, img):
        g = self._grid(img.float() / 255.0)
        g = torch.cat([g, self.coords.expand(len(g), -1, -1, -1)], 1)
        mem = g.flatten(2).transpose(1, 2)  # (N, cells, width)
        return mem, None, torch.tanh(self.bridge(mem.mean(1)))


def pack(enc: np.ndarray, dec_in: np.ndarray) -> np.ndarray:
    """The Trainer's one input per sample: the encoder part and the decoder input side by side."""
    enc = enc.reshape(len(enc), -1)
    dtype = np.float32 if enc.dtype != np.int64 else np.int64
    return np.concatenate([enc.astype(dtype), dec_in.astype(dtype)], 1)


def decode_all(model: Seq2Seq, src, vocab: Vocab, *, beam: int = 1, batch: int = 256,
               keep_attention: bool = False):
    """Greedy (``beam`` 1) or beam-search outputs for every input -> (token lists, attention list)."""
    outs: list[list[str]] = []
    atts: list = []
    src_t = torch.as_tensor(src)
    if beam > 1:
        for i in range(len(src_t)):
            outs.append(vocab.decode(model.beam(src_t[i:i + 1], beam)))
        return outs, atts
    for i in range(0, len(src_t), batch):
        ids, a = model.greedy(src_t[i:i + batch])
        for j, row in enumerate(ids):
            words = vocab.decode(row)
            outs.append(words)
            if keep_attention and a is not None:
                atts.append(a[j, : len(words) + 1].copy())
    return outs, atts


def n_parameters(model: nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))
