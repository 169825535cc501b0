"""Workbench core: data, models, training, capture and case-study logic. Never imports Qt."""
