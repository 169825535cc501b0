"""Small widget helpers the trigger-word tabs share."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel

KIND_LABELS = {"positives": "Trigger word (positives)", "negatives": "Other words (negatives)",
               "backgrounds": "Background noise"}
SOURCES = ("demo stream", "WAV file…", "microphone")
TRACE_SECONDS = 12.0


def spin(lo, hi, val, step=1, decimals=None):
    """An integer spin box, or a decimal one when ``decimals`` is given (the shared widget helpers)."""
    from workbench.ui.widgets import double_spin, spin_box

    if decimals is None:
        return spin_box(int(lo), int(hi), int(val), step=int(step))
    return double_spin(lo, hi, val, step=step, decimals=decimals)


def wrapped(html: str) -> QLabel:
    label = QLabel(html)
    label.setWordWrap(True)  # long explanations wrap instead of running off the window
    return label


def label_axes(plot, bottom: str, left: str) -> None:
    for side in ("bottom", "left"):
        plot.getAxis(side).enableAutoSIPrefix(False)  # "time (s) (x0.001)" over 0..600 reads badly
    if bottom:
        plot.setLabel("bottom", bottom)
    if left:
        plot.setLabel("left", left)


def restore_values(widgets: dict, s: dict) -> None:
    """Set spin boxes / combo boxes / line edits from a saved state (wrong types are skipped)."""
    from PySide6.QtWidgets import QComboBox, QLineEdit

    for key, w in widgets.items():
        v = s.get(key)
        if isinstance(w, QComboBox):
            i = w.findText(str(v)) if v is not None else -1
            if i >= 0:
                w.setCurrentIndex(i)
        elif isinstance(w, QLineEdit):
            if isinstance(v, str):
                w.setText(v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            w.setValue(type(w.value())(v))


def values_of(widgets: dict) -> dict:
    from PySide6.QtWidgets import QComboBox, QLineEdit

    out = {}
    for key, w in widgets.items():
        out[key] = w.currentText() if isinstance(w, QComboBox) else (w.text() if isinstance(w, QLineEdit) else w.value())
    return out
