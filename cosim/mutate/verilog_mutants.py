"""Generated mutants of the Verilog sources (rtl/src/*.sv), in the manner of MCY: one small
edit of one expression.

The operator set is the Python generator's, as far as Verilog has it: binary `+ - *`
replaced (`*` by `+`), comparisons moved across their boundary (`<` to `<=`, `==` to `!=`),
`&&`/`||` swapped, bitwise `& | ^` replaced, shifts reversed (`<<` to `>>`, `<<<` to
`>>>`), unary `! ~ -` dropped, constants +-1 and 0/1 swapped (decimal, sized such as
`4'd3` or `1'b0` within their width, `'0`/`'1`), and conditions negated (`if (x)` to
`if (!(x))`, a ternary's condition likewise).

Only expressions are mutated: the right-hand side of an assignment (`=`, `<=`, `+=`, ...,
`assign`), a `return` value, the condition of an `if`/`while`, and the port connections of
a module instance. Comments, declarations and widths (module headers and port lists,
parameters, typedefs, `logic`/`wire` declarations, function headers, cast widths such as
`32'(x)`) are left alone: there a mutant mostly does not build or changes nothing. So are
`for` headers and `case` selectors: a loop bound is an array's size, and widened it reads
past the array (zero in Verilator) and writes nowhere, which mostly changes nothing. Since
edits are only made inside an expression, `<=` found there is a comparison, never the
non-blocking assignment.

Each mutant is a `python_mutants.Mutant` (its edits as positions in the file), and `patch`
turns it into the `rtl.build` patch that builds it: whole lines, widened until their text
occurs once in the file.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import re
from dataclasses import dataclass

from .python_mutants import Edit, Mutant

_TOKEN = re.compile(r"""
    (?P<comment>//[^\n]*|/\*.*?\*/|`\w+[^\n]*)
  | (?P<space>\s+)
  | (?P<string>"(?:\\.|[^"\\])*")
  | (?P<sized>\d[\d_]*'[sS]?[bBoOdDhH][0-9a-fA-F_xXzZ?]+)
  | (?P<based>'[sS]?[bBoOdDhH][0-9a-fA-F_xXzZ?]+)
  | (?P<fill>'[01](?!\w))
  | (?P<number>\d[\d_]*)
  | (?P<name>[A-Za-z_$][\w$]*)
  | (?P<op><<<=|>>>=|<<<|>>>|===|!==|<<=|>>=|\+:|-:|::|<=|>=|==|!=|&&|\|\||<<|>>|\+\+|--|\+=|-=|\*=|/=|&=|\|=|\^=|\*\*|'\{|.)
""", re.S | re.X)  # fmt: skip
BINARY = {"+": "-", "-": "+", "*": "+", "<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==",
          "&&": "||", "||": "&&", "&": "|", "|": "&", "^": "&", "<<": ">>", ">>": "<<", "<<<": ">>>",
          ">>>": "<<<"}  # fmt: skip
OPERATOR_KIND = {**dict.fromkeys(("+", "-", "*"), "arith"), **dict.fromkeys(("<", "<=", ">", ">=", "==", "!="), "compare"),
                 **dict.fromkeys(("&&", "||"), "logic"), **dict.fromkeys(("&", "|", "^"), "bitwise"),
                 **dict.fromkeys(("<<", ">>", "<<<", ">>>"), "shift")}  # fmt: skip
UNARY = ("!", "~", "-")
ASSIGN = {"=", "<=", "+=", "-=", "*=", "/=", "&=", "|=", "^=", "<<=", ">>=", "<<<=", ">>>="}
# Chunks end at `;` and at these words (which are no part of a statement).
BLOCK_WORDS = {"begin", "end", "endcase", "endfunction", "endtask", "endmodule", "endpackage", "endgenerate", "generate",
               "fork", "join", "endinterface"}  # fmt: skip
PREFIX_WORDS = {"else", "unique", "unique0", "priority", "always_comb", "always_latch", "always_ff", "always", "initial",
                "final"}  # fmt: skip
KEYWORDS = BLOCK_WORDS | PREFIX_WORDS | {"if", "for", "while", "case", "casez", "casex", "return", "assign", "module",
                                         "function", "task", "package", "typedef", "logic", "wire", "reg", "int",
                                         "parameter", "localparam", "input", "output", "inout", "import", "genvar"}  # fmt: skip
OPEN, CLOSE = {"(": ")", "[": "]", "{": "}", "'{": "}"}, {")", "]", "}"}


@dataclass(frozen=True)
class Token:
    kind: str  # sized, based, fill, number, name, op, string
    text: str
    start: int  # offsets in the file's text
    end: int


def tokens(text: str) -> list[Token]:
    """The tokens of a Verilog text, comments, compiler directives and white space left out."""
    return [Token(m.lastgroup or "op", m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)
            if m.lastgroup not in ("comment", "space")]  # fmt: skip


def _match(toks: list[Token], i: int) -> int:
    """The index of the bracket closing the one at `i`."""
    depth = 0
    for j in range(i, len(toks)):
        depth += toks[j].text in OPEN
        depth -= toks[j].text in CLOSE
        if depth == 0:
            return j
    return len(toks) - 1


def _operand_end(tok: Token | None) -> bool:
    """Whether `tok` can end an operand (then an operator after it is binary)."""
    return tok is not None and (tok.kind in ("sized", "based", "fill", "number", "string") or tok.text in CLOSE or
                                (tok.kind == "name" and tok.text not in KEYWORDS))  # fmt: skip


class _Finder:
    """Collects the edits of one file, chunk by chunk (statements, or headers ending at `begin`)."""

    def __init__(self, file: str, text: str):
        self.file, self.text = file, text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.found: list[Mutant] = []
        self.module, self.function = "", ""

    def position(self, offset: int) -> tuple[int, int]:
        line = next(i for i in range(len(self.line_starts) - 1, -1, -1) if self.line_starts[i] <= offset)
        return line + 1, offset - self.line_starts[line]

    def add(self, operator: str, before: str, after: str, edits: list[tuple[int, int, str]]) -> None:
        scope = ".".join(s for s in (self.module, self.function) if s) or "<file>"
        self.found.append(Mutant(self.file, self.position(edits[0][0])[0], operator, scope, before, after,
                                 tuple(Edit(*self.position(a), *self.position(b), new) for a, b, new in edits)))  # fmt: skip

    def run(self) -> list[Mutant]:
        chunk: list[Token] = []
        toks = tokens(self.text)
        depth = 0
        for tok in toks:
            if depth == 0 and tok.kind == "name" and tok.text in BLOCK_WORDS:
                self.chunk(chunk)
                chunk = []
                if tok.text in ("endfunction", "endtask"):
                    self.function = ""
                continue
            chunk.append(tok)
            depth += (tok.text in OPEN) - (tok.text in CLOSE)
            if depth == 0 and tok.text == ";":
                self.chunk(chunk)
                chunk = []
        return self.found

    def chunk(self, t: list[Token]) -> None:
        """Find the expressions of one chunk and mutate them."""
        if not t:
            return
        if t[0].text in ("module", "package", "interface") and len(t) > 1:
            self.module = t[1].text
        if t[0].text in ("function", "task"):
            paren = next((k for k, x in enumerate(t) if x.text in ("(", ";")), len(t))
            self.function = t[paren - 1].text
        end = len(t) - 1 if t[-1].text == ";" else len(t)
        i = 0
        while i < end:
            word = t[i].text
            if word in PREFIX_WORDS:
                i += 1
            elif word == "@":
                i = _match(t, i + 1) + 1 if t[i + 1].text == "(" else i + 2
            elif word in ("if", "while") and i + 1 < end and t[i + 1].text == "(":
                close = _match(t, i + 1)
                self.expression(t, i + 2, close, condition=True)
                i = close + 1
            elif word in ("for", "case", "casez", "casex") and i + 1 < end and t[i + 1].text == "(":
                i = _match(t, i + 1) + 1
            elif (label := self.label(t, i, end)) is not None:
                i = label + 1
            else:
                break
        if i >= end:
            return
        if t[i].text == "return":
            self.expression(t, i + 1, end)
        elif t[i].text == "assign" or (t[i].kind == "name" and t[i].text not in KEYWORDS) or t[i].text == "{":
            j = i + 1 if t[i].text == "assign" else i
            j = self.lvalue(t, j, end)
            if j < end and t[j].text in ASSIGN:
                self.expression(t, j + 1, end)
            elif t[i].kind == "name" and t[i].text not in KEYWORDS:
                self.instance(t, i, end)

    @staticmethod
    def label(t: list[Token], i: int, end: int) -> int | None:
        """The index of the `:` ending a case label at `i` (`ROW_ADD:`, `4'd3, 4'd5:`, `default:`)."""
        j = i
        while j < end and (t[j].kind in ("sized", "based", "number") or t[j].text in (",", "::", "default") or
                           (t[j].kind == "name" and t[j].text not in KEYWORDS)):  # fmt: skip
            j += 1
        return j if j > i and j < end and t[j].text == ":" else None

    @staticmethod
    def lvalue(t: list[Token], j: int, end: int) -> int:
        """The index after the assignment target starting at `j` (a name with selects and
        fields, or a concatenation)."""
        if j < end and t[j].text == "{":
            return _match(t, j) + 1
        j += 1
        while j < end and t[j].text in ("[", "."):
            j = _match(t, j) + 1 if t[j].text == "[" else j + 2
        return j

    def instance(self, t: list[Token], i: int, end: int) -> None:
        """A module instance `type #(...) name (.port(expr), ...)`: mutate each connection."""
        j = i + 1
        if j < end and t[j].text == "#":
            j = _match(t, j + 1) + 1
        if not (j + 1 < end and t[j].kind == "name" and t[j + 1].text == "("):
            return
        close = _match(t, j + 1)
        k = j + 2
        while k < close:
            if t[k].text == "." and k + 2 < close and t[k + 2].text == "(":
                port_close = _match(t, k + 2)
                self.expression(t, k + 3, port_close)
                k = port_close + 1
            else:
                k += 1

    def expression(self, t: list[Token], lo: int, hi: int, condition: bool = False) -> None:
        """Every mutant of the expression t[lo:hi]."""
        if lo >= hi:
            return
        if condition:
            self.negate(t, lo, hi)
        for k in range(lo, hi):
            tok, prev = t[k], t[k - 1] if k > lo else None
            nxt = t[k + 1].text if k + 1 < len(t) else ""
            if tok.kind == "op" and tok.text in BINARY and _operand_end(prev):
                new = BINARY[tok.text]
                self.add(OPERATOR_KIND[tok.text], tok.text, new, [(tok.start, tok.end, new)])
            elif tok.kind == "op" and tok.text in UNARY and not _operand_end(prev):
                self.add("unary", tok.text, "", [(tok.start, tok.end, "")])
            elif tok.kind == "op" and tok.text == "?":
                self.negate(t, self.condition_start(t, lo, k), k)
            elif tok.kind in ("number", "sized", "based", "fill") and nxt != "'":  # `32'(x)`: a cast's width
                for new in constants(tok.text):
                    self.add("constant", tok.text, new, [(tok.start, tok.end, new)])

    @staticmethod
    def condition_start(t: list[Token], lo: int, q: int) -> int:
        """Where the condition of the ternary whose `?` is at `q` starts (its operators all bind
        tighter than `?:`: back to an open bracket, a comma, another `?` or `:`)."""
        depth = 0
        for k in range(q - 1, lo - 1, -1):
            depth += (t[k].text in CLOSE) - (t[k].text in OPEN)
            if depth < 0 or (depth == 0 and t[k].text in (",", "?", ":")):
                return k + 1
        return lo

    def negate(self, t: list[Token], lo: int, hi: int) -> None:
        if lo >= hi:
            return
        a, b = t[lo].start, t[hi - 1].end
        self.add("negate", self.text[a:b], f"!({self.text[a:b]})", [(a, a, "!("), (b, b, ")")])


def constants(text: str) -> list[str]:
    """The replacements of a literal: its value +-1 and 0/1 swapped, within its width."""
    if text in ("'0", "'1"):
        return ["'1" if text == "'0" else "'0"]
    m = re.fullmatch(r"(\d[\d_]*)?('[sS]?)([bBoOdDhH])([0-9a-fA-F_]+)", text)
    if re.fullmatch(r"\d[\d_]*", text):
        value, width, render = int(text.replace("_", "")), None, str
    elif m:
        base = {"b": 2, "o": 8, "d": 10, "h": 16}[m.group(3).lower()]
        value, width = int(m.group(4).replace("_", ""), base), int(m.group(1).replace("_", "")) if m.group(1) else 32
        digits = {2: "b", 8: "o", 10: "d", 16: "x"}[base]
        render = lambda v: f"{m.group(1) or ''}{m.group(2)}{m.group(3)}{format(v, digits)}"  # noqa: E731
    else:
        return []  # x/z digits
    new = {value + 1, value - 1} | ({1} if value == 0 else {0} if value == 1 else set())
    return [render(v) for v in sorted(new) if v >= 0 and (width is None or v < 1 << width)]


def mutants(file: str, text: str) -> list[Mutant]:
    """Every mutant of a Verilog file's text, in source order; `file` names it in the results."""
    finder = _Finder(file, text)
    out, seen = [], collections.Counter()
    lines = text.splitlines()
    for m in sorted(finder.run(), key=lambda m: (m.line, m.edits[0].col, m.operator, m.after)):
        key = f"{m.file}|{m.scope}|{m.operator}|{lines[m.line - 1].strip()}|{m.edits[0].col}|{m.before}|{m.after}"
        seen[key] += 1
        out.append(dataclasses.replace(m, id=hashlib.sha1(f"{key}|{seen[key]}".encode()).hexdigest()[:12]))
    return out


def patch(m: Mutant, text: str) -> tuple[str, str, str]:
    """The `rtl.build` patch of mutant `m` of `text`: (file name, old, new), `old` being the
    lines the edits touch, widened by neighbouring lines until it occurs once in the file."""
    lines = text.splitlines(keepends=True)
    mutated = m.apply(text).splitlines(keepends=True)  # edits add no line breaks: lines keep their numbers
    first, last = m.edits[0].line - 1, max(e.end_line for e in m.edits) - 1
    down = True
    while text.count("".join(lines[first : last + 1])) != 1 and (first, last) != (0, len(lines) - 1):
        if (down and last < len(lines) - 1) or first == 0:
            last += 1
        else:
            first -= 1
        down = not down
    return m.file.rsplit("/", 1)[-1], "".join(lines[first : last + 1]), "".join(mutated[first : last + 1])
