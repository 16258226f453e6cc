"""Where the project's bundled data lives, found relative to the package."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
LEXICON_PATH = DATA_DIR / "lexicon" / "entities.csv"
NOT_ENTITIES_PATH = DATA_DIR / "lexicon" / "not_entities.txt"
CORRECTIONS_PATH = DATA_DIR / "corrections" / "corrections.csv"
