"""Write the README's Python snippets to modules that ``mypy --strict`` can check.

``nox -s typecheck`` runs this, then mypy on the output: a README example that stops
type-checking (a renamed method, a lost return type) fails CI. A snippet written for a notebook
(``await`` at the top level) is wrapped in an ``async def``.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def snippets(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def as_module(code: str) -> str:
    top_level_await = any(
        re.match(r"(async with|async for|await) ", line) for line in code.splitlines()
    )
    if not top_level_await:
        return code
    imports = [line for line in code.splitlines() if line.startswith(("import ", "from "))]
    body = [line for line in code.splitlines() if line not in imports]
    return "\n".join(
        [*imports, "", "", "async def snippet() -> None:", textwrap.indent("\n".join(body), "    ")]
    )


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    found = snippets((ROOT / "README.md").read_text())
    if not found:
        raise SystemExit("README.md has no ```python blocks")
    for index, code in enumerate(found):
        (out / f"readme_snippet_{index}.py").write_text(as_module(code) + "\n")
    print(f"{len(found)} README snippets written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
