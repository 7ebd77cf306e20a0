"""``cbasync demo``: runs ``examples/demo.py`` (its ``main``), the README's first quick-start line.

The demo is an example: it lives in ``examples/`` where a reader finds it, and the wheel carries a
copy (``cbasync/_examples/demo.py``, see pyproject's ``force-include``) so an installed
``cbasync[cli]`` runs it too. It is loaded from its file, so the SDK never imports the emulator
the demo starts.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from cbasync._cli import Exit

__all__ = ["demo_script", "main"]

_PACKAGE = Path(__file__).resolve().parent.parent
#: Where the demo is: the wheel's copy, then a source checkout's examples/.
CANDIDATES = (_PACKAGE / "_examples" / "demo.py", _PACKAGE.parent / "examples" / "demo.py")


def demo_script() -> Path | None:
    return next((path for path in CANDIDATES if path.is_file()), None)


def main(argv: Sequence[str]) -> int:
    script = demo_script()
    if script is None:
        looked = ", ".join(str(path) for path in CANDIDATES)
        print(
            f"cbasync demo: this copy of cbasync has no demo (looked for {looked})", file=sys.stderr
        )
        return int(Exit.USAGE)
    namespace = runpy.run_path(str(script), run_name="cbasync_demo")
    run = cast(Callable[[Sequence[str]], int], namespace["main"])
    try:
        return int(run(list(argv[1:])))
    except SystemExit as exit_:  # argparse's --help and usage errors
        code = exit_.code
        return code if isinstance(code, int) else int(Exit.USAGE)
    except ModuleNotFoundError as exc:
        if exc.name not in _EMULATOR_EXTRA:
            raise
        print(
            "cbasync demo: the embedded emulator needs pip install 'cbasync[cli]'", file=sys.stderr
        )
        return int(Exit.USAGE)


_EMULATOR_EXTRA = frozenset({"starlette", "uvicorn", "trustme", "httptools"})
