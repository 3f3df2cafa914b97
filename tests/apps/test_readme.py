"""The README's "From Python" snippet runs as pasted (in a fresh folder)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def from_python_snippet() -> str:
    text = README.read_text()
    section = text.split("## From Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README: no python block under '## From Python'"
    return match.group(1)


def test_the_from_python_snippet_runs_as_pasted(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(from_python_snippet(), str(README), "exec"), namespace)  # noqa: S102
    out = capsys.readouterr().out
    assert out.startswith("Scene(") and len(out.splitlines()[0]) < 400  # a short repr
    assert "this run" in out and "wa_mpjpe100" in out
    loaded = namespace["loaded"]
    assert (tmp_path / "runs" / "mine" / "trajectory.png").is_file()
    assert set(loaded.history) == {"init", "root", "smooth", "motion"}
    assert loaded.history["motion"]["total"].size == namespace["result"].passes["motion"].steps + 1
    assert all(j.shape[-1] == 3 for j in namespace["joints"].values())
