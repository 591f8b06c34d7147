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


#: The modules that end transactions: the request's edge, its error answer, and the CLI
#: commands (which run outside a request).
ENDS_TRANSACTIONS = {"transactions.py", "errors.py", "cli.py"}


def test_only_the_edge_commits_or_rolls_back():
    """Services flush and routes return: one commit per request, in transactions.py."""
    package = ROOT / "volunteer_app"
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "migrations" not in path.parts
        and str(path.relative_to(package)) not in ENDS_TRANSACTIONS
        and any(call in path.read_text(encoding="utf-8") for call in (".commit()", ".rollback()"))
    ]
    assert offenders == []
