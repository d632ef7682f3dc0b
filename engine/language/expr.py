"""The rule expression language: tokenizer, recursive-descent parser and static type checker.

Rule text is parsed by this module only; it never reaches eval, exec or pandas.eval.
The grammar (see docs/rule-language.md for the table policy staff read):

    expr       := or ('or' and)*            and := not ('and' not)*
    not        := 'not' not | comparison
    comparison := sum [ cmp sum | ['not'] 'in' list | 'is' ['not'] 'null' ]
    sum        := product (('+'|'-') product)*     product := unary (('*'|'/') unary)*
    unary      := '-' unary | atom
    atom       := NUMBER | STRING | 'true' | 'false' | NAME | NAME '(' args ')' | '(' expr ')' | list
    args       := [arg (',' arg)*]              arg := expr | NAME '=' expr
    list       := '[' [atom (',' atom)*] ']'

Conditions (voorwaarde, wanneer) may use comparisons, and/or/not, in, null tests and the
condition functions; arithmetic and aggregates are only allowed in afleidingen,
so that a condition is always a comparison over named columns.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from fractions import Fraction

from examenbron.engine.language.functions import FUNCTIONS

COMPARISON_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
ARITHMETIC_OPERATORS = ("+", "-", "*", "/")
KEYWORDS = ("and", "or", "not", "in", "is", "null", "true", "false")
MAX_EXPRESSION_LENGTH = 4000
MAX_NESTING = 60
# Depth of the finished tree: `a or b or c …` and `x + y + z …` are parsed by loops, not by
# recursion, and would otherwise build trees that the type checker and evaluator recurse into.
MAX_DEPTH = 100

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,|=)
""", re.VERBOSE)


class ExpressionError(Exception):
    """A syntax or type error at a position (0-based offset) in the expression text."""

    def __init__(self, message: str, position: int = 0):
        super().__init__(message)
        self.message, self.position = message, position


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


@dataclass
class Node:
    """An expression tree node; `kind` and `den` are filled in by the type checker."""

    op: str                      # 'num','str','bool','list','name','call','cmp','in','isnull','and','or','not','arith','neg'
    pos: int
    value: object = None         # literal value, name, function name or operator
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    kind: str | None = None      # 'num','bool','str','date','list'
    den: int | None = None       # denominator of a 'num' when fixed (10 for grades), None when per row
    level: str | None = None     # 'vak' or 'kandidaat' (None for constants)

    def names(self) -> set[str]:
        """Every column, afleiding or parameter name this expression reads."""
        found = {self.value} if self.op == "name" else set()
        for child in [*self.args, *self.kwargs.values()]:
            found |= child.names()
        return found


def tokenize(text: str) -> list[Token]:
    """Split rule text into tokens, rejecting anything outside the language."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_EXPRESSION_LENGTH} characters; "
                              "split it into named afleidingen", 0)
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            char = text[pos]
            hint = " (write text between double quotes)" if char in "‘’“”" else ""
            raise ExpressionError(f"unexpected character {char!r}{hint}", pos)
        kind = match.lastgroup
        if kind != "ws":
            word = match.group()
            if kind == "name" and word in KEYWORDS:
                kind = word
            tokens.append(Token(kind, word, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self, offset=0) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def take(self, kind=None) -> Token:
        token = self.peek()
        if kind and token.kind != kind and token.text != kind:
            raise ExpressionError(f"expected {kind!r} but found {_describe(token)}", token.pos)
        self.i += 1
        return token

    def at(self, *kinds) -> bool:
        token = self.peek()
        return token.kind in kinds or (token.kind == "op" and token.text in kinds)

    def parse(self) -> Node:
        node = self.expr()
        token = self.peek()
        if token.kind != "end":
            hint = ""
            if token.text == "," and self.peek(-1).kind == "number":
                hint = "; write decimals with a point (5.5), not a comma"
            elif token.text == "=":
                hint = "; compare with '=='"
            raise ExpressionError(f"unexpected {_describe(token)}{hint}", token.pos)
        return node

    def nested(self, method):
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionError("expression is nested too deeply", self.peek().pos)
        try:
            return method()
        finally:
            self.depth -= 1

    def expr(self) -> Node:
        return self.nested(self.or_)

    def chain(self, operators, operand, op=None) -> Node:
        """operand (operator operand)*, grouped to the left. The node's op is `op` ('and', 'or'), or
        'arith' with the operator as its value."""
        node = operand()
        while self.at(*operators):
            token = self.take()
            node = Node(op or "arith", token.pos, None if op else token.text, [node, operand()])
        return node

    def or_(self) -> Node:
        return self.chain(("or",), self.and_, "or")

    def and_(self) -> Node:
        return self.chain(("and",), self.not_, "and")

    def not_(self) -> Node:
        if self.at("not"):
            pos = self.take().pos
            return Node("not", pos, args=[self.nested(self.not_)])
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum_()
        token = self.peek()
        if token.kind == "op" and token.text in COMPARISON_OPERATORS:
            self.take()
            return Node("cmp", token.pos, token.text, [left, self.sum_()])
        if token.kind == "not" and self.peek(1).kind == "in":
            self.take(), self.take()
            return Node("not", token.pos, args=[Node("in", token.pos, args=[left, self.list_()])])
        if token.kind == "in":
            self.take()
            return Node("in", token.pos, args=[left, self.list_()])
        if token.kind == "is":
            self.take()
            negate = bool(self.at("not")) and self.take() is not None
            self.take("null")
            node = Node("isnull", token.pos, args=[left])
            return Node("not", token.pos, args=[node]) if negate else node
        return left

    def sum_(self) -> Node:
        return self.chain(("+", "-"), self.product)

    def product(self) -> Node:
        return self.chain(("*", "/"), self.unary)

    def unary(self) -> Node:
        if self.at("-"):
            pos = self.take().pos
            operand = self.nested(self.unary)
            if operand.op == "num":
                return Node("num", pos, -operand.value)
            return Node("neg", pos, args=[operand])
        return self.atom()

    def atom(self) -> Node:
        token = self.peek()
        if token.kind == "number":
            self.take()
            return Node("num", token.pos, Fraction(token.text))
        if token.kind == "string":
            self.take()
            return Node("str", token.pos, _unquote(token.text))
        if token.kind in ("true", "false"):
            self.take()
            return Node("bool", token.pos, token.kind == "true")
        if token.kind == "name":
            self.take()
            if self.at("("):
                return self.call(token)
            return Node("name", token.pos, token.text)
        if self.at("("):
            self.take()
            node = self.expr()
            self.take(")")
            return node
        if self.at("["):
            return self.list_()
        raise ExpressionError(f"expected a value, name or '(' but found {_describe(token)}", token.pos)

    def call(self, name: Token) -> Node:
        self.take("(")
        node = Node("call", name.pos, name.text)
        while not self.at(")"):
            if self.peek().kind == "name" and self.peek(1).text == "=" and self.peek(1).kind == "op":
                key = self.take()
                self.take("=")
                if key.text in node.kwargs:
                    raise ExpressionError(f"argument {key.text!r} given twice", key.pos)
                node.kwargs[key.text] = self.expr()
            elif node.kwargs:
                raise ExpressionError("positional argument after a named one", self.peek().pos)
            else:
                node.args.append(self.expr())
            if not self.at(")"):
                self.take(",")
        self.take(")")
        return node

    def list_(self) -> Node:
        start = self.take("[")
        items = []
        while not self.at("]"):
            item = self.unary()
            if item.op not in ("num", "str", "name"):
                raise ExpressionError("a list holds only literal values or parameter names", item.pos)
            items.append(item)
            if not self.at("]"):
                self.take(",")
        self.take("]")
        return Node("list", start.pos, args=items)


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _describe(token: Token) -> str:
    return "the end of the expression" if token.kind == "end" else repr(token.text)


def parse(text: str) -> Node:
    """Parse rule text into an untyped tree (raises ExpressionError with a position)."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty", 0)
    node = _Parser(text).parse()
    _check_depth(node)
    return node


def _check_depth(node: Node) -> None:
    """Refuse a tree deeper than MAX_DEPTH (walked without recursion)."""
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression has more than {MAX_DEPTH} levels; split it into named afleidingen",
                                  current.pos)
        stack.extend((child, depth + 1) for child in [*current.args, *current.kwargs.values()])


def _backtracking(pattern: str) -> str | None:
    """Why ``pattern`` can take exponential time in Python's re (None when it cannot).

    Refused: a repetition inside a repetition (``(a+)+``, ``(.*x)*``), an alternation inside a
    repetition (``(a|ab)*``) and backreferences. Rule patterns check short codes; they never need these.
    """
    try:
        import re._parser as sre  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse as sre
    repeats = {sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)}

    def walk(items, inside_repeat):
        for op, arg in items:
            if op in repeats:
                low, high, sub = arg
                repeated = high is sre.MAXREPEAT or high > 1
                if repeated and inside_repeat:
                    return "a repetition inside a repetition"
                found = walk(sub, inside_repeat or repeated)
                if found:
                    return found
            elif op is sre.BRANCH:
                if inside_repeat:
                    return "an alternation (|) inside a repetition"
                for branch in arg[1]:
                    found = walk(branch, inside_repeat)
                    if found:
                        return found
            elif op is sre.SUBPATTERN:
                found = walk(arg[-1], inside_repeat)
                if found:
                    return found
            elif op in (sre.GROUPREF, getattr(sre, "GROUPREF_EXISTS", None)):
                return "a backreference"
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                found = walk(arg[1], inside_repeat)
                if found:
                    return found
        return None

    return walk(sre.parse(pattern), False)


# ---------------------------------------------------------------------------------------------
# Static checking: names, kinds, levels and the condition/afleiding split.

@dataclass(frozen=True)
class Symbol:
    """A name an expression may read: a column, a afleiding or a parameter."""

    name: str
    kind: str                    # 'num','bool','str','date','list'
    level: str | None            # 'vak', 'kandidaat', or None for a parameter (constant)
    den: int | None = 1          # fixed denominator for 'num' (10 = tenths), None = per row
    value: object = None         # the constant value of a parameter


def check(node: Node, symbols: dict[str, Symbol], *, level: str, condition: bool) -> Node:
    """Type-check `node` in place for evaluation at `level`; return it.

    A 'num' is an exact rational: grades are tenths (den 10); constants fold at load time.
    """
    _Checker(symbols, level, condition).visit(node, aggregate=False)
    return node


class _Checker:
    def __init__(self, symbols, level, condition):
        self.symbols, self.level, self.condition = symbols, level, condition

    def fail(self, message, node):
        raise ExpressionError(message, node.pos)

    def visit(self, node: Node, aggregate: bool):
        getattr(self, "visit_" + node.op)(node, aggregate)
        return node

    def visit_num(self, node, aggregate):
        node.kind, node.den = "num", node.value.denominator

    def visit_str(self, node, aggregate):
        node.kind = "str"

    def visit_bool(self, node, aggregate):
        node.kind = "bool"

    def visit_name(self, node, aggregate):
        symbol = self.symbols.get(node.value)
        if symbol is None:
            close = difflib.get_close_matches(node.value, list(self.symbols), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.fail(f"unknown name {node.value!r}{hint}", node)
        if symbol.level == "vak" and self.level == "kandidaat" and not aggregate:
            self.fail(f"{node.value!r} is a vak-level value; at candidate level use it inside an "
                      "aggregate such as count(), sum(x, where=...) or max(x)", node)
        node.kind, node.den, node.level = symbol.kind, symbol.den, symbol.level
        if symbol.level is None and symbol.kind == "num":
            node.den = Fraction(symbol.value).denominator

    def visit_list(self, node, aggregate):
        kinds = set()
        for item in node.args:
            self.visit(item, aggregate)
            if item.level is not None:
                self.fail("a list holds only literal values or parameter names", item)
            kinds.add("str" if item.kind == "list" else item.kind)
        if len(kinds) > 1:
            self.fail("a list mixes text and numbers", node)
        node.kind, node.value = "list", (kinds.pop() if kinds else "str")

    def visit_cmp(self, node, aggregate):
        left, right = (self.visit(a, aggregate) for a in node.args)
        self.operands_comparable(left, right, node)
        if node.value not in ("==", "!=") and left.kind not in ("num", "date"):
            self.fail(f"{node.value!r} compares numbers or dates, not {left.kind}", node)
        if self.condition and "arith" in (left.op, right.op):
            self.fail("arithmetic is not allowed in a condition; put it in a named afleiding "
                      "(afleiding) and compare that", node)
        node.kind = "bool"
        node.level = _level(left, right)

    def operands_comparable(self, left, right, node):
        kinds = {left.kind, right.kind}
        if len(kinds) > 1:
            self.fail(f"cannot compare {left.kind} with {right.kind}", node)
        if left.kind == "list":
            self.fail("use 'in' to test membership of a list", node)

    def visit_in(self, node, aggregate):
        left = self.visit(node.args[0], aggregate)
        items = node.args[1]
        if items.op == "name":
            self.visit(items, aggregate)
            if items.kind != "list":
                self.fail(f"{items.value!r} is not a list parameter", items)
            element = _list_kind(self.symbols[items.value].value)
        else:
            self.visit(items, aggregate)
            element = items.value
        if items.args and element != left.kind:
            self.fail(f"cannot look up a {left.kind} value in a list of {element}", node)
        node.kind, node.level = "bool", left.level

    def visit_isnull(self, node, aggregate):
        node.kind, node.level = "bool", self.visit(node.args[0], aggregate).level

    def visit_and(self, node, aggregate):
        self.boolean_operands(node, aggregate)

    visit_or = visit_and

    def visit_not(self, node, aggregate):
        self.boolean_operands(node, aggregate)

    def boolean_operands(self, node, aggregate):
        for arg in node.args:
            self.visit(arg, aggregate)
            if arg.kind != "bool":
                self.fail(f"'{node.op}' needs conditions on both sides, not a {arg.kind}", arg)
        node.kind, node.level = "bool", _level(*node.args)

    def visit_arith(self, node, aggregate):
        if self.condition:
            self.fail("arithmetic is not allowed in a condition; put it in a named afleiding "
                      "(afleiding) and compare that", node)
        left, right = (self.visit(a, aggregate) for a in node.args)
        for arg in (left, right):
            if arg.kind != "num":
                self.fail(f"'{node.value}' needs numbers, not {arg.kind}", arg)
        node.kind, node.level = "num", _level(left, right)
        node.den = _arith_den(node.value, left, right)
        if left.level is None and right.level is None:
            _fold(node)

    def visit_neg(self, node, aggregate):
        if self.condition:
            self.fail("arithmetic is not allowed in a condition; put it in a named afleiding", node)
        arg = self.visit(node.args[0], aggregate)
        if arg.kind != "num":
            self.fail("'-' needs a number", arg)
        node.kind, node.den, node.level = "num", arg.den, arg.level

    def visit_call(self, node, aggregate):
        function = FUNCTIONS.get(node.value)
        if function is None:
            close = difflib.get_close_matches(node.value, list(FUNCTIONS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.fail(f"unknown function {node.value!r}{hint}; known: {', '.join(sorted(FUNCTIONS))}", node)
        if self.condition and not function.in_condition:
            self.fail(f"function {node.value!r} is not allowed in a condition; compute it in a named "
                      "afleiding (afleiding)", node)
        if function.aggregate:
            self.check_aggregate(node, function.arguments)
        else:
            self.check_arguments(node, function.arguments, aggregate)
        result = function.result
        node.kind = node.args[1].kind if result == "same" and node.value == "if" else (
            node.args[0].kind if result == "same" else result)
        node.level = _level(*node.args) if not function.aggregate else "kandidaat"
        node.den = self.result_den(node, function)

    def check_arguments(self, node, kinds, aggregate):
        if node.kwargs:
            self.fail(f"{node.value}() takes no named arguments", node)
        expected = _expand(kinds, len(node.args))
        if node.value == "if" and len(node.args) == 2:  # if(condition, then): empty otherwise
            expected = list(kinds[:2])
        if expected is None:
            self.fail(f"wrong number of arguments: {FUNCTIONS[node.value].help}", node)
        for arg, kind in zip(node.args, expected):
            self.visit(arg, aggregate)
            if kind == "text":
                if arg.op != "str":
                    self.fail(f"{node.value}() needs a quoted text here", arg)
                try:
                    re.compile(arg.value)
                    slow = _backtracking(arg.value)
                except re.error as exc:
                    self.fail(f"invalid pattern: {exc}", arg)
                if slow:
                    self.fail(f"pattern {arg.value!r} can take exponentially long ({slow}); "
                              "write it without nested repetition, e.g. [A-Z0-9]* instead of ([A-Z]|[0-9])*", arg)
            elif kind != "any" and arg.kind != kind:
                self.fail(f"{node.value}() needs a {kind} here, not a {arg.kind}", arg)
        if node.value in ("coalesce", "if"):
            values = node.args[1:] if node.value == "if" else node.args
            if len({a.kind for a in values}) > 1:
                self.fail(f"{node.value}() needs values of one kind", node)

    def check_aggregate(self, node, kinds):
        if self.level != "kandidaat":
            self.fail(f"{node.value}() aggregates vak rows per candidate; use it in a candidate-level "
                      "afleiding", node)
        allowed = {"where", "strict"} if FUNCTIONS[node.value].strict else {"where"}
        if set(node.kwargs) - allowed:
            self.fail(f"{node.value}() only takes the named argument{'s' if len(allowed) > 1 else ''} "
                      + " and ".join(f"'{k}'" for k in sorted(allowed, reverse=True)), node)
        strict = node.kwargs.get("strict")
        if strict is not None and strict.op != "bool":
            self.fail("'strict' needs true or false", strict)
        if len(node.args) != len(kinds):
            self.fail(f"wrong number of arguments: {FUNCTIONS[node.value].help}", node)
        for arg in [*node.args, *node.kwargs.values()]:
            self.visit(arg, aggregate=True)
        if node.args and node.args[0].kind != kinds[0]:
            self.fail(f"{node.value}() needs a {kinds[0]}, not a {node.args[0].kind}", node.args[0])
        where = node.kwargs.get("where")
        if where is not None and where.kind != "bool":
            self.fail("'where' needs a condition", where)
        if node.value in ("sum", "min", "max", "mean") and node.args[0].den is None:
            self.fail(f"{node.value}() needs a value with a fixed number of decimals; round it first",
                      node.args[0])

    def result_den(self, node, function):
        if function.den == "arg":
            return node.args[0].den
        if function.den != "common":
            return function.den
        if node.kind != "num":
            return None
        values = node.args[1:] if node.value == "if" else node.args
        dens = {a.den for a in values}
        if None in dens:
            return None
        result = 1
        for den in dens:
            result = _lcm(result, den)
        return result


def _expand(kinds, count):
    if kinds and kinds[-1] == "*":
        base = list(kinds[:-1])
        if count < len(base):
            return None
        return base + [base[-1]] * (count - len(base))
    return list(kinds) if count == len(kinds) else None


def _level(*nodes):
    levels = {n.level for n in nodes if n.level}
    return "vak" if "vak" in levels else ("kandidaat" if levels else None)


def _arith_den(op, left, right):
    if left.den is None or right.den is None:
        return None
    if op in ("+", "-"):
        return _lcm(left.den, right.den)
    if op == "*":
        return left.den * right.den
    if right.level is None and right.op == "num" and right.value != 0:
        quotient = Fraction(1, 1) / right.value
        return left.den * quotient.denominator if quotient.numerator in (1, -1) else None
    return None


def _lcm(a, b):
    from math import gcd
    return a * b // gcd(a, b)


def _fold(node):
    """Replace constant arithmetic by its exact value."""
    a, b = (_constant(arg) for arg in node.args)
    if a is None or b is None:
        return
    if node.value == "/" and b == 0:
        raise ExpressionError("division by zero", node.pos)
    value = {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[node.value]
    node.op, node.value, node.args, node.den = "num", Fraction(value), [], Fraction(value).denominator


def _constant(node):
    return node.value if node.op == "num" else None


def _list_kind(values):
    kinds = {"str" if isinstance(v, str) else "num" for v in values}
    return kinds.pop() if len(kinds) == 1 else "str"
