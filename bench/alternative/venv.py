"""The alternative implementation's virtualenv: created by the bench under ``var/bench/`` (pip from the
package index, as a user would install it), reused while it works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / "var" / "bench" / "extrawest-venv"
PACKAGES = ["extrawest-ocpi", "uvicorn"]


def alternative_python() -> tuple[Path | None, str]:
    """(the virtualenv's python, "") or (None, why it could not be installed)."""
    python = VENV / "bin" / "python"
    if python.exists() and _imports(python):
        return python, ""
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=120)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *PACKAGES], check=True, capture_output=True, timeout=600
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        detail = getattr(error, "stderr", b"") or b""
        return None, f"pip install {' '.join(PACKAGES)} failed: {error} {detail.decode(errors='replace')[-300:]}"
    if not _imports(python):
        return None, "extrawest-ocpi installed but `import py_ocpi, uvicorn` fails"
    return python, ""


def _imports(python: Path) -> bool:
    done = subprocess.run([str(python), "-c", "import py_ocpi, uvicorn"], capture_output=True, timeout=60)
    return done.returncode == 0
