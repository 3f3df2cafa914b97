"""examples/notebook.ipynb runs top to bottom (nbclient, the kernel of this Python)."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "notebook.ipynb"


def test_the_example_notebook_executes(tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="the [dev] extra's nbformat is missing")
    nbclient = pytest.importorskip("nbclient", reason="the [dev] extra's nbclient is missing")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on failure
    assert (tmp_path / "runs" / "notebook" / "scene.json").is_file()
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    texts = [o.get("data", {}).get("text/plain", "") for o in outputs]
    assert any(t.startswith("Scene(") for t in texts)
    assert any(t.startswith("LoadedResult(") for t in texts)
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the plots
