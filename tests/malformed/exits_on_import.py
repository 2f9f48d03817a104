"""A model module that exits on import (tests/malformed/model_exits.yaml)."""

import sys

sys.exit(0)
