"""The `durable` evaluator: the conditions of the rules run on the durable-rules Rete engine.

Implements the evaluator seam (engine.evaluation.backends) with a second, independent evaluation
of every *condition*: the voorwaarde and `wanneer` of checks, the slaag-zak voorwaarden and the
weglaatregels (`--engine durable`). What it does NOT evaluate, because durable-rules cannot
compute: afleidingen (arithmetic, aggregates over a candidate's vak rows, `round`, `if`, …). Its
`derive` is the vectorised evaluator's; a derived value is therefore the same in both engines by
construction, and comparing the two engines checks the condition evaluation only.

Design
- A condition is comparisons and boolean logic over named values (the type checker allows nothing
  else), compiled to durable-rules JSON conditions (`$and`, `$lt`, `$gte`, `$neq`, `$ex`/`$nex`,
  plain equality, `{"$m": prop}` for comparing two values of one row).
- Kleene logic: every node compiles in one of four modes, TRUE / FALSE / NOT-TRUE / NOT-FALSE, each a
  positive formula (negation is pushed down to the comparisons: a comparison is TRUE when both
  operands exist and compare, FALSE when both exist and do not, NOT-TRUE when an operand is missing or
  it does not compare). A failing check is "in scope (leerwegen, opleidingen, `wanneer` TRUE) and
  `voorwaarde` NOT-TRUE"; a voorwaarde is niet gehaald where in scope and FALSE, gehaald where in
  scope and TRUE, onbepaald elsewhere in scope; a weglaatregel selects the vak rows where it is TRUE.
- durable-rules hangs on an `$or` that contains an `$and` (measured: the assert never returns), so
  each formula is put in disjunctive normal form and every conjunction becomes its own durable rule
  (a plain `$and` of atoms); firings are de-duplicated per (target, row).
- Exact numbers: a number is an integer numerator over a denominator. Both sides of a comparison are
  scaled to a common denominator before they reach the engine (a name gets a scaled property such as
  `v_combinatiecijfer_berekend_x10`, a constant is scaled at compile time); a value whose
  denominator varies per row (e.g. an unrounded mean) is cross-multiplied per comparison. No floats.
- Condition functions are precomputed as fact properties (null when their argument is null) with
  their durable mapping from the function registry (engine.language.functions): python-stdnum for
  `valid_bsn`, `valid_onderwijsnummer`, `valid_brin`; Python `re.fullmatch` for `matches`. `matches`
  is not compiled to `$mt`: a voorwaarde needs "does NOT match", and durable-rules has no per-fact
  negated match (`$nmt` is silently ignored).
- Rows are asserted as facts (events fire only the first matching rule), one at a time, each with a
  unique key (ruleset name + level + row) so that identical rows never merge, projected to the
  properties the rules read (at most 255 per fact; wider rule sets are split over several rulesets).
  A row that matches no rule raises MessageNotHandledException, which is caught per fact (a batch
  assert would reject the whole batch); a spurious MessageObservedException (duplicate detection,
  durable-rules #376) is retried with a salt property.
- No durable Host is created (a Host starts never-ending timer threads that dispatch actions
  concurrently): rulesets are created directly, one per chunk of rows with a unique name, and
  deleted with `delete_ruleset` afterwards, so memory does not grow across runs. Actions take ONE
  parameter (two-parameter actions are run asynchronously).

`throughput(ctx, rules, sample_rows, ...)` measures rows per second of both engines (benchmark hook).
"""

from __future__ import annotations

import itertools
import time
import uuid
from fractions import Fraction
from math import lcm

import numpy as np

from examenbron.engine.errors import BackendUnavailable

try:
    import durable_rules_engine as _dre
    from durable.engine import MessageNotHandledException, MessageObservedException, Ruleset
except Exception as _exc:  # ImportError, or a broken build (e.g. Python >= 3.13: PyEval_CallObject)
    raise BackendUnavailable(
        "de durable-engine is niet beschikbaar: durable-rules is niet geïnstalleerd of werkt niet op deze "
        f"Python ({_exc}). Installeer het met: pip install 'examenbron[durable]' (Python <= 3.12 en een "
        "C-compiler nodig), of gebruik --engine pandas") from _exc

from examenbron.engine.evaluation.backends import GEHAALD, NIET_GEHAALD, NVT, ONBEPAALD
from examenbron.engine.evaluation.evaluate import EVALUATOR as VECTORISED
from examenbron.engine.evaluation.frames import Context
from examenbron.engine.language.expr import Node
from examenbron.engine.language.functions import FUNCTIONS

MAX_PROPERTIES = 255          # durable-rules MAX_OBJECT_PROPERTIES
MAX_CONJUNCTIONS = 512        # DNF size guard per rule
CHUNK_ROWS = 20_000           # facts per ruleset instance (bounds the engine's memory)
_COUNTER = itertools.count()
_FIXED = ("key", "lvl", "row")  # properties every fact carries

_MISSING = [f.name for f in FUNCTIONS.values() if f.in_condition and f.durable is None]
assert not _MISSING, f"condition functions without a durable mapping: {_MISSING}"


class DurableCompileError(Exception):
    """A condition this compiler cannot translate (a bug: the type checker should prevent it)."""


# ---------------------------------------------------------------------------------------------
# Boolean formulas over atoms. An atom is (op, prop, rhs) with op in eq/neq/lt/lte/gt/gte/ex/nex;
# rhs is a literal, or ("$m", prop) for another property of the same fact.

TRUE, FALSE = ("T",), ("F",)
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_DURABLE_OP = {"==": None, "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


def _junction(op, parts, absorbing, neutral):
    """parts joined by `op` ('and'/'or'), flattened; `absorbing` (FALSE for and) wins, `neutral` drops."""
    out = []
    for p in parts:
        if p == absorbing:
            return absorbing
        if p != neutral:
            out.extend(p[1] if p[0] == op else [p])
    return neutral if not out else (out[0] if len(out) == 1 else (op, out))


def _and(*parts):
    return _junction("and", parts, FALSE, TRUE)


def _or(*parts):
    return _junction("or", parts, TRUE, FALSE)


def _atom(op, prop, rhs=None):
    return ("atom", (op, prop, rhs))


def _dnf(formula) -> list[tuple]:
    """The formula as a list of conjunctions (tuples of atoms); contradictions dropped."""
    if formula == TRUE:
        return [()]
    if formula == FALSE:
        return []
    tag = formula[0]
    if tag == "atom":
        return [(formula[1],)]
    if tag == "or":
        result = []
        for part in formula[1]:
            result.extend(_dnf(part))
    else:
        result = [()]
        for part in formula[1]:
            result = [a + b for a in result for b in _dnf(part)]
            if len(result) > MAX_CONJUNCTIONS:
                raise DurableCompileError("condition too large for the durable engine")
    clean, seen = [], set()
    for conj in result:
        conj = tuple(dict.fromkeys(conj))
        missing = {a[1] for a in conj if a[0] == "nex"}
        used = {a[1] for a in conj if a[0] != "nex"} | {a[2][1] for a in conj if isinstance(a[2], tuple)}
        if missing & used:
            continue
        if conj not in seen:
            seen.add(conj)
            clean.append(conj)
    return clean


def _render(atom) -> dict:
    op, prop, rhs = atom
    if op == "ex":
        return {"$ex": {prop: 1}}
    if op == "nex":
        return {"$nex": {prop: 1}}
    value = {"$m": rhs[1]} if isinstance(rhs, tuple) else rhs
    durable_op = _DURABLE_OP[op]
    return {prop: value} if durable_op is None else {durable_op: {prop: value}}


# ---------------------------------------------------------------------------------------------
# Compiling a rule: properties (per-row columns) and formulas.

class _Props:
    """The fact properties one level needs: name -> function(ctx, level) giving a list of values."""

    def __init__(self, ctx: Context, level: str):
        self.ctx, self.level, self.n = ctx, level, ctx.level(level).n
        self.columns: dict[str, list] = {}
        self.serial = itertools.count()

    def add(self, prop: str, build) -> str:
        if prop not in self.columns:
            self.columns[prop] = build()
        return prop

    def value(self, name):
        v = self.ctx.lookup(name, self.level)
        val = np.broadcast_to(np.asarray(v.val, dtype=object) if v.kind != "num" else v.val, self.n)
        null = np.broadcast_to(v.null, self.n)
        den = np.broadcast_to(v.den, self.n) if np.ndim(v.den) else v.den
        return v, val, null, den


def _py(x, kind):
    if kind in ("num", "date"):
        return int(x)
    if kind == "bool":
        return bool(x)
    return x


class _Compiler:
    """Compile one rule's condition trees for one level into formulas over fact properties."""

    def __init__(self, props: _Props):
        self.props, self.ctx = props, props.ctx

    # operands -------------------------------------------------------------------------------
    def is_const(self, node) -> bool:
        return node.op in ("num", "str", "bool") or (node.op == "name" and node.value in self.ctx.constants)

    def const(self, node):
        value = node.value if node.op != "name" else self.ctx.constants[node.value]
        if node.kind in ("num",) and not isinstance(value, bool):
            return Fraction(value)
        if node.kind == "date" and hasattr(value, "toordinal"):
            return int(np.datetime64(value, "D").astype("int64"))
        return value

    def name_prop(self, name, factor=1) -> str:
        """Property of a named value (numbers: numerator times `factor`); absent when null."""
        prop = f"v_{name}" + (f"_x{factor}" if factor != 1 else "")

        def build():
            v, val, null, _ = self.props.value(name)
            return [None if z else _py(x, v.kind) * factor if v.kind == "num" else _py(x, v.kind)
                    for x, z in zip(val, null)]
        return self.props.add(prop, build)

    def den_of(self, node):
        if self.is_const(node):
            return Fraction(self.const(node)).denominator
        den = self.props.value(node.value)[0].den
        return int(den) if np.ndim(den) == 0 else None

    # comparisons ----------------------------------------------------------------------------
    def comparison(self, op, left, right):
        """(properties that must exist, atom-or-constant 'holds', atom-or-constant 'fails')."""
        if self.is_const(left) and self.is_const(right):
            a, b = self.const(left), self.const(right)
            result = {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
            return [], (TRUE if result else FALSE), (FALSE if result else TRUE)
        if self.is_const(left):
            left, right, op = right, left, _FLIP[op]
        if left.kind == "num":
            lprop, rhs, props = self.numeric_operands(left, right)
        else:
            lprop = self.name_prop(left.value)
            if self.is_const(right):
                value = self.const(right)
                rhs, props = (_py(value, right.kind) if right.kind != "str" else value), [lprop]
            else:
                rprop = self.name_prop(right.value)
                rhs, props = ("$m", rprop), [lprop, rprop]
        return props, _atom(op, lprop, rhs), _atom(_NEGATE[op], lprop, rhs)

    def numeric_operands(self, left, right):
        """Scale `left` (a name) and `right` (name or constant) to one denominator."""
        dl, dr = self.den_of(left), self.den_of(right)
        if dl is not None and dr is not None:
            common = lcm(dl, dr)
            lprop = self.name_prop(left.value, common // dl)
            if self.is_const(right):
                value = self.const(right) * common
                assert value.denominator == 1
                return lprop, int(value), [lprop]
            rprop = self.name_prop(right.value, common // dr)
            return lprop, ("$m", rprop), [lprop, rprop]
        # a denominator that varies per row: cross-multiply per row (a/da ? b/db <=> a*db ? b*da)
        serial = next(self.props.serial)   # unique per level: compilers come and go (ids are reused)
        side_l = self.cross_side(left, right)
        side_r = self.cross_side(right, left)
        lprop = self.props.add(f"c{serial}_l", lambda: side_l)
        rprop = self.props.add(f"c{serial}_r", lambda: side_r)
        return lprop, ("$m", rprop), [lprop, rprop]

    def cross_side(self, node, other):
        n = self.props.n
        if self.is_const(node):
            f = Fraction(self.const(node))
            num, null = np.full(n, f.numerator, dtype=object), np.zeros(n, dtype=bool)
        else:
            _, num, null, _ = self.props.value(node.value)
        if self.is_const(other):
            oden, onull = np.full(n, Fraction(self.const(other)).denominator, dtype=object), np.zeros(n, bool)
        else:
            _, _, onull, oden = self.props.value(other.value)
            oden = np.broadcast_to(oden, n)
        return [None if (z or oz) else int(a) * int(d) for a, z, d, oz in zip(num, null, oden, onull)]

    # boolean structure ----------------------------------------------------------------------
    def compile(self, node, mode: str):
        """Formula for `node` being TRUE ('T'), FALSE ('F'), not TRUE ('NT') or not FALSE ('NF')."""
        op = node.op
        if op == "bool" or (op == "name" and node.value in self.ctx.constants):
            value = bool(self.const(node))
            return TRUE if (value if mode in ("T", "NF") else not value) else FALSE
        if op == "and" or op == "or":
            parts = [self.compile(a, mode) for a in node.args]
            conjunctive = (op == "and") == (mode in ("T", "NF"))
            return _and(*parts) if conjunctive else _or(*parts)
        if op == "not":
            return self.compile(node.args[0], {"T": "F", "F": "T", "NT": "NF", "NF": "NT"}[mode])
        if op == "name":
            prop = self.name_prop(node.value)
            return self.boolean_property(prop, mode)
        if op == "call":
            return self.boolean_property(self.function_prop(node), mode)
        if op == "isnull":
            return self.isnull(node.args[0], mode)
        if op == "cmp" and node.args[0].kind == "bool":
            return self.boolean_equality(node, mode)
        if op == "cmp":
            props, holds, fails = self.comparison(node.value, *node.args)
            return self.kleene(props, holds, fails, mode)
        if op == "in":
            return self.membership(node, mode)
        raise DurableCompileError(f"cannot compile {op!r} in a condition")

    def boolean_equality(self, node, mode):
        """`x == y` / `x != y` over conditions: unknown when either side is unknown."""
        x, y = node.args
        same = _or(_and(self.compile(x, "T"), self.compile(y, "T")), _and(self.compile(x, "F"), self.compile(y, "F")))
        differ = _or(_and(self.compile(x, "T"), self.compile(y, "F")), _and(self.compile(x, "F"), self.compile(y, "T")))
        holds, fails = (same, differ) if node.value == "==" else (differ, same)
        unknown = _or(_and(self.compile(x, "NT"), self.compile(x, "NF")), _and(self.compile(y, "NT"), self.compile(y, "NF")))
        return {"T": holds, "F": fails, "NT": _or(fails, unknown), "NF": _or(holds, unknown)}[mode]

    def kleene(self, props, holds, fails, mode):
        exist = _and(*[_atom("ex", p) for p in props])
        missing = _or(*[_atom("nex", p) for p in props])
        return {"T": _and(exist, holds), "F": _and(exist, fails),
                "NT": _or(missing, fails), "NF": _or(missing, holds)}[mode]

    @staticmethod
    def boolean_property(prop, mode):
        if mode == "T":
            return _atom("==", prop, True)
        if mode == "F":
            return _atom("==", prop, False)
        return _or(_atom("nex", prop), _atom("==", prop, mode == "NF"))

    def isnull(self, arg, mode):
        if self.is_const(arg):
            is_null = False            # as engine.evaluation.evaluate: a parameter is never empty
            return TRUE if (is_null if mode in ("T", "NF") else not is_null) else FALSE
        if arg.op == "name":
            prop = self.name_prop(arg.value)
            return _atom("nex" if mode in ("T", "NF") else "ex", prop)
        if arg.kind == "bool":   # a condition is null when it is neither true nor false
            unknown = _and(self.compile(arg, "NT"), self.compile(arg, "NF"))
            known = _or(self.compile(arg, "T"), self.compile(arg, "F"))
            return unknown if mode in ("T", "NF") else known
        raise DurableCompileError(f"cannot compile 'is null' of {arg.op!r}")

    def membership(self, node, mode):
        left, items_node = node.args
        items = (self.ctx.constants[items_node.value] if items_node.op == "name"
                 else [it.value if it.op != "name" else self.ctx.constants[it.value] for it in items_node.args])
        # a list parameter inside a list literal (`x in ["A", lijst]`) stands for its elements
        items = [x for item in items for x in (item if isinstance(item, (list, tuple)) else [item])]
        holds, fails, props = [], [], []
        for item in items:
            literal = Node("num" if left.kind == "num" else "str", 0, Fraction(item) if left.kind == "num" else item,
                           kind=left.kind)
            p, h, f = self.comparison("==", left, literal)
            props += p
            holds.append(h)
            fails.append(f)
        if self.is_const(left):
            props = []
        props = list(dict.fromkeys(props))
        return self.kleene(props, _or(*holds), _and(*fails), mode)

    def function_prop(self, node) -> str:
        """A condition function, precomputed per distinct value (absent when its argument is null)."""
        name, arg = node.value, node.args[0]
        literals = [a.value for a in node.args[1:]]
        test = lambda v: FUNCTIONS[name].durable(v, *literals)  # noqa: E731
        key = f"f_{name}_{arg.value}" + (f"_{abs(hash(tuple(literals))) % 10**8}" if literals else "")
        if arg.op != "name":
            raise DurableCompileError(f"{name}() of {arg.op!r} in a condition")
        if self.is_const(arg):
            raise DurableCompileError(f"{name}() of a parameter")

        def build():
            _, val, null, _ = self.props.value(arg.value)
            cache = {}
            out = []
            for x, z in zip(val, null):
                if z:
                    out.append(None)
                    continue
                if x not in cache:
                    cache[x] = bool(test(x))
                out.append(cache[x])
            return out
        return self.props.add(key, build)

    def scope_prop(self, name) -> str:
        """leerweg / opleidingscode as text, like `astype(str)` in Context.in_scope (null -> 'None')."""
        prop = f"s_{name}"

        def build():
            values = self.ctx.kandidaat.values[name].val.astype(str)
            return [str(x) for x in (values[self.ctx.k] if self.props.level == "vak" else values)]
        return self.props.add(prop, build)


def _scope(c: "_Compiler", rule):
    """The formula for "rule applies": its leerwegen, opleidingen and `wanneer` TRUE."""
    parts = []
    if rule.leerwegen is not None:
        prop = c.scope_prop("leerweg")
        parts.append(_or(*[_atom("==", prop, str(lw)) for lw in rule.leerwegen]))
    if rule.opleidingen is not None:
        prop = c.scope_prop("opleidingscode")
        parts.append(_or(*[_atom("==", prop, str(code)) for code in rule.opleidingen]))
    if rule.wanneer is not None:
        parts.append(c.compile(rule.wanneer, "T"))
    return _and(*parts)


def _props_of(conjunctions) -> set:
    found = set()
    for conj in conjunctions:
        for op, prop, rhs in conj:
            found.add(prop)
            if isinstance(rhs, tuple):
                found.add(rhs[1])
    return found


# ---------------------------------------------------------------------------------------------
# Running.

class _Plan:
    """Compiled targets of one level, grouped so that no fact needs more than 255 properties."""

    def __init__(self, level, props, groups, conj):
        self.level, self.props, self.groups = level, props, groups   # groups: [(target indexes, prop set)]
        self.conj = conj                                               # target index -> conjunctions


def compile_targets(ctx: Context, targets) -> dict:
    """{level: _Plan} for `targets`, a list of (level, build) with build(compiler) -> formula."""
    plans = {}
    for level in ("kandidaat", "vak"):
        props = _Props(ctx, level)
        conj = {i: _dnf(build(_Compiler(props))) for i, (lvl, build) in enumerate(targets) if lvl == level}
        groups, current, used = [], [], set()
        limit = MAX_PROPERTIES - len(_FIXED) - 1     # one spare for the salt
        for i, conjunctions in conj.items():
            needed = _props_of(conjunctions)
            if len(needed) > limit:
                raise DurableCompileError(f"a rule reads more than {limit} values")
            if current and len(used | needed) > limit:
                groups.append((current, used))
                current, used = [], set()
            current.append(i)
            used = used | needed
        if current:
            groups.append((current, used))
        plans[level] = _Plan(level, props, groups, conj)
    return plans


def _definition(plan, indexes, fired):
    """A fresh ruleset definition (durable mutates it) whose actions record (rule index, row)."""
    definition = {}
    for i in indexes:
        for j, conj in enumerate(plan.conj[i]):
            atoms = [{"lvl": plan.level}] + [_render(a) for a in conj]
            definition[f"r{i}_{j}"] = {"all": [{"m": {"$and": atoms}}], "run": _recorder(i, fired)}
    return definition


def _recorder(index, fired):
    """An action with exactly ONE parameter (durable-rules runs a two-parameter action — even one
    with a defaulted second parameter — as async, and its firing is lost)."""
    def action(c):
        fired.add((index, c.m["row"]))
    return action


def _assert(ruleset, fact):
    def complete(error, _):
        if error:
            raise error
    for salt in range(4):
        try:
            ruleset.do_actions(ruleset.assert_fact(fact), complete)
            return
        except MessageNotHandledException:
            return                      # the row breaks none of the rules
        except MessageObservedException:
            fact = {**fact, "salt": salt}   # spurious duplicate detection (durable-rules #376)
    raise RuntimeError(f"durable-rules keeps reporting fact {fact['key']} as already asserted")


def fire(ctx: Context, targets, *, limit_kandidaten: int | None = None) -> dict:
    """{target index: sorted row numbers} of the rows where each target's formula holds (optionally
    only the first `limit_kandidaten` candidates and their vak rows)."""
    plans = compile_targets(ctx, targets)
    fired: set = set()
    run_id = f"examenbron_{next(_COUNTER)}_{uuid.uuid4().hex[:12]}"
    for level, plan in plans.items():
        n = ctx.level(level).n
        if limit_kandidaten is not None:
            n = int(np.searchsorted(ctx.k, limit_kandidaten)) if level == "vak" else min(n, limit_kandidaten)
        for g, (indexes, used) in enumerate(plan.groups):
            columns = [(p, plan.props.columns[p]) for p in sorted(used)]
            for c, start in enumerate(range(0, n, CHUNK_ROWS)):
                name = f"{run_id}_{level}_{g}_{c}"
                ruleset = Ruleset(name, None, _definition(plan, indexes, fired))
                try:
                    for row in range(start, min(n, start + CHUNK_ROWS)):
                        fact = {"key": f"{name}/{row}", "lvl": level, "row": row}
                        for prop, values in columns:
                            value = values[row]
                            if value is not None:
                                fact[prop] = value
                        _assert(ruleset, fact)
                finally:
                    _dre.delete_ruleset(ruleset._handle)   # facts, state and Rete go with it
    rows: dict = {}
    for i, row in fired:
        rows.setdefault(i, []).append(row)
    return {i: sorted(r) for i, r in rows.items()}


def _failing_target(rule):
    return rule.niveau, lambda c: _and(_scope(c, rule), c.compile(rule.voorwaarde, "NT"))


class DurableEvaluator:
    """engine.evaluation.backends.Evaluator on durable-rules: conditions only (see the module doc)."""

    def derive(self, ctx: Context, afleidingen) -> tuple[dict, dict]:
        """Not supported by durable-rules (arithmetic, aggregates): the vectorised evaluator's."""
        return VECTORISED.derive(ctx, afleidingen)

    def failing(self, ctx: Context, rules, *, limit_kandidaten: int | None = None) -> dict:
        rows = fire(ctx, [_failing_target(rule) for rule in rules], limit_kandidaten=limit_kandidaten)
        return {rule.id: np.asarray(rows.get(i, []), dtype="int64") for i, rule in enumerate(rules)}

    def statuses(self, ctx: Context, voorwaarden) -> dict:
        targets = []
        for rule in voorwaarden:
            targets += [("kandidaat", lambda c, r=rule: _scope(c, r)),
                        ("kandidaat", lambda c, r=rule: _and(_scope(c, r), c.compile(r.voorwaarde, "T"))),
                        ("kandidaat", lambda c, r=rule: _and(_scope(c, r), c.compile(r.voorwaarde, "F")))]
        rows = fire(ctx, targets)
        n, status = ctx.kandidaat.n, {}
        for j, rule in enumerate(voorwaarden):
            scope, true, false = (_mask(rows.get(3 * j + t, []), n) for t in range(3))
            status[rule.id] = np.select([false, true, scope], [NIET_GEHAALD, GEHAALD, ONBEPAALD], NVT).astype(np.int8)
        return status

    def selects(self, ctx: Context, condition, level: str) -> np.ndarray:
        rows = fire(ctx, [(level, lambda c: c.compile(condition, "T"))])
        return _mask(rows.get(0, []), ctx.level(level).n)


def _mask(rows, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[np.asarray(rows, dtype="int64")] = True
    return mask


EVALUATOR = DurableEvaluator()


def throughput(ctx: Context, rules, sample_rows: int = 2000, *, schooljaar: str = "", examens=None,
               repeat: int = 1) -> dict:
    """Benchmark hook: rows per second of both engines on the same compiled checks.

    The durable engine runs on the first candidates of `ctx` until about `sample_rows` rows (vak +
    kandidaat) are covered; the pandas engine (vectorised) runs on all of `ctx`. Both include building
    the bevindingen. Returns rows, seconds and rows/s per engine and whether the bevindingen on the sample agree.
    `examens` is the results' candidate frame (`results.examens`); `rules` the checks that can run.
    """
    from examenbron.engine.evaluation.check import check, rule_bevindingen
    from examenbron.engine.outputs.bevindingen import concat_bevindingen
    total = ctx.kandidaat.n + ctx.vak.n
    per_candidate = total / max(ctx.kandidaat.n, 1)
    m = max(1, min(ctx.kandidaat.n, int(round(sample_rows / per_candidate))))
    sample = m + int(np.searchsorted(ctx.k, m))
    best_d = best_p = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        rows = EVALUATOR.failing(ctx, rules, limit_kandidaten=m)
        durable = concat_bevindingen([rule_bevindingen(ctx, rule, rows[rule.id], schooljaar, examens)
                                   for rule in rules if len(rows[rule.id])])
        best_d = min(best_d, time.perf_counter() - t)
        t = time.perf_counter()
        pandas = check(VECTORISED, ctx, rules, schooljaar=schooljaar, examens=examens)
        best_p = min(best_p, time.perf_counter() - t)
    pandas_sample = pandas[pandas["exam_id"].astype("int64") < m]
    columns = ["regel", "exam_id", "bron_rij"]
    agree = sorted(map(tuple, durable[columns].astype(str).to_numpy())) == \
        sorted(map(tuple, pandas_sample[columns].astype(str).to_numpy()))
    return {"durable_rows": sample, "durable_seconds": best_d, "durable_rows_per_s": sample / best_d,
            "pandas_rows": total, "pandas_seconds": best_p, "pandas_rows_per_s": total / best_p,
            "bevindingen_agree": agree}
