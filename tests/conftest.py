import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("WORKBENCH_CONFIG_DIR", os.path.join(os.path.dirname(__file__), "..", ".pytest-config"))
