"""Worksheets: each case study's design questions, answered by running every candidate answer.

    from workbench.core.experiments import Context
    from workbench.core.worksheets import list_worksheets, run_question
    res = run_question("daynight.resolution", "64px", Context(full=False))
    print(res.conclusion, res.choice_right, res.explanation)

Each worksheet module registers itself on import; the imports below (one line per module) are
the list of worksheets.
"""
from __future__ import annotations

from workbench.core.worksheets.base import (WORKSHEETS, Answer, AnswerResult, AnswerRun, Part, Picture, Question,
                                            QuestionResult, Worksheet, choice_sentence, get_question,
                                            get_worksheet, is_question_id, list_worksheets, register_worksheet,
                                            run_question, run_question_job)

# the worksheets in the course's order of the case studies, one line per module (each registers itself)
from workbench.core.worksheets import daynight as _daynight  # noqa: F401,E402
from workbench.core.worksheets import faces as _faces  # noqa: F401,E402
from workbench.core.worksheets import trigger_word as _trigger_word  # noqa: F401,E402
from workbench.core.worksheets import style_transfer as _style_transfer  # noqa: F401,E402
from workbench.core.worksheets import detection as _detection  # noqa: F401,E402
from workbench.core.worksheets import yolo as _yolo  # noqa: F401,E402
from workbench.core.worksheets import rl as _rl  # noqa: F401,E402
from workbench.core.worksheets import sequences as _sequences  # noqa: F401,E402

__all__ = ["WORKSHEETS", "Answer", "AnswerResult", "AnswerRun", "Part", "Picture", "Question", "QuestionResult",
           "Worksheet", "choice_sentence", "get_question", "get_worksheet", "is_question_id", "list_worksheets",
           "register_worksheet", "run_question", "run_question_job"]
