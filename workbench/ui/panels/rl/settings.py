"""The settings column: environment, agent, preset (its values editable), layer sizes, seed and the
stopping criteria. It reads presets and environment facts from the core and builds an RLConfig."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from workbench.ui.widgets import double_spin, spin_box


class SettingsBox(QWidget):
    """Signals:
        env_changed(str)  the environment id the user chose
    """

    env_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        from workbench.core.studies.rl import envs, presets

        self._presets = presets
        self._envs = envs
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        box = QGroupBox("Environment and agent")
        form = QFormLayout(box)
        self.env_combo = QComboBox()
        self.env_combo.setEditable(True)
        self.env_combo.setToolTip("A built-in environment, an Atari game, any registered Gymnasium id, or your own "
                                  "environment as module:ClassName (the module must be importable)")
        for e in envs.available():
            self.env_combo.addItem(e)
        self.env_combo.setCurrentText("CartPole-v1")
        for combo in (self.env_combo,):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
        self.env_note = QLabel()
        self.env_note.setWordWrap(True)
        self.algo_combo = QComboBox()
        self.algo_combo.addItems(list(presets.ALGORITHMS))
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("zoo (tuned)", "zoo")
        self.preset_combo.addItem("SB3 defaults", "defaults")
        self.preset_note = QLabel()
        self.preset_note.setWordWrap(True)
        self.layers_edit = QLineEdit()
        self.layers_edit.setPlaceholderText("preset's (64,64)")
        self.layers_edit.setToolTip("Hidden layer sizes of the policy and value networks, e.g. 64,64 or 256,256")
        self.seed_spin = spin_box(0, 2**31 - 1, 0)
        form.addRow("Environment", self.env_combo)
        form.addRow(self.env_note)
        form.addRow("Agent", self.algo_combo)
        form.addRow("Preset", self.preset_combo)
        form.addRow(self.preset_note)
        form.addRow("Layer sizes", self.layers_edit)
        form.addRow("Seed", self.seed_spin)
        lay.addWidget(box)

        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["hyperparameter", "value"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setToolTip("The preset's values; edit one to change it for this training")
        self.table.setMinimumHeight(120)
        lay.addWidget(self.table, 1)

        stop = QGroupBox("Stop when")
        sform = QFormLayout(stop)
        self.target_check = QCheckBox("evaluation return ≥")
        self.target_check.setToolTip("the average return of the evaluation episodes (deterministic policy)")
        self.target_check.setChecked(True)
        self.target_spin = double_spin(-1e6, 1e6, 475.0, step=5.0, decimals=1)
        self.steps_spin = spin_box(1000, 100_000_000, 100_000, step=10_000)
        self.episodes_check = QCheckBox("episodes ≥")
        self.episodes_spin = spin_box(1, 10_000_000, 1000, step=100)
        sform.addRow(self.target_check, self.target_spin)
        sform.addRow("or after steps", self.steps_spin)
        sform.addRow(self.episodes_check, self.episodes_spin)
        lay.addWidget(stop)

        self._base: dict = {}
        self.env_combo.currentTextChanged.connect(self._refresh)
        self.algo_combo.currentTextChanged.connect(self._refresh)
        self.preset_combo.currentIndexChanged.connect(self._refresh)
        self._refresh()

    # ---- what the user chose -----------------------------------------------------------------
    @property
    def env_id(self) -> str:
        return self.env_combo.currentText().strip()

    def _refresh(self, *_):
        envs, presets = self._envs, self._presets
        env = self.env_id
        info = envs.info(env)
        algo = self.algo_combo.currentText()
        key = envs.env_key(env)
        preset = self.preset_combo.currentData() or "zoo"
        try:
            self._base = presets.preset(algo, key, preset)
        except Exception:
            self._base = {}
        self.preset_note.setText(presets.describe(algo, key, preset))
        self.env_note.setText(info.note + (f"; solved at {info.solved:g}" if info.solved is not None else ""))
        if info.solved is not None:
            self.target_spin.setValue(info.solved)
        self.steps_spin.setValue(int(self._base.get("n_timesteps", presets.DEFAULT_STEPS)))
        shown = {k: v for k, v in self._base.items() if k != "n_timesteps"}
        self.table.setRowCount(len(shown))
        for i, (k, v) in enumerate(sorted(shown.items())):
            name = QTableWidgetItem(k)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(i, 0, name)
            self.table.setItem(i, 1, QTableWidgetItem(str(v)))
        self.table.resizeColumnToContents(0)
        arch = self._base.get("net_arch")
        self.layers_edit.setPlaceholderText(",".join(map(str, arch)) if arch else "preset's (64,64)")
        self.env_changed.emit(env)

    def overrides(self) -> dict:
        out = {}
        for i in range(self.table.rowCount()):
            k, v = self.table.item(i, 0).text(), self.table.item(i, 1).text()
            if str(self._base.get(k)) != v:
                out[k] = self._presets.parse_value(v)
        return out

    def config(self):
        """The RLConfig of these settings (WorkbenchError with a sentence when one is wrong)."""
        from workbench.core.studies.rl import RLConfig

        return RLConfig(env=self.env_id, algo=self.algo_combo.currentText(), preset=self.preset_combo.currentData(),
                        overrides=self.overrides(), net_arch=self._presets.parse_layers(self.layers_edit.text()),
                        seed=self.seed_spin.value(),
                        target_return=self.target_spin.value() if self.target_check.isChecked() else float("nan"),
                        max_steps=self.steps_spin.value(),
                        max_episodes=self.episodes_spin.value() if self.episodes_check.isChecked() else None)

    def state(self) -> dict:
        return {"env": self.env_id, "algo": self.algo_combo.currentText(), "preset": self.preset_combo.currentData(),
                "layers": self.layers_edit.text(), "seed": self.seed_spin.value(),
                "target_on": self.target_check.isChecked(), "target": self.target_spin.value(),
                "steps": self.steps_spin.value(), "episodes_on": self.episodes_check.isChecked(),
                "episodes": self.episodes_spin.value()}

    def restore(self, s: dict) -> None:
        if isinstance(s.get("env"), str):
            self.env_combo.setCurrentText(s["env"])
        if s.get("algo") in self._presets.ALGORITHMS:
            self.algo_combo.setCurrentText(s["algo"])
        i = self.preset_combo.findData(s.get("preset"))
        if i >= 0:
            self.preset_combo.setCurrentIndex(i)
        if isinstance(s.get("layers"), str):
            self.layers_edit.setText(s["layers"])
        for key, w in (("seed", self.seed_spin), ("steps", self.steps_spin), ("episodes", self.episodes_spin)):
            if isinstance(s.get(key), int):
                w.setValue(s[key])
        if isinstance(s.get("target"), (int, float)):
            self.target_spin.setValue(float(s["target"]))
        for key, w in (("target_on", self.target_check), ("episodes_on", self.episodes_check)):
            if isinstance(s.get(key), bool):
                w.setChecked(s[key])
