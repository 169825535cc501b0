"""Data sources, summaries, preprocessing and splits (no Qt; cv2 is imported lazily)."""
from workbench.core.data.builtins import list_builtins, load_builtin
from workbench.core.data.dataset import Dataset
from workbench.core.data.duplicates import find_duplicates
from workbench.core.data.images import ImportCancelled, load_image_folder
from workbench.core.data.preprocess import Preprocessor
from workbench.core.data.sources import load_data
from workbench.core.data.splits import Fold, Leak, SplitPlan, Splits
from workbench.core.data.summary import DataSummary, summarize
from workbench.core.data.tables import load_csv, load_text_csv, parse_column_overrides
from workbench.core.data.text import TextOptions, TextVectorizer, tokenize

__all__ = [
    "Dataset", "load_data", "list_builtins", "load_builtin", "load_image_folder", "load_csv",
    "load_text_csv", "ImportCancelled", "summarize", "DataSummary", "Preprocessor", "tokenize",
    "SplitPlan", "Splits", "Fold", "Leak", "find_duplicates", "TextOptions", "TextVectorizer",
    "parse_column_overrides",
]
