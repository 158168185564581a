"""The package's rooms and the arrows between them, checked on the source (lazy imports included).

Each room may import only the rooms listed for it; the neutral modules at the top of the package
import no room at all. The README's "Layout" section draws the same map.
"""

import ast
import pathlib
from collections import Counter

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "jaxtrack"
NEUTRAL = {"boxes", "errors", "registry", "config", "files", "paths", "polygons", "result_files", "compiler"}
ROOMS = {  # room -> rooms it may import (besides the neutral modules and itself)
    "assign": set(),
    "models": {"assign"},
    "data": set(),
    "train": {"assign", "models", "data"},
    "track": {"assign", "models", "data"},
    "eval": {"data", "models", "track"},
    "figures": {"assign", "eval", "train"},
    "cli": {"assign", "models", "data", "train", "track", "eval", "figures"},
}


def _room(path):
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0] if len(parts) > 1 else parts[0]


def _imported_jaxtrack_modules(path):
    """First component after ``jaxtrack.`` of every import in the file, at any depth."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "jaxtrack" and len(parts) > 1:
                found.add(parts[1])
    return found


def _package_files():
    return [p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts]


def test_every_module_belongs_to_a_room_or_is_neutral():
    unknown = {str(p.relative_to(PACKAGE)) for p in _package_files()
               if _room(p) not in ROOMS and _room(p) not in NEUTRAL | {"__init__"}}
    assert not unknown, f"modules outside the map (add them to ROOMS/NEUTRAL and the README): {sorted(unknown)}"


def test_imports_follow_the_arrows():
    wrong = []
    for path in _package_files():
        room = _room(path)
        allowed = NEUTRAL | {room} | ROOMS.get(room, set())
        if room in NEUTRAL:
            allowed = NEUTRAL
        for target in _imported_jaxtrack_modules(path) - allowed:
            wrong.append(f"{path.relative_to(PACKAGE)} imports jaxtrack.{target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_two_modules_share_a_name():
    names = Counter(p.stem for p in _package_files() if p.name != "__init__.py")
    shared = sorted(name for name, count in names.items() if count > 1)
    assert not shared, shared
