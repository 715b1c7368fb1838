"""glassnet.cv works on plain arrays: it imports nothing of glassnet outside glassnet.cv."""
import ast
from pathlib import Path

CV = Path(__file__).resolve().parents[2] / "glassnet" / "cv"


def _imported_modules(path: Path) -> set:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module)
    return names


def test_cv_modules_import_no_tensor_autograd_or_vision():
    files = sorted(CV.glob("*.py"))
    assert {p.name for p in files} >= {"canny.py", "filters.py", "io.py", "_border.py"}
    outside = {p.name: sorted(m for m in _imported_modules(p)
                              if m.split(".")[0] == "glassnet" and not m.startswith("glassnet.cv"))
               for p in files}
    assert {name: mods for name, mods in outside.items() if mods} == {}
