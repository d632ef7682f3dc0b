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

import re
from dataclasses import dataclass, field
from fractions import Fraction

from examenbron.engine.errors import suggestion
from examenbron.engine.language.functions import FUNCTIONS

COMPARISON_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
ARITHMETIC_OPERATORS = ("+", "-", "*", "/")
KEYWORDS = ("and", "or", "not", "in", "is", "null", "true", "false")
MAX_EXPRESSION_LENGTH = 4000
MAX_NESTING = 60
# Depth of the finished tree: `a or b or c …` and `x + y + z …` are parsed by loops, not by
# recursion, and would otherwise build trees that the type checker and evaluator recurse into.
MAX_DEPTH = 100

# The one Dutch name of each kind of value, as policy staff read it in messages.
KIND_NAMES = {"num": "een getal", "str": "tekst", "bool": "waar/onwaar", "date": "een datum",
              "list": "een lijst", "text": "tekst tussen aanhalingstekens", "any": "een waarde"}
# What a list of that kind holds ("een lijst met getallen").
KIND_PLURALS = {"num": "getallen", "str": "teksten", "bool": "waarden waar/onwaar", "date": "datums"}
# What the punctuation of the language is called.
_SYMBOL_NAMES = {"(": "haakje ", ")": "haakje ", "[": "blokhaak ", "]": "blokhaak ", ",": "komma ",
                 "=": "isgelijkteken "}

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
        raise ExpressionError(f"de expressie is langer dan {MAX_EXPRESSION_LENGTH} tekens; "
                              "verdeel haar over benoemde afleidingen", 0)
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            char = text[pos]
            hint = " (zet tekst tussen gewone dubbele aanhalingstekens, niet tussen gekrulde)" \
                if char in "‘’“”" else ""
            raise ExpressionError(f"het teken {char!r} hoort niet in een expressie{hint}", pos)
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
            raise ExpressionError(f"{_SYMBOL_NAMES.get(kind, '')}{kind!r} ontbreekt vóór {_describe(token)}",
                                  token.pos)
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
                hint = "; schrijf decimalen met een punt (5.5), niet met een komma"
            elif token.text == "=":
                hint = "; vergelijk met '=='"
            raise ExpressionError(f"{_describe(token)} hoort hier niet{hint}", token.pos)
        return node

    def nested(self, method):
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionError("de expressie is te diep genest (te veel haakjes binnen haakjes); "
                                  "verdeel haar over benoemde afleidingen", self.peek().pos)
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
        raise ExpressionError(f"verwacht een waarde, een naam of '(', maar vond {_describe(token)}", token.pos)

    def call(self, name: Token) -> Node:
        self.take("(")
        node = Node("call", name.pos, name.text)
        while not self.at(")"):
            if self.peek().kind == "name" and self.peek(1).text == "=" and self.peek(1).kind == "op":
                key = self.take()
                self.take("=")
                if key.text in node.kwargs:
                    raise ExpressionError(f"het argument {key.text!r} staat er twee keer", key.pos)
                node.kwargs[key.text] = self.expr()
            elif node.kwargs:
                raise ExpressionError("een argument zonder naam mag niet na een argument met naam "
                                      "(zoals where=...) staan", self.peek().pos)
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
                raise ExpressionError(_LIST_ITEMS, item.pos)
            items.append(item)
            if not self.at("]"):
                self.take(",")
        self.take("]")
        return Node("list", start.pos, args=items)


_LIST_ITEMS = "een lijst bevat alleen vaste waarden of namen van parameters"


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _describe(token: Token) -> str:
    return "het einde van de expressie" if token.kind == "end" else repr(token.text)


def parse(text: str) -> Node:
    """Parse rule text into an untyped tree (raises ExpressionError with a position)."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("de expressie is leeg", 0)
    node = _Parser(text).parse()
    _check_depth(node)
    return node


def _check_depth(node: Node) -> None:
    """Refuse a tree deeper than MAX_DEPTH (walked without recursion)."""
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"de expressie heeft meer dan {MAX_DEPTH} niveaus; verdeel haar over "
                                  "benoemde afleidingen", current.pos)
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
                    return "een herhaling binnen een herhaling"
                found = walk(sub, inside_repeat or repeated)
                if found:
                    return found
            elif op is sre.BRANCH:
                if inside_repeat:
                    return "een keuze (|) binnen een herhaling"
                for branch in arg[1]:
                    found = walk(branch, inside_repeat)
                    if found:
                        return found
            elif op is sre.SUBPATTERN:
                found = walk(arg[-1], inside_repeat)
                if found:
                    return found
            elif op in (sre.GROUPREF, getattr(sre, "GROUPREF_EXISTS", None)):
                return "een terugverwijzing (zoals \\1)"
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
            self.fail(f"onbekende naam {node.value!r}{suggestion(node.value, self.symbols)}", node)
        if symbol.level == "vak" and self.level == "kandidaat" and not aggregate:
            self.fail(f"{node.value!r} is een waarde per vak; gebruik die op kandidaatniveau binnen een "
                      "functie over de vakken, zoals count(), sum(x, where=...) of max(x)", node)
        node.kind, node.den, node.level = symbol.kind, symbol.den, symbol.level
        if symbol.level is None and symbol.kind == "num":
            node.den = Fraction(symbol.value).denominator

    def visit_list(self, node, aggregate):
        kinds = set()
        for item in node.args:
            self.visit(item, aggregate)
            if item.level is not None:
                self.fail(_LIST_ITEMS, item)
            kinds.add("str" if item.kind == "list" else item.kind)
        if len(kinds) > 1:
            self.fail("een lijst bevat tekst en getallen door elkaar", node)
        node.kind, node.value = "list", (kinds.pop() if kinds else "str")

    def visit_cmp(self, node, aggregate):
        left, right = (self.visit(a, aggregate) for a in node.args)
        self.operands_comparable(left, right, node)
        if node.value not in ("==", "!=") and left.kind not in ("num", "date"):
            self.fail(f"{node.value!r} vergelijkt getallen of datums, maar {_is(left)}", node)
        if self.condition and "arith" in (left.op, right.op):
            self.fail(_NO_ARITHMETIC, node)
        node.kind = "bool"
        node.level = _level(left, right)

    def operands_comparable(self, left, right, node):
        kinds = {left.kind, right.kind}
        if len(kinds) > 1:
            self.fail(f"{_is(left)} en {_is(right)}; die zijn niet met elkaar te vergelijken", node)
        if left.kind == "list":
            self.fail("gebruik 'in' om te testen of een waarde in een lijst staat", node)

    def visit_in(self, node, aggregate):
        left = self.visit(node.args[0], aggregate)
        items = node.args[1]
        if items.op == "name":
            self.visit(items, aggregate)
            if items.kind != "list":
                self.fail(f"{items.value!r} is geen parameter met een lijst, maar {KIND_NAMES[items.kind]}", items)
            element = _list_kind(self.symbols[items.value].value)
        else:
            self.visit(items, aggregate)
            element = items.value
        if items.args and element != left.kind:
            self.fail(f"{_is(left)}, maar de lijst bevat {KIND_PLURALS.get(element, element)}", node)
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
                self.fail(f"'{node.op}' werkt op voorwaarden (waar/onwaar), maar {_is(arg)}", arg)
        node.kind, node.level = "bool", _level(*node.args)

    def visit_arith(self, node, aggregate):
        if self.condition:
            self.fail(_NO_ARITHMETIC, node)
        left, right = (self.visit(a, aggregate) for a in node.args)
        for arg in (left, right):
            if arg.kind != "num":
                self.fail(f"'{node.value}' rekent met getallen, maar {_is(arg)}", arg)
        node.kind, node.level = "num", _level(left, right)
        node.den = _arith_den(node.value, left, right)
        if left.level is None and right.level is None:
            _fold(node)

    def visit_neg(self, node, aggregate):
        if self.condition:
            self.fail(_NO_ARITHMETIC, node)
        arg = self.visit(node.args[0], aggregate)
        if arg.kind != "num":
            self.fail(f"'-' werkt alleen op een getal, maar {_is(arg)}", arg)
        node.kind, node.den, node.level = "num", arg.den, arg.level

    def visit_call(self, node, aggregate):
        function = FUNCTIONS.get(node.value)
        if function is None:
            self.fail(f"onbekende functie {node.value!r}{suggestion(node.value, FUNCTIONS)}; "
                      f"bekende functies: {', '.join(sorted(FUNCTIONS))}", node)
        if self.condition and not function.in_condition:
            self.fail(f"de functie {node.value!r} mag niet in een voorwaarde; reken haar uit in een benoemde "
                      "afleiding en vergelijk die", node)
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
            self.fail(f"{node.value}() heeft geen argumenten met een naam", node)
        expected = _expand(kinds, len(node.args))
        if node.value == "if" and len(node.args) == 2:  # if(condition, then): empty otherwise
            expected = list(kinds[:2])
        if expected is None:
            self.fail(_arity(node), node)
        for arg, kind in zip(node.args, expected):
            self.visit(arg, aggregate)
            if kind == "text":
                if arg.op != "str":
                    self.fail(f"{node.value}() verwacht hier {KIND_NAMES['text']}, maar {_is(arg)}", arg)
                try:
                    re.compile(arg.value)
                    slow = _backtracking(arg.value)
                except re.error as exc:
                    self.fail(f"het patroon {arg.value!r} is geen geldige reguliere expressie "
                              f"(fout bij teken {(exc.pos or 0) + 1})", arg)
                if slow:
                    self.fail(f"het patroon {arg.value!r} kan extreem lang duren: het bevat {slow}; schrijf het "
                              "eenvoudiger, bijvoorbeeld [A-Z0-9]* in plaats van ([A-Z]|[0-9])*", arg)
            elif kind != "any" and arg.kind != kind:
                self.fail(f"{node.value}() verwacht hier {KIND_NAMES[kind]}, maar {_is(arg)}", arg)
        if node.value in ("coalesce", "if"):
            values = node.args[1:] if node.value == "if" else node.args
            if len({a.kind for a in values}) > 1:
                self.fail(f"{node.value}() verwacht waarden van één soort, maar "
                          + " en ".join(_is(a) for a in values), node)

    def check_aggregate(self, node, kinds):
        if self.level != "kandidaat":
            self.fail(f"{node.value}() rekent over de vakken van een kandidaat; gebruik de functie in een "
                      "afleiding met niveau kandidaat", node)
        allowed = {"where", "strict"} if FUNCTIONS[node.value].strict else {"where"}
        if set(node.kwargs) - allowed:
            named = " en ".join(f"'{k}'" for k in sorted(allowed, reverse=True))
            self.fail(f"{node.value}() kent alleen " + (f"de argumenten met naam {named}" if len(allowed) > 1
                                                        else f"het argument met naam {named}"), node)
        strict = node.kwargs.get("strict")
        if strict is not None and strict.op != "bool":
            self.fail("'strict' moet true of false zijn", strict)
        if len(node.args) != len(kinds):
            self.fail(_arity(node), node)
        for arg in [*node.args, *node.kwargs.values()]:
            self.visit(arg, aggregate=True)
        if node.args and node.args[0].kind != kinds[0]:
            self.fail(f"{node.value}() verwacht {KIND_NAMES[kinds[0]]}, maar {_is(node.args[0])}", node.args[0])
        where = node.kwargs.get("where")
        if where is not None and where.kind != "bool":
            self.fail(f"'where' verwacht een voorwaarde (waar/onwaar), maar {_is(where)}", where)
        if node.value in ("sum", "min", "max", "mean") and node.args[0].den is None:
            self.fail(f"{node.value}() verwacht een waarde met een vast aantal decimalen; rond die eerst af "
                      "met round() of round1()", node.args[0])

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


_NO_ARITHMETIC = ("rekenen mag niet in een voorwaarde; zet de berekening in een benoemde afleiding "
                  "en vergelijk die")


def _is(node: Node) -> str:
    """What a checked operand is, for a message: "'vakcode' is tekst", "5 is een getal"."""
    kind = KIND_NAMES.get(node.kind, node.kind)
    if node.op == "name":
        return f"{node.value!r} is {kind}"
    if node.op == "str":
        return f'"{node.value}" is {kind}'
    if node.op == "num":
        return f"{rule_number(node.value)} is {kind}"
    if node.op == "bool":
        return f"{str(node.value).lower()} is {kind}"
    if node.op == "call":
        return f"de uitkomst van {node.value}() is {kind}"
    return f"die waarde is {kind}"


def rule_number(value: Fraction) -> str:
    """A number as policy staff write it in a rule (5.5, -3); a fraction (82/15) when it has no
    exact decimal form of at most six places."""
    if value.denominator == 1:
        return str(value.numerator)
    for places in range(1, 7):
        scaled = value * 10 ** places
        if scaled.denominator == 1:
            return f"{'-' if value < 0 else ''}{abs(scaled.numerator) // 10 ** places}." \
                   f"{abs(scaled.numerator) % 10 ** places:0{places}d}"
    return str(value)


def _arity(node: Node) -> str:
    """A wrong number of arguments: how many were given and how the function is written."""
    count = len(node.args)
    given = f"{count} argument" if count == 1 else f"{count} argumenten"
    return f"{node.value}() krijgt hier {given}; gebruik: {FUNCTIONS[node.value].help}"


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
        raise ExpressionError("delen door nul", node.pos)
    value = {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[node.value]
    node.op, node.value, node.args, node.den = "num", Fraction(value), [], Fraction(value).denominator


def _constant(node):
    return node.value if node.op == "num" else None


def _list_kind(values):
    kinds = {"str" if isinstance(v, str) else "num" for v in values}
    return kinds.pop() if len(kinds) == 1 else "str"
