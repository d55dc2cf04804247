"""The county folder: everything a county (or province) would change, as data (see README.md).

Rules, sanctions, the responsibility list, labels for every code, wording and document
settings. ``wenze ... --rules DIR`` replaces all of it with another folder of the same shape.
"""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
