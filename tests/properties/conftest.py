"""Property tests share their hypothesis strategies through ``prop_shapes`` next to this file.

Tests run with ``--import-mode=importlib`` and test folders are not packages, so this folder is put
on ``sys.path`` for the helper module (its name is unique in the repository).
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
