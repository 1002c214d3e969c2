"""``python -m benchmarks``: see :mod:`benchmarks.run`."""

import sys

from benchmarks.measure import StepFailed
from benchmarks.run import main

try:
    sys.exit(main())
except StepFailed as exc:
    sys.exit(f"benchmark step failed: {exc}")
