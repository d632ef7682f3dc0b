"""The samenstelling step: match each candidate's vakken to the onderdelen of a complete exam.

Driven entirely by the rule set's `samenstelling` (rules/<jaar>/samenstelling/*.yaml): which
onderdelen an opleiding has follows from its leerweg, its profiel in the code tables (a combined
profiel such as "NT+NG" has the profieldeel of each part) and, for a few onderdelen, the
opleidingscode itself. Nothing here knows a vakcode or a profiel.

How a candidate is matched (an exact bipartite matching with capacities, Kuhn's algorithm):
- the first profiel part together with the onderdelen without `profielen` (gemeenschappelijk and
  vrije deel) form one matching in which every vak fills at most one onderdeel; every further
  profiel part is matched on its own and may reuse vakken of the first (a vak in both profielen
  counts for both; profielen.md §2 does not settle this — our reading);
- vakken are offered in order of `voorkeur` (highest first), onderdelen in the order gemeenschappelijk
  deel, profieldeel, vrije deel. Kuhn's algorithm keeps a vak matched once it is, so without a
  reported examendeel the matched vakken are the best-graded set that fills the most onderdelen (the
  greedy basis of the transversal matroid), and a vak takes the first free onderdeel it may fill:
  when several wiskundes can be the profile's, the highest is the kernvak; the highest vakken go to
  the profieldeel before the vrije deel (favourable for cum laude);
- with `gemeld_examendeel`, the vakken the school gave an examendeel are first matched within that
  examendeel only; the rest of the matching may move them when the exam is otherwise incomplete
  (the differing examendeel is then an attentie, EB608);
- a vak left over that may fill an onderdeel with `meer_tellen_mee` belongs there (keuzevakken);
  every other vak left over is an extra vak;
- a vak `kan_vervallen` when the remainder without it still fills every onderdeel (an extra vak, or
  one whose onderdeel another left-over vak can take over, possibly along a chain);
- onderdelen marked `apart` are a requirement on vakken that already fill other onderdelen (vmbo TL:
  profieldeel and vrije deel hold at least two vakken that are no modern language). They form a
  matching of their own, solved first; its vakken are then offered first to the main matching, so
  that the exam reported (examendeel, extra vakken) is one that meets the requirement where it can.
  An apart onderdeel never gives a vak its examendeel.

Vectorised as far as the problem allows: each vak row's admissibility is one bitmask over its
composition's slots (one gather per row from a vakcode × slot table, `_row_masks`), candidates are
reduced to their pattern (composition + those masks in preference order, vakken that cannot compete
unordered, see `_canonical`), patterns are grouped by a verified row hash (`_distinct_rows`) and every
distinct pattern is solved once in Python (a few thousand for 50 000 candidates); results are
scattered back with numpy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from examenbron.engine.evaluation.frames import Context
from examenbron.engine.language.values import Value, categories_values, text_codes
from examenbron.engine.language.symbols import SAMENSTELLING_COLUMNS

MAX_PLAATSEN = 62          # onderdelen of one composition, as bits of an int64
PLAATS_BITS = (1 << MAX_PLAATSEN) - 1   # a pattern position holds these bits << 2 | the reported examendeel


class _Composition(NamedTuple):
    """The onderdelen of one opleiding: indices into the step's list, per matching group."""

    groups: tuple          # (tuple of onderdeel indices, ...); group 0 holds gemeenschappelijk + vrij
    apart: bool = False    # the last group holds the `apart` onderdelen


def match(ctx: Context, step, evaluate) -> tuple[dict, dict]:
    """The SAMENSTELLING_COLUMNS for every candidate and vak row of `ctx`: (kandidaat, vak) values.

    `evaluate(node, ctx, level) -> Value` is the evaluator's expression function (the step's own
    conditions, e.g. `meedoen`, are rule-language expressions).
    """
    n, m = ctx.kandidaat.n, ctx.vak.n
    onderdelen = step.onderdelen
    comp_of_cand, compositions = _compositions(ctx, onderdelen)
    known = comp_of_cand >= 0
    meedoen = np.broadcast_to(evaluate(step.meedoen, ctx, "vak").true(), m) & known[ctx.k]
    row_masks = _row_masks(ctx, onderdelen, compositions, comp_of_cand[ctx.k], meedoen, evaluate)

    position = _preference_position(ctx, step, meedoen, evaluate)
    width = int(ctx.counts.max(initial=0))
    masks = np.zeros((n, max(width, 1)), dtype=np.int64)
    reported = np.zeros((n, max(width, 1)), dtype=np.int64)
    cell = ctx.k.astype(np.int64, copy=False) * masks.shape[1] + position   # each row's (candidate, position)
    masks.reshape(-1)[cell] = row_masks
    reported.reshape(-1)[cell] = _reported_deel(ctx, step, evaluate)
    masks, reported, moved = _canonical(masks, reported, comp_of_cand, compositions, onderdelen)
    position = moved.reshape(-1).take(cell)
    rows = np.column_stack([comp_of_cand, masks << 2 | reported])       # a position as _solve reads it
    inverse, patterns = _distinct_rows(rows if known.all() else rows[known])
    plaatsen = tuple(_Plaats(o.naam, o.examendeel, o.aantal, o.meer_tellen_mee, o.kernvak) for o in onderdelen)
    plans = [_plan(comp, plaatsen) for comp in compositions]
    solved = [_solve(plans[p[0]], tuple(p[1:])) for p in patterns.tolist()]

    cand_rows = np.flatnonzero(known)
    pattern_of_cand = np.full(n, -1, dtype=np.int64)
    pattern_of_cand[cand_rows] = np.ravel(inverse)
    return _store(ctx, onderdelen, solved, pattern_of_cand, position, meedoen, known)


def _compositions(ctx: Context, onderdelen):
    """Per candidate the index of its composition (-1: not known) and the distinct compositions."""
    kand, n = ctx.kandidaat.values, ctx.kandidaat.n
    key, texts = np.zeros(n, dtype=np.int64), []
    for name in ("leerweg", "profiel", "opleidingscode"):     # one mixed-radix code per triple
        codes, categories = text_codes(kand[name])
        codes = np.broadcast_to(codes, n)
        if name == "profiel":
            codes = np.where(np.broadcast_to(kand[name].null, n), -1, codes)
        texts.append([""] + ["" if text is None else str(text) for text in categories])   # at code + 1
        key = key * len(texts[-1]) + codes + 1
    codes, uniques = pd.factorize(key)
    compositions, index, of_unique = [], {}, []
    for number in uniques.tolist():
        number, opl = divmod(number, len(texts[2]))
        lw, prof = divmod(number, len(texts[1]))
        lw, prof, opl = texts[0][lw], texts[1][prof], texts[2][opl]
        comp = _composition(onderdelen, lw, prof, opl)
        if comp is None:
            of_unique.append(-1)
            continue
        if comp not in index:
            index[comp] = len(compositions)
            compositions.append(comp)
        of_unique.append(index[comp])
    return np.array(of_unique, dtype=np.int64)[codes], compositions


def _composition(onderdelen, leerweg, profiel, opleiding):
    """The onderdelen of one opleiding, or None when its profiel has no profieldeel in the rules."""
    if not leerweg or not profiel:
        return None
    parts = profiel.split("+")
    fits = [j for j, o in enumerate(onderdelen)
            if leerweg in o.leerwegen and (o.opleidingen is None or opleiding in o.opleidingen)]
    apart = tuple(j for j in fits if onderdelen[j].apart
                  and (onderdelen[j].profielen is None or set(parts) & set(onderdelen[j].profielen)))
    fits = [j for j in fits if not onderdelen[j].apart]
    common = tuple(j for j in fits if onderdelen[j].profielen is None)
    groups = []
    for part in parts:
        own = tuple(j for j in fits if onderdelen[j].profielen is not None and part in onderdelen[j].profielen)
        if not own:
            return None
        groups.append(own)
    groups[0] = common + groups[0]
    # gemeenschappelijk deel, then profieldeel, then vrije deel: a vak takes the first free onderdeel
    groups = [tuple(sorted(g, key=lambda j: (_rank(onderdelen[j]), j))) for g in groups]
    if apart:
        groups.append(apart)
    if sum(len(g) for g in groups) > MAX_PLAATSEN:
        raise ValueError(f"te veel onderdelen voor één opleiding ({leerweg} {profiel})")
    return _Composition(tuple(groups), bool(apart))


def _row_masks(ctx: Context, onderdelen, compositions, comp_of_row, meedoen: np.ndarray, evaluate) -> np.ndarray:
    """Per vak row the onderdelen of its composition it may fill (vakken, waar, behalve), as slot bits."""
    m = ctx.vak.n
    codes, categories = text_codes(ctx.vak.values["vakcode"])
    categories = np.asarray(categories, dtype=object)
    table = np.zeros((len(categories) + 1, len(onderdelen)), dtype=bool)   # last row: no vakcode
    for j, o in enumerate(onderdelen):
        allowed = np.ones(len(categories), dtype=bool) if o.vakken is None else np.isin(categories, list(o.vakken))
        table[:-1, j] = allowed & ~np.isin(categories, list(o.behalve))
    # per composition (last row: none, for rows not taking part) the slot bits of each vakcode, and
    # per `waar` condition the slot bits it restricts
    bits_of = np.zeros((len(compositions) + 1, len(categories) + 1), dtype=np.int64)
    conditions, condition_bits = {}, {}
    for c, comp in enumerate(compositions):
        plaatsen = [j for group in comp.groups for j in group]
        bits = np.left_shift(np.int64(1), np.arange(len(plaatsen), dtype=np.int64))
        bits_of[c] = (table[:, plaatsen] * bits).sum(axis=1)
        for bit, j in zip(bits.tolist(), plaatsen):
            waar = onderdelen[j].waar
            if waar is not None:
                conditions[id(waar)] = waar
                condition_bits.setdefault(id(waar), np.zeros(len(compositions) + 1, dtype=np.int64))[c] |= bit
    comp_of_row = np.where(meedoen, comp_of_row, -1)
    out = bits_of[comp_of_row, codes]                   # one gather per row
    for key, waar in conditions.items():
        holds = np.broadcast_to(evaluate(waar, ctx, "vak").true(), m)
        out &= ~np.where(holds, 0, condition_bits[key][comp_of_row])
    return out


def _distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of each row's distinct row, the distinct rows in order of first occurrence).

    Rows are factorized by a 64-bit hash of their values (fast, C); a hash collision is detected by
    comparing every row with its representative, and then the rows are factorized by their bytes.
    """
    hashed = (rows * _hash_weights(rows.shape[1])).sum(axis=1)     # int64 arithmetic wraps around
    inverse, uniques = pd.factorize(hashed)
    if not np.array_equal(rows, rows[_first_of(inverse, len(uniques))][inverse]):
        inverse, uniques = pd.factorize(np.array([row.tobytes() for row in np.ascontiguousarray(rows)],
                                                 dtype=object))
    return inverse, rows[_first_of(inverse, len(uniques))]


def _hash_weights(width: int) -> np.ndarray:
    """Fixed odd 64-bit multipliers, one per column."""
    return np.random.default_rng(0x5A4D).integers(1, 2 ** 63, size=width, dtype=np.int64) | 1


def _first_of(inverse: np.ndarray, count: int) -> np.ndarray:
    """The first row of each of `count` groups."""
    first = np.empty(count, dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]
    return first


DELEN = ("G", "P", "V")


def _rank(onderdeel) -> int:
    """Position of the onderdeel's examendeel in G, P, V (an apart onderdeel without one: last)."""
    return DELEN.index(onderdeel.examendeel) if onderdeel.examendeel in DELEN else len(DELEN)


def _canonical(masks, reported, comp_of_cand, compositions, onderdelen):
    """Fewer distinct patterns: vakken whose order cannot change the matching go last, sorted.

    A vak that is the only one of its candidate admissible to an onderdeel of capacity 1 must fill
    that onderdeel in every complete matching, so it is restricted to it; such vakken and vakken that
    fit no onderdeel at all do not compete, and their preference order is dropped. Returns the new
    masks and reported examendelen and, per candidate, the new position of each old position.
    """
    n, width = masks.shape
    nbits = max((sum(len(g) for g in c.groups) for c in compositions), default=0)
    single = np.zeros((len(compositions) + 1, max(nbits, 1)), dtype=bool)   # first group only:
    first = np.zeros(len(compositions) + 1, dtype=np.int64)                 # further profielen reuse vakken
    for c, comp in enumerate(compositions):
        first[c] = (1 << len(comp.groups[0])) - 1
        for s, j in enumerate(comp.groups[0]):
            single[c, s] = onderdelen[j].aantal == 1 and not onderdelen[j].meer_tellen_mee
    bit = np.left_shift(np.int64(1), np.arange(max(nbits, 1), dtype=np.int64))
    once, twice = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    for p in range(width):                   # onderdelen admissible to exactly one vak: once & ~twice
        twice |= once & masks[:, p]
        once |= masks[:, p]
    private_mask = once & ~twice & (single * bit).sum(axis=1)[comp_of_cand]
    own = masks & private_mask[:, None]
    fixed = (own != 0) & ((own & (own - 1)) == 0)
    further = masks & ~first[comp_of_cand][:, None]
    masks = np.where(fixed, own | further, masks)
    loose = (fixed & (further == 0)) | (masks == 0)
    # one sort key per position: competing vakken first in preference order, then the loose ones by
    # mask (highest first), ties in preference order
    codes, distinct = pd.factorize(masks.ravel())
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[np.argsort(distinct)] = np.arange(len(distinct))[::-1]
    pos = np.arange(width)
    order = np.argsort(np.where(loose, width * (1 + rank[codes].reshape(n, width)) + pos, pos), axis=1, kind="stable")
    moved = np.empty_like(order)
    np.put_along_axis(moved, order, np.broadcast_to(pos, order.shape), axis=1)
    flat = order + (np.arange(n) * width)[:, None]
    return masks.ravel().take(flat), reported.ravel().take(flat), moved


def _reported_deel(ctx: Context, step, evaluate) -> np.ndarray:
    """Per vak row the examendeel the school reported (1 G, 2 P, 3 V; 0 none or other)."""
    if step.gemeld_examendeel is None:
        return np.zeros(ctx.vak.n, dtype=np.int64)
    value = evaluate(step.gemeld_examendeel, ctx, "vak")
    if np.ndim(value.val) == 0:
        value = Value(value.kind, np.full(ctx.vak.n, value.val, dtype=object), np.broadcast_to(value.null, ctx.vak.n))
    codes, categories = text_codes(value)
    deel = np.append(pd.Index(DELEN).get_indexer(pd.Index(categories, dtype=object)) + 1, 0)   # per distinct text
    return np.where(np.broadcast_to(value.null, ctx.vak.n), 0, deel[codes])


def _preference_position(ctx: Context, step, meedoen: np.ndarray, evaluate) -> np.ndarray:
    """Each row's position within its candidate in preference order.

    Taking part first, then the highest `voorkeur` (empty last), then file order.
    """
    value = evaluate(step.voorkeur, ctx, "vak")
    m = ctx.vak.n
    val = np.broadcast_to(np.asarray(value.val, dtype=np.int64), m)
    den = np.broadcast_to(np.asarray(value.den, dtype=np.int64), m)
    null = np.broadcast_to(np.asarray(value.null, dtype=bool), m)
    scaled = np.where(null, np.iinfo(np.int64).min, val * (1000 // np.maximum(den, 1)))
    codes, distinct = pd.factorize(-scaled.clip(-(2 ** 62), 2 ** 62))     # few distinct voorkeuren
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[np.argsort(distinct)] = np.arange(len(distinct))
    # one key (candidate, taking part, voorkeur); a stable sort keeps file order among equals
    order = np.argsort((ctx.k.astype(np.int64, copy=False) * 2 + ~meedoen) * len(distinct) + rank[codes], kind="stable")
    position = np.empty(m, dtype=np.int64)
    position[order] = np.arange(m)
    return position - ctx.starts[ctx.k]


@dataclass(frozen=True)
class _Result:
    """The matching of one pattern: per position the onderdeel (-1 none) and flags."""

    onderdeel: tuple       # onderdeel index (into the step's list) per position, -1 = none
    kernvak: tuple         # the vak fills an onderdeel marked kernvak (in any group)
    kan_vervallen: tuple
    volledig: bool
    ontbreekt: str


class _Plaats(NamedTuple):
    """What the matching reads of one onderdeel."""

    naam: str
    examendeel: str
    aantal: int
    meer_tellen_mee: bool
    kernvak: bool


class _Group(NamedTuple):
    """What the matching of one group needs, computed once per composition."""

    number: int            # the group's index in _Composition.groups
    low: int               # its first position in the composition's flattened slot list
    bits: int              # its slots as bits of that list
    later: int             # bits of the further profiel groups (only for the first group)
    apart: bool
    plaats: tuple          # onderdeel index per slot
    capacity: tuple        # aantal per slot
    places: int            # their sum
    open_bits: int         # the slots (0 = the group's first) with an aantal above 0
    deel_bits: tuple       # per reported examendeel (0 none, 1 G, 2 P, 3 V) the bits of its slots
    extra_bits: int        # slots with meer_tellen_mee
    kernvak: tuple
    vrij: tuple            # the slot's onderdeel is in the vrije deel
    naam: tuple


class _Plan:
    """The groups of one composition in the order they are matched: an apart group first, then the
    profielen. Hashed once, as it keys the cache of solved patterns."""

    __slots__ = ("groups", "_hash")

    def __init__(self, groups: tuple):
        self.groups, self._hash = groups, hash(groups)

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return self is other or (isinstance(other, _Plan) and self.groups == other.groups)


@functools.lru_cache(maxsize=256)
def _plan(comp: _Composition, onderdelen: tuple) -> _Plan:
    """The _Plan of `comp` (the same object for equal arguments while cached)."""
    plaatsen = [j for group in comp.groups for j in group]
    offsets = np.cumsum([0] + [len(group) for group in comp.groups]).tolist()
    main = len(comp.groups) - comp.apart          # the profiel groups; an apart group comes last
    out = []
    for g in ([main] if comp.apart else []) + list(range(main)):
        slots = range(offsets[g], offsets[g] + len(comp.groups[g]))
        spec = [onderdelen[plaatsen[s]] for s in slots]
        out.append(_Group(
            g, slots[0], sum(1 << s for s in slots), sum(1 << s for s in range(offsets[g + 1], offsets[main])),
            g == main, tuple(plaatsen[s] for s in slots), tuple(o.aantal for o in spec), sum(o.aantal for o in spec),
            sum(1 << k for k, o in enumerate(spec) if o.aantal > 0),
            tuple(sum(1 << s for s, o in zip(slots, spec) if _rank(o) + 1 == deel) if deel else 0
                  for deel in range(len(DELEN) + 1)),
            sum(1 << s for s, o in zip(slots, spec) if o.meer_tellen_mee),
            tuple(o.kernvak for o in spec), tuple(o.examendeel == "V" for o in spec), tuple(o.naam for o in spec)))
    return _Plan(tuple(out))


@functools.lru_cache(maxsize=1 << 12)
def _slots_of(mask: int) -> tuple:
    """The positions of the set bits of `mask`, lowest first."""
    return tuple(s for s in range(mask.bit_length()) if mask >> s & 1)


@functools.lru_cache(maxsize=1 << 17)
def _solve(plan: _Plan, positions: tuple) -> _Result:
    """Match the positions (admissibility bitmasks in preference order, shifted by 2 bits, with the
    reported examendeel in the lowest two) to the onderdelen.

    A vak tries the onderdelen of the examendeel the school reported for it first. Kept per
    pattern for the process (bounded): the leaving-out scenarios, every school of a per-school run
    and every partition of an archive run meet the same patterns again.
    """
    masks = [p >> 2 & PLAATS_BITS for p in positions]
    reported = [p & 3 for p in positions]
    length = len(masks)
    active = [i for i in range(length) if masks[i]]    # a vak that fits no onderdeel is never matched
    onderdeel, kernvak, vrij = [-1] * length, [False] * length, [False] * length
    removable = [True] * length
    volledig, ontbreekt, first = True, {}, [False] * length
    for group in plan.groups:
        # the apart requirement takes the best vakken; the first matching first takes the vakken that
        # meet it, then vakken no further profiel can use; a further profiel first takes vakken the
        # first matching left over (each counts somewhere); each a stable partition of `active`
        g = group.number
        if group.apart or (g == 0 and not group.later and not any(first)):
            order = active
        elif g == 0:
            later, order = group.later, []
            for part in ([i for i in active if first[i]], [i for i in active if not first[i]]):
                order += [i for i in part if not masks[i] & later] + [i for i in part if masks[i] & later]
        else:
            order = [i for i in active if onderdeel[i] < 0] + [i for i in active if onderdeel[i] >= 0]
        owners, surplus, matched = _kuhn(masks, reported, order, group)
        for k, (capacity, plaats, in_vrij, kern) in enumerate(zip(group.capacity, group.plaats, group.vrij,
                                                                  group.kernvak)):
            taken = owners[k] + surplus[k]
            if len(taken) < capacity:
                volledig = False
                naam = group.naam[k]
                ontbreekt.setdefault(g, []).append(naam if capacity == 1 else f"{naam} ({len(taken)} van {capacity})")
            for i in taken:
                if group.apart:
                    first[i] = True
                # a vak in the vrije deel of the first profiel that also fills a further profieldeel
                # is reported as profieldeel, as schools register a combined profiel
                elif onderdeel[i] < 0 or (g > 0 and vrij[i]):
                    onderdeel[i], vrij[i] = plaats, in_vrij
                kernvak[i] |= kern
        refill = _refillable(masks, active, group, owners, surplus, matched)
        for k, vakken in enumerate(owners):
            if not refill >> k & 1:
                for i in vakken:
                    removable[i] = False
    kan = tuple(removable) if volledig else (False,) * length
    return _Result(tuple(onderdeel), tuple(kernvak), kan, volledig,
                   ", ".join(naam for g in sorted(ontbreekt) for naam in ontbreekt[g]))


def _kuhn(masks, reported, order, group: _Group):
    """Kuhn's maximum matching with capacities `aantal`, vakken offered in `order`.

    Phase 1 matches only the vakken the school gave an examendeel, to onderdelen of that examendeel;
    phase 2 offers every vak still unmatched to all its onderdelen. A vak once matched stays matched,
    and a vak for which phase 2 finds no augmenting path never gets one later, so the result is a
    maximum matching (completeness is exact) that keeps the school's examendelen where possible.
    A vak takes the first slot with room it may fill, else an augmenting path is searched; once
    every slot is full no such path exists, so no vak is offered any more.
    Returns (owners, surplus, matched): per slot of the group (0 = its first) the vakken matched to
    it and the left-over vakken it takes in, and per position whether the vak is matched.
    """
    low, bits, deel_bits = group.low, group.bits, group.deel_bits
    room = list(group.capacity)
    owners = [[] for _ in room]
    matched = [False] * len(masks)
    free, open_slots = group.places, group.open_bits      # places left; slots with room, as bits

    def adjacency(i):
        return (masks[i] & (bits if phase is None else phase[reported[i]])) >> low

    def augment(i, seen):
        for s in _slots_of(adjacency(i)):
            if s in seen:
                continue
            seen.add(s)
            if room[s]:
                owners[s].append(i)
                return s
            for k, j in enumerate(owners[s]):
                found = augment(j, seen)
                if found >= 0:
                    owners[s][k] = i
                    return found
        return -1

    for phase in (deel_bits, None):
        for i in order:
            if not free:
                break
            if matched[i]:
                continue
            fits = (masks[i] & (bits if phase is None else phase[reported[i]])) >> low    # adjacency(i)
            if not fits:
                continue
            fits &= open_slots
            if fits:
                s = (fits & -fits).bit_length() - 1
                owners[s].append(i)
            else:
                s = augment(i, set())            # the slot that gained a vak at the path's end
                if s < 0:
                    continue
            room[s] -= 1
            if not room[s]:
                open_slots &= ~(1 << s)
            matched[i] = True
            free -= 1
    surplus = [[] for _ in room]
    extra_bits = group.extra_bits
    if extra_bits:
        for i in order:
            extra = masks[i] & extra_bits
            if extra and not matched[i]:               # the first onderdeel that takes more vakken
                surplus[(extra & -extra).bit_length() - 1 - low].append(i)
    return owners, surplus, matched


def _refillable(masks, active, group: _Group, owners, surplus, matched) -> int:
    """Slots of the group (as bits, 0 = its first) whose vak could be left out: a left-over vak (or a
    chain of moves) takes over."""
    low, bits = group.low, group.bits
    refill = 0
    for k, taken in enumerate(surplus):
        if taken:
            refill |= 1 << k
    for i in active:
        if not matched[i]:
            refill |= (masks[i] & bits) >> low
    while True:                 # the onderdelen another refillable onderdeel's vak may also fill
        reach = refill
        for k, vakken in enumerate(owners):
            if refill >> k & 1:
                for j in vakken:
                    reach |= (masks[j] & bits) >> low
        if reach == refill:
            return refill
        refill = reach


def _store(ctx: Context, onderdelen, solved, pattern_of_cand, position, meedoen, known) -> tuple[dict, dict]:
    """Scatter the per-pattern results to the vak rows and candidates of `ctx`: (kandidaat, vak) values."""
    n = ctx.kandidaat.n
    width = max((len(r.onderdeel) for r in solved), default=1)      # every pattern of a call has one width
    table = np.array([r.onderdeel for r in solved] + [(-1,) * width], dtype=np.int64)   # last: unknown
    kern = np.array([r.kernvak for r in solved] + [(False,) * width], dtype=bool)
    kan = np.array([r.kan_vervallen for r in solved] + [(False,) * width], dtype=bool)
    cell = pattern_of_cand[ctx.k] * width + np.minimum(position, width - 1)     # each row's cell in the tables
    which = table.reshape(-1).take(cell)
    unknown_row = ~known[ctx.k]
    vak = {}
    vak["samenstelling_onderdeel"] = _text(which, [o.naam for o in onderdelen])
    vak["examendeel_afgeleid"] = _text(which, [o.examendeel for o in onderdelen])
    vak["is_extra"] = Value("bool", meedoen & (which < 0), unknown_row | ~meedoen)
    vak["kan_vervallen"] = Value("bool", kan.reshape(-1).take(cell) & meedoen, unknown_row | ~meedoen)
    vak["kernvakplaats"] = Value("bool", kern.reshape(-1).take(cell) & (which >= 0), unknown_row)
    volledig = np.array([r.volledig for r in solved] + [False], dtype=bool)[pattern_of_cand]
    ontbreekt = np.array([r.ontbreekt for r in solved] + [""], dtype=object)[pattern_of_cand]
    kand = {}
    kand["samenstelling_bekend"] = Value("bool", known, np.zeros(n, dtype=bool))
    kand["samenstelling_volledig"] = Value("bool", volledig, ~known)
    kand["samenstelling_ontbreekt"] = Value("str", ontbreekt, ~known | (ontbreekt == ""))
    return kand, vak


def _text(which: np.ndarray, texts: list) -> Value:
    """A text column holding `texts[which]` (empty where which < 0), factorized as it is made."""
    code_of, categories = pd.factorize(np.array(texts + [None], dtype=object), use_na_sentinel=True)
    codes = code_of[which]                          # which == -1 picks the trailing None: code -1
    return Value("str", categories_values(categories)[codes], codes < 0, 1, codes, categories)


def defaults(n_exam: int, n_vak: int) -> dict:
    """The step's columns when a rule set has no samenstelling: every composition unknown."""
    out = {}
    for name, (kind, level, _) in SAMENSTELLING_COLUMNS.items():
        size = n_vak if level == "vak" else n_exam
        if name == "samenstelling_bekend":
            out[name] = Value("bool", np.zeros(size, dtype=bool), np.zeros(size, dtype=bool))
        else:
            empty = np.full(size, None, dtype=object) if kind == "str" else np.zeros(size, dtype=bool)
            out[name] = Value(kind, empty, np.ones(size, dtype=bool))
    return out
