"""The layered import contract of .importlinter holds (``make lint`` runs it too)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_areas_models_and_shared_modules_keep_their_layers():
    """No area imports a higher one, no model a higher model, no shared module an area."""
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(linter), "--config", str(ROOT / ".importlinter")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
