#!/usr/bin/env python3
"""The layers hold: no module imports one that imports it back.

For every crate of the workspace, reads each source file's references to
other modules of the same crate (`use crate::a::b`, `crate::a::f()`,
`super::x` from a submodule) and builds the graph between sibling modules:
the crate's top-level modules, and the files of one folder. Any circle in
that graph is printed (with a file:line that makes each edge) and fails the
check. Edges from a module to its own children (its `mod` items) and from a
child to its parent folder's `mod.rs` are the module tree, not imports.

Also refuses the imports that point up the layers of the form functions
(FORBIDDEN below), even when no circle is formed yet.

Usage: scripts/check-layers.py [ROOT]   (exit 1 on a finding)
"""

import re
import sys
from pathlib import Path

CRATES = ["model", "calendar", "forms", "functions", "generator"]

# (crate, importing top-level module, imported top-level module): an arrow
# pointing up the layers (domain -> ports -> services -> adapters -> web -> edges).
FORBIDDEN = [
    ("functions", "service", "http"),
    ("functions", "service", "lambda"),
    ("functions", "store", "service"),
    ("functions", "store", "http"),
    ("functions", "mail", "service"),
    ("functions", "mail", "http"),
    ("functions", "mail", "store"),
]

REF = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\}", re.S)
LINE_COMMENT = re.compile(r"//.*")


def module_path(src: Path, file: Path) -> list[str]:
    """The module path of a source file: src/a/b.rs and src/a/b/mod.rs are ["a", "b"]."""
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    if parts and parts[0] == "bin":
        return ["<bin>"]
    return parts


def strip_tests(text: str) -> str:
    """Drops `#[cfg(test)] mod tests { ... }` blocks: a test may import anything."""
    out, i = [], 0
    pat = re.compile(r"#\[cfg\(test\)\]\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+\w+\s*\{")
    while True:
        m = pat.search(text, i)
        if not m:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i : m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j


def references(text: str, here: list[str]):
    """(line, absolute module path) for each reference to another module of the crate."""
    text = strip_tests(text)
    lines = [LINE_COMMENT.sub("", line) for line in text.split("\n")]
    clean = "\n".join(lines)

    def absolute(root: str, rest: list[str]) -> list[str]:
        if root == "crate":
            return rest
        # `super` is the parent module, for src/a/b.rs and src/a/b/mod.rs alike.
        return here[:-1] + rest

    found = []
    for m in USE_GROUP.finditer(clean):
        line = clean.count("\n", 0, m.start()) + 1
        prefix = [p for p in m.group(2).split("::") if p]
        for item in re.split(r",", m.group(3)):
            item = item.strip().split(" as ")[0].strip()
            if not item or item.startswith("{"):
                continue
            head = [p for p in item.split("::") if p and p != "self" and p != "*"]
            found.append((line, absolute(m.group(1), prefix + head)))
    for m in REF.finditer(clean):
        line = clean.count("\n", 0, m.start()) + 1
        rest = [p for p in m.group(2).split("::") if p]
        found.append((line, absolute(m.group(1), rest)))
    return found


def check_crate(root: Path, crate: str) -> list[str]:
    src = root / crate / "src"
    if not src.is_dir():
        return []
    files = sorted(p for p in src.rglob("*.rs"))
    modules = {tuple(module_path(src, f)) for f in files}
    edges: dict[tuple, dict[tuple, str]] = {}
    problems = []
    for f in files:
        here = module_path(src, f)
        if here == ["<bin>"]:
            continue
        for line, target in references(f.read_text(), here):
            # The longest prefix that is a module of this crate.
            t = list(target)
            while t and tuple(t) not in modules:
                t.pop()
            if not t:
                continue
            # Compare as siblings: the first place where the two paths part.
            k = 0
            while k < len(here) and k < len(t) and here[k] == t[k]:
                k += 1
            if k == len(here) or k == len(t):
                continue  # a module and its own descendants or ancestors: the tree itself
            a, b = tuple(here[: k + 1]), tuple(t[: k + 1])
            edges.setdefault(a, {}).setdefault(b, f"{f.relative_to(root)}:{line}")
            if len(a) == 1:
                for c, x, y in FORBIDDEN:
                    if c == crate and a[0] == x and b[0] == y:
                        problems.append(f"{crate}: {x} must not import {y} (it is above it): {f.relative_to(root)}:{line}")
    for scc in strongly_connected(edges):
        if len(scc) > 1:
            names = sorted("::".join(m) for m in scc)
            where = [f"  {'::'.join(a)} -> {'::'.join(b)}  ({w})" for a in sorted(scc) for b, w in sorted(edges.get(a, {}).items()) if b in scc]
            problems.append(f"{crate}: import circle between {', '.join(names)}:\n" + "\n".join(where))
    return problems


def strongly_connected(edges):
    """Tarjan's algorithm, iteratively."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    nodes = set(edges) | {b for bs in edges.values() for b in bs}

    def visit(v):
        work = [(v, iter(edges.get(v, {})))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(edges.get(w, {}))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(comp)

    for n in sorted(nodes):
        if n not in index:
            visit(n)
    return out


def self_test() -> None:
    """The check finds a circle and an upward arrow in a tree made for it, and nothing in a clean one."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "functions" / "src"
        (src / "service").mkdir(parents=True)
        (src / "lib.rs").write_text("pub mod http;\npub mod service;\n")
        (src / "http.rs").write_text("use crate::service::Forms;\n#[cfg(test)]\nmod tests { use crate::service::x; }\n")
        (src / "service" / "mod.rs").write_text("mod a;\nmod b;\npub struct Forms;\nuse self::a::f;\n")
        (src / "service" / "a.rs").write_text("use super::b::g; // crate::http::nothing\npub fn f() {}\n")
        (src / "service" / "b.rs").write_text("pub fn g() { super::a::f() }\n")
        found = check_crate(Path(d), "functions")
        assert len(found) == 1 and "service::a, service::b" in found[0], found
        (src / "service" / "b.rs").write_text("pub fn g() {}\n")
        assert check_crate(Path(d), "functions") == []
        (src / "service" / "b.rs").write_text("use crate::{http::escape, model};\n")
        found = check_crate(Path(d), "functions")
        assert any("service must not import http" in p for p in found) and any("circle between http, service" in p for p in found), found


def main() -> int:
    self_test()
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    problems = [p for c in CRATES for p in check_crate(root, c)]
    for p in problems:
        print(p)
    if problems:
        print(f"layers: {len(problems)} finding(s)")
        return 1
    print(f"layers: no import circle in {', '.join(CRATES)}, no arrow up the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
