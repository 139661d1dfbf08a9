"""Generated mutants of Python source: one small edit at one AST location.

The operator set (the classic one of mutmut, cosmic-ray and PIT, kept small): arithmetic,
shift and bitwise operators replaced, comparisons moved across their boundary (`<` to
`<=`, `==` to `!=`), `and`/`or` swapped, unary operators dropped, integer constants +-1
and 0/1 swapped, booleans flipped, conditions negated, statements with a side effect
deleted, adjacent call arguments swapped, and calls that are operators replaced (the lane
vocabulary's `o.add` by `o.sub`, `o.ge` by `o.gt`, `np.maximum` by `np.minimum`, `min` by
`max`, ...). Docstrings, strings, annotations, imports and asserts are left alone.

Each edit replaces the source text of one node (or one operator token) only, so every
other line of the file keeps its text and its number, and the diff is one line.
"""

from __future__ import annotations

import ast
import collections
import dataclasses
import difflib
import hashlib
import io
import tokenize
from dataclasses import dataclass

BINOP = {ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "+"), ast.Div: ("/", "*"),
         ast.FloorDiv: ("//", "*"), ast.Mod: ("%", "//"), ast.Pow: ("**", "*"), ast.LShift: ("<<", ">>"),
         ast.RShift: (">>", "<<"), ast.BitAnd: ("&", "|"), ast.BitOr: ("|", "&"), ast.BitXor: ("^", "&"),
         ast.MatMult: ("@", "*")}  # fmt: skip
# Calls that are operators: the lane-operation vocabulary (`o.add`, ...), numpy and built-ins.
CALLS = {"add": "sub", "sub": "add", "mul": "add", "shl": "ashr", "ashr": "shl", "bit_and": "bit_or", "bit_or": "bit_and",
         "eq": "ne", "ne": "eq", "lt": "le", "le": "lt", "gt": "ge", "ge": "gt", "maximum": "minimum",
         "minimum": "maximum", "floor": "ceil", "ceil": "floor", "left_shift": "right_shift",
         "right_shift": "left_shift", "min": "max", "max": "min", "any": "all", "all": "any"}  # fmt: skip
CALL_RECEIVERS = {"o", "ops", "np", "math"}  # whose methods of those names are operators
# swapping their arguments is no bug
SYMMETRIC = {"min", "max", "np.minimum", "np.maximum", "np.array_equal", "math.gcd", "o.eq", "o.ne"}
COMPARE = {ast.Lt: ("<", "<="), ast.LtE: ("<=", "<"), ast.Gt: (">", ">="), ast.GtE: (">=", ">"),
           ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="), ast.Is: ("is", "is not"), ast.IsNot: ("is not", "is"),
           ast.In: ("in", "not in"), ast.NotIn: ("not in", "in")}  # fmt: skip


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, col) to (end_line, end_col) (1-based lines, 0-based
    columns, as `ast` counts) by `text`."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str


@dataclass(frozen=True)
class Mutant:
    """One generated mutant of one file: where, what kind of edit, and the edit."""

    file: str  # path relative to the project root
    line: int
    operator: str  # binop, compare, boolop, unary, constant, negate, delete, swap-args, call
    scope: str  # qualified name of the enclosing function or class ("<module>" at top level)
    before: str  # the source text the edit replaces
    after: str
    edits: tuple[Edit, ...]
    id: str = ""  # stable while the line keeps its text and scope, wherever it moves

    def apply(self, source: str) -> str:
        """The mutated source."""
        text = _Source(source)
        data = text.data
        for e in sorted(self.edits, key=lambda e: (e.line, e.col), reverse=True):  # later first: offsets stay valid
            data = data[: text.offset(e.line, e.col)] + e.text.encode() + data[text.offset(e.end_line, e.end_col) :]
        return data.decode()

    def diff(self, source: str) -> str:
        """A unified diff of the edit, with the file name."""
        mutated = self.apply(source)
        return "".join(difflib.unified_diff(source.splitlines(keepends=True), mutated.splitlines(keepends=True),
                                            f"a/{self.file}", f"b/{self.file}", n=1))  # fmt: skip


class _Source:
    """A module's text with conversions between ast positions and byte offsets."""

    def __init__(self, source: str):
        self.data = source.encode()
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def position(self, offset: int) -> tuple[int, int]:
        line = max(i for i, s in enumerate(self.starts) if s <= offset)
        return line + 1, offset - self.starts[line]

    def text(self, node: ast.AST) -> str:
        """The source text of `node` (ast positions: 1-based lines, UTF-8 byte columns)."""
        a = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        b = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return self.data[a:b].decode()

    def line_text(self, line: int) -> str:
        return self.data[self.starts[line - 1] : self.starts[line]].decode().strip()

    def token(self, a: ast.AST, b: ast.AST, symbol: str, replacement: str) -> Edit | None:
        """An edit replacing the operator `symbol` (one or two words) between nodes `a` and `b`."""
        lo = self.offset(a.end_lineno, a.end_col_offset)  # type: ignore[attr-defined]
        hi = self.offset(b.lineno, b.col_offset)  # type: ignore[attr-defined]
        gap = self.data[lo:hi].decode()
        try:
            tokens = [t for t in tokenize.generate_tokens(io.StringIO(gap).readline)
                      if t.type in (tokenize.OP, tokenize.NAME)]  # fmt: skip
        except (tokenize.TokenError, IndentationError):
            return None
        words = symbol.split()
        gap_lines = gap.splitlines(keepends=True)

        def absolute(row: int, col: int) -> tuple[int, int]:
            return self.position(lo + sum(len(x.encode()) for x in gap_lines[: row - 1])
                                 + len(gap_lines[row - 1][:col].encode()))  # fmt: skip

        for i in range(len(tokens) - len(words) + 1):
            if [t.string for t in tokens[i : i + len(words)]] == words:
                start, end = absolute(*tokens[i].start), absolute(*tokens[i + len(words) - 1].end)
                return Edit(*start, *end, replacement)
        return None


class _Finder(ast.NodeVisitor):
    """Collects every mutant of one module."""

    def __init__(self, file: str, source: str):
        self.file, self.src = file, _Source(source)
        self.scope: list[str] = []
        self.found: list[Mutant] = []
        self.skip: set[int] = set()  # ids of nodes never mutated (docstrings, annotations)

    def add(self, node: ast.AST, operator: str, after: str, edits: list[Edit] | None = None, before: str = "") -> None:
        edits = edits or [Edit(node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, after)]  # type: ignore[attr-defined]
        self.found.append(Mutant(self.file, edits[0].line, operator, ".".join(self.scope) or "<module>",
                                 before or self.src.text(node), after, tuple(edits)))  # fmt: skip

    def op(self, node: ast.AST, operator: str, a: ast.AST, b: ast.AST, old: str, new: str) -> None:
        """A mutant replacing the operator token `old` between `a` and `b` by `new`."""
        edit = self.src.token(a, b, old, new)
        if edit is not None:
            self.add(node, operator, new, [edit], before=old)

    def visit(self, node: ast.AST) -> None:
        if id(node) not in self.skip:
            super().visit(node)

    # ---- structure: scopes, and what is never mutated
    def _docstring(self, body: list[ast.stmt]) -> None:
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self.skip.add(id(body[0]))

    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self._docstring(node.body)
        for d in node.decorator_list:
            self.visit(d)
        if not isinstance(node, ast.ClassDef):
            for a in ast.walk(node.args):
                if isinstance(a, ast.arg) and a.annotation is not None:
                    self.skip.add(id(a.annotation))
            if node.returns is not None:
                self.skip.add(id(node.returns))
            self.visit(node.args)
        self.scope.append(node.name)
        for stmt in node.body:
            self.visit(stmt)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_Module(self, node: ast.Module) -> None:
        self._docstring(node.body)
        for stmt in node.body:
            if not (isinstance(stmt, ast.If) and "__name__" in self.src.text(stmt.test)):  # not the script entry
                self.visit(stmt)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def _leave(self, node: ast.AST) -> None:
        """Imports, asserts and f-strings (message text) are not mutated."""

    visit_Import = visit_ImportFrom = visit_Assert = visit_JoinedStr = _leave

    # ---- statements
    def visit_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return
        if all(isinstance(t, (ast.Subscript, ast.Attribute)) for t in node.targets):
            self.add(node, "delete", "pass")
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Call):
            self.add(node, "delete", "pass")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.add(node, "delete", "pass")
        if type(node.op) in BINOP:
            old, new = BINOP[type(node.op)]
            self.op(node, "binop", node.target, node.value, old + "=", new + "=")
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        self.add(node, "delete", "pass")
        self.generic_visit(node)

    def visit_Continue(self, node: ast.Continue | ast.Break) -> None:
        self.add(node, "delete", "pass")

    visit_Break = visit_Continue

    def _negate(self, test: ast.expr) -> None:
        if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)):  # else: the unary mutant drops it
            self.add(test, "negate", f"not ({self.src.text(test)})")

    def visit_If(self, node: ast.If | ast.While | ast.IfExp) -> None:
        self._negate(node.test)
        self.generic_visit(node)

    visit_While = visit_IfExp = visit_If

    def visit_comprehension(self, node: ast.comprehension) -> None:
        for cond in node.ifs:
            self._negate(cond)
        self.generic_visit(node)

    # ---- expressions
    def visit_BinOp(self, node: ast.BinOp) -> None:
        text_format = isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
        if type(node.op) in BINOP and not text_format:
            self.op(node, "binop", node.left, node.right, *BINOP[type(node.op)])
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for left, op, right in zip([node.left, *node.comparators], node.ops, node.comparators):
            self.op(node, "compare", left, right, *COMPARE[type(op)])
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        edits = [self.src.token(a, b, old, new) for a, b in zip(node.values, node.values[1:])]
        if all(e is not None for e in edits):
            self.add(node, "boolop", new, [e for e in edits if e is not None], before=old)
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        operand = node.operand
        if isinstance(node.op, ast.USub) and isinstance(operand, ast.Constant) and type(operand.value) is int:
            self._integer(node, -operand.value)  # a negative literal, mutated as a whole
            return
        if isinstance(node.op, (ast.Not, ast.USub, ast.Invert)):
            self.add(node, "unary", f"({self.src.text(operand)})")
        self.generic_visit(node)

    def _integer(self, node: ast.AST, value: int) -> None:
        text = self.src.text(node)
        for new in sorted({value + 1, value - 1} | ({1} if value == 0 else {0} if value == 1 else set())):
            hexa = text.lstrip("-").lower().startswith("0x")
            self.add(node, "constant", (hex(new) if new >= 0 else f"-{hex(-new)}") if hexa else str(new))

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool):
            self.add(node, "constant", str(not node.value))
        elif isinstance(node.value, int):
            self._integer(node, node.value)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("min", "max", "any", "all"):
            self.add(func, "call", CALLS[func.id], before=func.id)
        elif isinstance(func, ast.Attribute) and func.attr in CALLS and self.src.text(func.value) in CALL_RECEIVERS:
            end = (func.end_lineno, func.end_col_offset)
            self.add(func, "call", CALLS[func.attr], [Edit(end[0], end[1] - len(func.attr), *end, CALLS[func.attr])],
                     before=func.attr)  # type: ignore[arg-type]  # fmt: skip
        symmetric = self.src.text(func) in SYMMETRIC
        for a, b in zip(node.args, node.args[1:] if not symmetric else []):
            ta, tb = self.src.text(a), self.src.text(b)
            if not isinstance(a, ast.Starred) and not isinstance(b, ast.Starred) and ta != tb:
                edits = [Edit(b.lineno, b.col_offset, b.end_lineno, b.end_col_offset, ta),  # type: ignore[arg-type]
                         Edit(a.lineno, a.col_offset, a.end_lineno, a.end_col_offset, tb)]  # type: ignore[arg-type]  # fmt: skip
                self.add(node, "swap-args", f"{tb}, {ta}", edits, before=f"{ta}, {tb}")
        self.generic_visit(node)


def mutants(file: str, source: str) -> list[Mutant]:
    """Every mutant of a module's source, in source order; `file` names it in the results.

    >>> [m.after for m in mutants("x.py", "def f(a):\\n    return a + 1\\n")]
    ['-', '0', '2']
    """
    finder = _Finder(file, source)
    finder.visit(ast.parse(source))
    out, seen = [], collections.Counter()
    for m in sorted(finder.found, key=lambda m: (m.line, m.edits[0].col, m.operator, m.after)):
        key = f"{m.file}|{m.scope}|{m.operator}|{finder.src.line_text(m.line)}|{m.edits[0].col}|{m.before}|{m.after}"
        seen[key] += 1
        mutant = dataclasses.replace(m, id=hashlib.sha1(f"{key}|{seen[key]}".encode()).hexdigest()[:12])
        try:
            ast.parse(mutant.apply(source))
        except SyntaxError:
            continue  # an edit the grammar does not take there
        out.append(mutant)
    return out
