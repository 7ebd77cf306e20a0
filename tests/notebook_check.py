"""Execute the example notebook against the emulator and check what it showed (``nox -s
notebook``; CI runs it). Not a pytest module: it needs a Jupyter kernel, pandas and matplotlib,
which only that session installs.

Checks: every code cell ran without an error; the results showed as HTML tables; the charts were
drawn; the Live Response fan-out reached every online endpoint, its progress line ended at the
total with no failure, and its sessions were all closed; the client ended closed; and no output
anywhere shows the emulator's token (a display that leaked credentials would show it).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from cbasync.testing import DEFAULT_TOKEN


def main(path: str) -> int:
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as workdir:
        NotebookClient(
            notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": workdir}}
        ).execute()
    problems: list[str] = []
    html: list[str] = []
    images = 0
    texts: list[str] = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("execution_count") is None:
            problems.append(f"cell {index} did not run")
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                problems.append(f"cell {index}: {output.ename}: {output.evalue}")
            data = output.get("data", {})
            html.append(data.get("text/html", ""))
            images += "image/png" in data
            texts.append(str(data.get("text/plain", "")) + str(output.get("text", "")))
    everything = "\n".join(html + texts)
    if not any("<table" in h and "Process: 200 results" in h for h in html):
        problems.append("the query's results did not show as a table")
    if not any("(not run:" in h for h in html):
        problems.append("the query did not show what it will ask")
    if images < 2:
        problems.append(f"expected the facet chart and the process tree, got {images} images")
    fan_out = re.search(r"'(\d+)/(\d+) endpoints, (\d+) failed'", everything)
    if fan_out is None or fan_out[1] != fan_out[2] or fan_out[3] != "0" or fan_out[1] == "0":
        problems.append(f"the Live Response progress did not end done: {fan_out}")
    elif not any("hosts bytes" in h and _body_rows(h) == int(fan_out[1]) for h in html):
        problems.append("the Live Response results did not show as a table of every endpoint")
    if "<LiveResponse EDR: 0 session(s) open" not in everything:
        problems.append("Live Response sessions were left open")
    if "(closed)>" not in texts[-1]:
        problems.append("the client was not closed at the end")
    if DEFAULT_TOKEN in everything or DEFAULT_TOKEN[:12] in everything:
        problems.append("an output shows the token")
    for problem in problems:
        print(f"notebook: {problem}", file=sys.stderr)
    cells = sum(cell.cell_type == "code" for cell in notebook.cells)
    print(f"{Path(path).name}: {cells} code cells run, {images} charts, "
          f"{len(problems)} problems")  # fmt: skip
    return 1 if problems else 0


def _body_rows(html: str) -> int:
    """The rows of a pandas table's body (each starts with its index cell)."""
    return len(re.findall(r"<tr>\s*<th>\d+</th>", html))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
