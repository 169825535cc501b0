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

# the worksheets, one line per module (each registers itself on import)
from workbench.core.worksheets import daynight as _daynight  # noqa: F401,E402
from workbench.core.worksheets import style_transfer as _style_transfer  # noqa: F401,E402
from workbench.core.worksheets import yolo as _yolo  # noqa: F401,E402

__all__ = ["WORKSHEETS", "Answer", "AnswerResult", "AnswerRun", "Part", "Picture", "Question", "QuestionResult",
           "Worksheet", "choice_sentence", "get_question", "get_worksheet", "is_question_id", "list_worksheets",
           "register_worksheet", "run_question", "run_question_job"]
