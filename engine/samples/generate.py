"""Deterministic generator of realistic VO exam-results files in the canonical format.

`generate(kandidaten, schooljaar, seed, fouten)` builds one row per candidate x vak for every
leerweg (VWO, HAVO, VMBO-TL/GL/KB/BB) with complete exams per profiel, grades drawn per candidate
and vak, and an uitslag decided by `_Oracle`: a compact, independent reading of the
slaag-zakregeling (docs: examples/README.md). That oracle is test-data logic, kept apart from
the product's YAML rules so the engine can be checked against it; it is not the product's rules.

Everything is vectorised per profiel (no loop per candidate), and the same seed gives a
byte-identical file.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from examenbron.engine.inputs.columns import ALL_COLUMNS as COLUMNS, EXAM_COLUMNS, VAK_COLUMNS
from examenbron.engine.outputs.files import replacing

# --- vakcodes (real codes from /work/shared/reference, vakcodes-2015-2016.csv / vakcodes-duo.csv) ---
# havo/vwo
NETL, ENTL, FATL, DUTL, SPTL, LATL, GRTL = 1001, 1002, 1003, 1004, 1005, 1010, 1011
BIOL, MAAT, CKV, GES, ECON, NAT, WISA, WISB, WISC, WISD, SCHK = (
    1018, 1019, 1020, 1021, 1022, 1023, 1024, 1025, 1026, 1027, 1028)
MAW, NLT, AK, FI, INF, LO = 1034, 1035, 131, 311, 161, 353
REKENTOETS = 1107  # havo/vwo and vmbo, 2018-2019 only
# vmbo algemene vakken
NE, EN, FA, DU, SP, WI, NASK1, NASK2, BI, EC, GS, ML, MAK, KV1 = (
    11, 71, 53, 63, 81, 153, 173, 174, 191, 233, 125, 322, 323, 416)

# vmbo profielen: (name, elementcode prefix, profielvak, keuzevakken, algemene profielvakken, share)
# Elementcode = prefix + leerweg digit (1 BB, 2 KB, 3 GL) + "1"; LWOO: digit + 4, then "5".
_VMBO_PROFIELEN = (
    ("BWI", "60", 1200, tuple(range(1201, 1224)), ((WI,), (NASK1,)), 0.08),
    ("PIE", "61", 1300, tuple(range(1301, 1324)), ((WI,), (NASK1,)), 0.10),
    ("MT", "62", 1400, tuple(range(1401, 1417)), ((WI,), (NASK1,)), 0.07),
    ("MVI", "63", 1500, tuple(range(1501, 1517)), ((WI,), (NASK1,)), 0.10),
    ("EO", "64", 1700, tuple(range(1701, 1713)), ((EC,), (WI, FA, DU)), 0.18),
    ("HBR", "65", 1800, tuple(range(1801, 1813)), ((EC,), (WI, FA, DU)), 0.09),
    ("ZW", "66", 1600, tuple(range(1601, 1619)), ((BI,), (MAK, GS, AK, WI)), 0.20),
    ("GROEN", "67", 2000, tuple(range(2001, 2018)), ((WI,), (BI, NASK1)), 0.08),
    ("MAR", "68", 2100, tuple(range(2101, 2109)), ((WI,), (NASK1,)), 0.02),
    ("DP", "69", 1900, tuple(range(1901, 1911)), ((WI, BI, EC, NASK1), (WI, BI, EC, NASK1)), 0.08),
)
_VMBO_VRIJ = (WI, NASK1, BI, EC, GS, AK, FA, DU, SP, MAK)

LEERWEG_SHARES = {"VWO": 0.20, "HAVO": 0.25, "VMBO-TL": 0.22, "VMBO-GL": 0.05, "VMBO-KB": 0.15,
                  "VMBO-BB": 0.13}

_TITELS = (
    "De invloed van sociale media op jongeren", "Duurzame energie in de eigen gemeente",
    "Waterbeheer in Nederland", "Het effect van muziek op concentratie", "Plastic in de Noordzee",
    "De geschiedenis van onze wijk", "Een bedrijfsplan voor een foodtruck", "Sport en gezondheid",
    "Robotica in de zorg", "De Gouden Eeuw in beeld", "Kunstmatige intelligentie en werk",
    "Voedselverspilling op school", "Het klimaat in 2050", "Migratie en identiteit",
    "Biodiversiteit in de stadstuin", "De werking van vaccins", "Een app voor de schoolkantine",
    "Armoede onder kinderen", "Bouwen met hout", "Mode en duurzaamheid",
)


@dataclass(frozen=True)
class Jaar:
    """What a school year changes for the generated data (slaag-zak.md §4)."""

    schooljaar: str
    examenjaar: int
    ce: bool              # central exams held (none in 2019-2020)
    cspe: bool            # vmbo beroepsgericht profielvak closed by a cspe (not 2020-2022)
    herkansingen: int     # CE herkansingen per candidate
    wegstrepen: bool      # one vak may be struck (2020-2021, 2021-2022)
    ckv_cijfer_havo: bool
    ckv_cijfer_vwo: bool
    rekentoets: bool = False  # 2018-2019: the rekentoets must be taken; its grade does not count


def jaar(schooljaar: str) -> Jaar:
    """Return the year parameters for 'YYYY-YYYY' (2018-2019 or later; a year after the corona years
    follows the regular rules, so a new rule year needs no edit here)."""
    try:
        start, end = (int(p) for p in schooljaar.split("-"))
    except ValueError:
        raise ValueError(f"schooljaar moet de vorm 2024-2025 hebben, niet {schooljaar!r}") from None
    if end != start + 1 or start < 2018:
        raise ValueError(f"schooljaar {schooljaar!r} wordt niet ondersteund (vanaf 2018-2019)")
    corona = start in (2020, 2021)
    return Jaar(schooljaar, end, ce=start != 2019, cspe=start not in (2019, 2020, 2021),
                herkansingen=0 if start == 2019 else 2 if corona else 1, wegstrepen=corona,
                ckv_cijfer_havo=True, ckv_cijfer_vwo=start >= 2019, rekentoets=start == 2018)


@dataclass(frozen=True)
class _Slot:
    pool: tuple            # vakcodes; one is drawn per candidate, never one already taken
    kind: str              # "ce" (SE one decimal + CE), "se" (whole SE-only grade), "vg" (V/G/O)
    kern: bool = False     # havo/vwo kernvak; vmbo: Nederlands
    comp: bool = False     # combinatiecijfer component (GL: the weighted profielvak too)
    pv: bool = False       # vmbo beroepsgericht profielvak
    extra: bool = False    # extra vak that may be left out of the uitslag
    p: float = 1.0         # probability that a candidate takes it
    weights: tuple | None = None
    deel: str = ""         # examendeel letter (havo/vwo): G gemeenschappelijk, P profiel, V vrij
    boost: float = 0.0     # shift of the grade mean (practical vakken score higher)
    telt: bool = True      # counts in the uitslag (False: the rekentoets of 2018-2019)


@dataclass(frozen=True)
class _Profiel:
    leerweg: str
    codes: tuple           # opleidingscode; a second one is the LWOO variant
    share: float           # share of all candidates
    slots: tuple
    comb: str              # "" | "havo/vwo" | "keuze" (BB/KB) | "gl"
    werkstuk: str          # "" | "cijfer" (havo/vwo) | "vg" (GL/TL)
    niveau: float = 0.0


def _s(*pool, **kw) -> _Slot:
    kind = kw.pop("kind", "ce")
    return _Slot(tuple(pool), kind, **kw)


def _profielen(j: Jaar) -> list[_Profiel]:
    """All profielen with their vak slots for school year j (2018-2019: plus the rekentoets)."""
    out = _profielen_zonder_rekentoets(j)
    if not j.rekentoets:
        return out
    rekentoets = _s(REKENTOETS, kind="se", telt=False)
    return [_Profiel(p.leerweg, p.codes, p.share, p.slots + (rekentoets,), p.comb, p.werkstuk, p.niveau)
            for p in out]


def _profielen_zonder_rekentoets(j: Jaar) -> list[_Profiel]:
    out = []
    for lw, share, niveau in (("HAVO", 0.25, 0.2), ("VWO", 0.20, 0.2)):
        ckv_graded = j.ckv_cijfer_havo if lw == "HAVO" else j.ckv_cijfer_vwo
        gem = [_s(NETL, kern=True, deel="G"), _s(ENTL, kern=True, deel="G"),
               _s(MAAT, kind="se", comp=True, deel="G"),
               _s(CKV, kind="se", comp=True, deel="G") if ckv_graded else _s(CKV, kind="vg", deel="G"),
               _s(LO, kind="vg", deel="G")]
        wis_ab = dict(weights=(0.65, 0.35), kern=True, deel="P")
        p_vrij2 = 0.15 if lw == "HAVO" else 0.30
        vrij = (BIOL, AK, ECON, GES, FATL, DUTL, SPTL, NAT, SCHK, WISD, INF, FI, MAW)
        nt = [_s(WISB, kern=True, deel="P"), _s(NAT, deel="P"), _s(SCHK, deel="P")]
        ng = [_s(BIOL, deel="P"), _s(SCHK, deel="P")]
        em = [_s(ECON, deel="P"), _s(GES, deel="P")]
        profielen = {
            "NT": ("0", 0.18, nt + [_s(WISD, BIOL, INF, NLT, deel="P", weights=(0.4, 0.4, 0.1, 0.1))]),
            "NG": ("1", 0.25, [_s(WISA, WISB, **wis_ab)] + ng + [_s(NAT, AK, NLT, deel="P", weights=(0.5, 0.3, 0.2))]),
            "EM": ("2", 0.33, [_s(WISA, WISB, **{**wis_ab, "weights": (0.75, 0.25)})] + em
                   + [_s(AK, FATL, DUTL, MAW, deel="P")]),
            # C&M (profielen.md §2.3): vwo wiskunde, geschiedenis, a cultureel vak (a language or
            # filosofie) and a maatschappelijk vak; havo geschiedenis, a language, a cultureel vak
            # and a maatschappelijk vak, wiskunde only as an extra vak.
            "CM": ("3", 0.12, ([_s(WISA, WISC, kern=True, deel="P")] if lw == "VWO"
                               else [_s(WISA, kern=True, extra=True, p=0.4, deel="V"), _s(FATL, DUTL, SPTL, deel="P")])
                   + [_s(GES, deel="P"), _s(FATL, DUTL, SPTL, FI, deel="P"), _s(AK, ECON, MAW, deel="P")]),
            "NTNG": ("4", 0.12, nt + [_s(BIOL, deel="P"), _s(WISD, NLT, INF, AK, deel="P")]),
        }
        varianten = ((("1", 0.7 * share), ("2", 0.3 * share)) if lw == "VWO" else (("3", share),))
        for digit, vshare in varianten:
            taal = []
            if lw == "VWO":
                taal = ([_s(FATL, DUTL, SPTL, weights=(0.45, 0.45, 0.10), deel="G")] if digit == "1"
                        else [_s(LATL, GRTL, weights=(0.7, 0.3), deel="G")])  # gymnasium
            for naam, (last, pshare, prof) in profielen.items():
                slots = gem + taal + prof + [_s(*vrij, deel="V"), _s(*vrij, deel="V", extra=True, p=p_vrij2)]
                out.append(_Profiel(lw, (f"0{digit}7{last}",), vshare * pshare, tuple(slots),
                                    "havo/vwo", "cijfer", niveau))
    vmbo_gem = [_s(NE, kern=True), _s(EN), _s(ML, kind="se"), _s(LO, kind="vg"), _s(KV1, kind="vg")]
    # TL profielen (opleidingscodes 0470-0473) with their profielgebonden vakken (profielen.md §3.2)
    tl_profielen = (
        ("0470", 0.30, [_s(WI), _s(NASK1)], (NASK2, BI, EC, GS, AK, DU, FA)),
        ("0471", 0.30, [_s(BI), _s(WI, AK, GS, MAK)], (NASK1, EC, GS, AK, DU, FA, WI, MAK)),
        ("0472", 0.30, [_s(EC), _s(WI, FA, DU)], (GS, AK, BI, DU, FA, SP, WI, NASK1, MAK)),
        ("0473", 0.10, [_s(WI), _s(BI, NASK1)], (BI, EC, GS, AK, DU, NASK2, WI, NASK1)),
    )
    for code, share, profiel, pool in tl_profielen:
        slots = vmbo_gem + profiel + [_s(*pool), _s(*pool), _s(*pool, extra=True, p=0.12)]
        out.append(_Profiel("VMBO-TL", (code,), LEERWEG_SHARES["VMBO-TL"] * share, tuple(slots), "", "vg", 0.15))
    for lw, digit in (("VMBO-BB", 1), ("VMBO-KB", 2), ("VMBO-GL", 3)):
        for _, prefix, pvak, keuze, (alg1, alg2), share in _VMBO_PROFIELEN:
            gl = lw == "VMBO-GL"
            slots = vmbo_gem + [_s(*alg1), _s(*alg2)]
            if gl:
                slots.append(_s(*_VMBO_VRIJ))
            slots.append(_s(pvak, pv=True, comp=gl))
            n_keuze = 2 if gl else 4
            slots += [_s(*keuze, kind="se", comp=True, boost=0.3) for _ in range(n_keuze)]
            slots.append(_s(*keuze, kind="se", comp=True, boost=0.3, p=0.10 if gl else 0.15))
            slots.append(_s(*_VMBO_VRIJ, extra=True, p=0.06 if gl else 0.08))
            codes = (f"{prefix}{digit}1", f"{prefix}{digit + 4}5")
            niveau = {"VMBO-BB": 0.05, "VMBO-KB": 0.05, "VMBO-GL": 0.1}[lw]
            out.append(_Profiel(lw, codes, LEERWEG_SHARES[lw] * share, tuple(slots),
                                "gl" if gl else "keuze", "vg" if gl else "", niveau))
    return out


# havo/vwo vakken without a CE: drawn in "ce" slots, graded as whole-number SE-only vakken
_SE_ONLY_HV = np.array([WISD, NLT, INF], dtype=np.int64)
MAX_WEGLATEN = 3   # the oracle leaves out at most this many vakken at once
CE, SE, VG = 0, 1, 2
_KIND = {"ce": CE, "se": SE, "vg": VG}


# --- per-candidate drawing -------------------------------------------------------------------

def _draw_codes(rng, n: int, slots) -> np.ndarray:
    """Vakcode per candidate x slot: weighted draw without repeating a code already taken."""
    codes = np.zeros((n, len(slots)), dtype=np.int64)
    for k, s in enumerate(slots):
        pool = np.asarray(s.pool, dtype=np.int64)
        if len(pool) == 1:
            codes[:, k] = pool[0]
            continue
        w = np.asarray(s.weights if s.weights else np.ones(len(pool)), dtype=np.float64)
        keys = rng.exponential(size=(n, len(pool))) / w   # Efraimidis-Spirakis race
        if k:
            taken = (pool[None, :, None] == codes[:, None, :k]).any(axis=2)
            keys[taken] = np.inf
        codes[:, k] = pool[np.argmin(keys, axis=1)]
    return codes


def _clip10(x) -> np.ndarray:
    """Round a float grade array to integer tenths in 10..100."""
    return np.clip(np.rint(x * 10), 10, 100).astype(np.int64)


def _half_up(total, count) -> np.ndarray:
    """Whole-number mean of integers, rounded half up on the first decimal."""
    count = np.maximum(count, 1)
    return (2 * total + count) // (2 * count)


@dataclass
class _Block:
    """Wide arrays of one profiel group: n candidates x S slots (grades in tenths, -1 = empty)."""

    prof: _Profiel
    idx: np.ndarray
    present: np.ndarray
    code: np.ndarray
    kind: np.ndarray         # CE / SE / VG per cell (a "ce" slot may draw an SE-only vak)
    se10: np.ndarray
    ce: np.ndarray           # (3, n, S): ce1, ce2, ce3
    eind: np.ndarray
    vg: np.ndarray           # 0 '', 1 V, 2 G, 3 O
    ws_cijfer: np.ndarray    # werkstuk cijfer (whole), -1 = none
    ws_vg: np.ndarray        # werkstuk beoordeling 0..3
    herkanst: np.ndarray
    dropped: np.ndarray = None
    comb: np.ndarray = None
    geslaagd: np.ndarray = None


def _grades(rng, prof: _Profiel, j: Jaar, idx: np.ndarray) -> _Block:
    """Draw vakken and grades for the candidates idx of one profiel."""
    n, slots = len(idx), prof.slots
    S = len(slots)
    rows = np.arange(n)
    code = _draw_codes(rng, n, slots)
    present = rng.random((n, S)) < np.array([s.p for s in slots])
    kind = np.broadcast_to(np.array([_KIND[s.kind] for s in slots]), (n, S))
    kind = np.where((kind == CE) & np.isin(code, _SE_ONLY_HV) & (prof.leerweg in ("HAVO", "VWO")), SE, kind)
    ability = rng.normal(prof.niveau, 0.45, size=(n, 1))
    raw = 6.6 + ability + rng.normal(0.0, 0.7, size=(n, S)) + np.array([s.boost for s in slots])
    ce_year = np.array([j.ce and (j.cspe or not s.pv) for s in slots])
    has_ce = (kind == CE) & ce_year
    se10 = np.where(kind == SE, np.clip(np.rint(raw), 1, 10).astype(np.int64) * 10, _clip10(raw))
    ce = np.full((3, n, S), -1, dtype=np.int64)
    ce[0] = np.where(has_ce, _clip10(rng.normal(se10 / 10 - 0.2, 0.9)), -1)
    # a vak that normally has a CE but is closed by its SE this year: SE rounded half up
    eind = np.where(kind == SE, se10 // 10, (se10 + 5) // 10)
    eind = np.where(has_ce, (se10 + ce[0] + 10) // 20, eind)
    herkanst = np.zeros(n, dtype=bool)
    # herkansing: mostly candidates with a low CE vak, on their weakest CE vakken
    weakest = np.argsort(np.where(has_ce & present, eind * 1000 + ce[0], 10 ** 6), axis=1, kind="stable")
    for h in range(min(j.herkansingen, S)):
        target = weakest[:, h]
        ok = has_ce[rows, target] & present[rows, target]
        low = eind[rows, target] <= 5
        p = np.where(low, 0.35, 0.02) if h == 0 else np.where(low, 0.3, 0.0) * herkanst
        take = ok & (rng.random(n) < p)
        new = _clip10(rng.normal(ce[0][rows, target] / 10 + 0.4, 0.8))
        third = rng.random(n) < 0.03          # tijdvak 3 when prevented in tijdvak 2
        for t, sel in ((1, take & ~third), (2, take & third)):
            ce[t][rows[sel], target[sel]] = new[sel]
        herkanst |= take
    eind = np.where(has_ce, (se10 + ce.max(axis=0) + 10) // 20, eind)
    u, u2 = rng.random((n, S)), rng.random((n, S))
    vg = np.where(kind == VG, np.where(u2 < 0.003, 3, np.where(u < 0.27, 2, 1)), 0)
    ws_cijfer = np.full(n, -1, dtype=np.int64)
    ws_vg = np.zeros(n, dtype=np.int64)
    if prof.werkstuk == "cijfer":
        ws_cijfer = np.clip(np.rint(rng.normal(6.9 + 0.6 * ability[:, 0], 1.0)), 3, 10).astype(np.int64)
    elif prof.werkstuk == "vg":
        u = rng.random(n)
        ws_vg = np.where(u < 0.005, 3, np.where(u < 0.30, 2, 1))
        ws_cijfer = np.choose(ws_vg, [0, 6, 8, 4]) + (rng.random(n) < 0.5)
    graded = kind != VG
    return _Block(prof, idx, present, code, kind, np.where(graded, se10, -1), ce,
                  np.where(graded, eind, -1), vg, ws_cijfer, ws_vg, herkanst)


class _Oracle:
    """Compact reference slaag-zakregeling (test-data logic, independent of the YAML rules).

    havo/vwo (slaag-zak.md §3.1): CE average >= 5,5; kernvakken NE/EN/wiskunde at most one 5 and
    none <= 4; no eindcijfer or combinatiecijfer component below 4; pattern all >= 6 | one 5 |
    (one 4 | two 5s | a 5 and a 4) with average >= 6,0; lo (and ckv before it was graded) V/G.
    vmbo (§3.2/3.3): CE average >= 5,5 incl. the cspe; NE >= 5; no eindcijfer and no keuzevak
    below 4; pattern all >= 6 | one 5 | (one 4 | two 5s) with at least one 7; lo, kv1 and the GL/TL
    profielwerkstuk V/G. BB/KB: profielvak and keuzevak-combinatiecijfer count as one vak each;
    GL: combinatiecijfer = (k x profielvak + keuzevakken) / 2k counts as one vak.
    2019-2020 no CE average; 2020-2021/2021-2022 one non-kernvak may be struck (vmbo: not Nederlands;
    a keuzevak or the GL profielvak on its own, the other parts keep their weights).
    Extra vakken are left out when that makes the candidate pass.
    """

    def __init__(self, b: _Block, j: Jaar):
        slots = b.prof.slots
        self.b, self.j = b, j
        self.kind = b.kind
        self.kern = np.array([s.kern for s in slots])
        self.comp = np.array([s.comp for s in slots])
        self.pv = np.array([s.pv for s in slots])
        self.telt = np.array([s.telt for s in slots])
        self._required = {k for k, s in enumerate(slots) if s.p == 1.0 and not s.extra and s.telt}
        self._groups = _pool_groups(slots)
        size = {k: len(g) for g in self._groups for k in g}
        # slots that may be left out when another vak can take their place: optional and extra
        # slots, and required slots whose pool overlaps another slot's
        self._movable = [k for k in size if k not in self._required or size[k] > 1]
        self.has_ce = b.ce[0] >= 0
        self.best = b.ce.max(axis=0)
        self.vmbo = b.prof.leerweg.startswith("VMBO")
        vg_bad = ((b.vg == 3) & b.present).any(axis=1) | (b.ws_vg == 3)
        self.vg_ok = ~vg_bad

    def combinatiecijfer(self, used: np.ndarray):
        """(combinatiecijfer, components all >= 4) for the vakken in `used`."""
        b, mode = self.b, self.b.prof.comb
        comp = used & self.comp & (self.kind != VG)
        e = np.where(comp, b.eind, 0)
        if mode == "havo/vwo":
            total, count = e.sum(axis=1) + b.ws_cijfer, comp.sum(axis=1) + 1
            comp_ok = ~((comp & (b.eind < 4)).any(axis=1) | (b.ws_cijfer < 4))
        elif mode == "keuze":
            total, count = e.sum(axis=1), comp.sum(axis=1)
            comp_ok = ~(comp & (b.eind < 4)).any(axis=1)
        elif mode == "gl":
            # the profielvak weighs as many keuzevakken as were taken; striking one keeps the weights
            kv = comp & ~self.pv
            k = kv.sum(axis=1)
            weight = (b.present & self.comp & ~self.pv & (self.kind != VG)).sum(axis=1)
            pv_used = (comp & self.pv).any(axis=1)
            pv_e = np.where(comp & self.pv, b.eind, 0).sum(axis=1)
            total = np.where(kv, b.eind, 0).sum(axis=1) + np.where(pv_used, weight * pv_e, 0)
            count = np.where(pv_used, weight + k, k)
            comp_ok = ~(kv & (b.eind < 4)).any(axis=1)
        else:
            return None, np.ones(len(b.idx), dtype=bool)
        return _half_up(total, count), comp_ok

    def passes(self, drop: np.ndarray):
        """Uitslag (True = geslaagd) and combinatiecijfer when the vakken in `drop` are left out."""
        b, j = self.b, self.j
        used = b.present & ~drop & self.telt
        graded = used & (self.kind != VG)
        comb, comp_ok = self.combinatiecijfer(used)
        items = graded & ~self.comp
        e = np.where(items, b.eind, 0)
        count = items.sum(axis=1)
        lo3 = (items & (b.eind <= 3)).any(axis=1)
        n4 = (items & (b.eind == 4)).sum(axis=1)
        n5 = (items & (b.eind == 5)).sum(axis=1)
        has7 = (items & (b.eind >= 7)).any(axis=1)
        total = e.sum(axis=1)
        if comb is not None:
            lo3 |= comb <= 3
            n4 += comb == 4
            n5 += comb == 5
            has7 |= comb >= 7
            total, count = total + comb, count + 1
        ce_used = graded & self.has_ce
        ce_n = ce_used.sum(axis=1)
        ce_ok = (np.where(ce_used, self.best, 0).sum(axis=1) >= 55 * ce_n) | (not j.ce)
        kern = items & self.kern
        if self.vmbo:
            kern_ok = ~(kern & (b.eind < 5)).any(axis=1)
            compensated = has7
        else:
            kern_ok = ~(kern & (b.eind <= 4)).any(axis=1) & ((kern & (b.eind == 5)).sum(axis=1) <= 1)
            compensated = total >= 6 * count
        two = ((n4 == 1) & (n5 == 0)) | ((n4 == 0) & (n5 == 2))
        if not self.vmbo:
            two |= (n4 == 1) & (n5 == 1)
        pattern = ~lo3 & (((n4 == 0) & (n5 <= 1)) | (compensated & two))
        return ce_ok & kern_ok & pattern & comp_ok & self.vg_ok, comb

    def decide(self):
        """Set b.geslaagd, b.dropped (vakken left out / struck) and b.comb.

        Leaving out (UB WVO 2020 art. 3.33 lid 3): any set of up to MAX_WEGLATEN vakken with an own
        eindcijfer (not a combinatiecijfer part or profielvak) whose remainder still fills every
        required slot of the profiel under some assignment; the smallest set that lets the candidate
        pass (then slot order). Wegstrepen (2020-2021, 2021-2022): one vak struck on its own (the rest
        need not be complete), alone or with such a set.
        """
        b, slots = self.b, self.b.prof.slots
        n, S = b.present.shape
        patterns = [()]
        movable = [k for k in self._movable if slots[k].kind != "vg" and not slots[k].comp and not slots[k].pv]
        for r in range(1, MAX_WEGLATEN + 1):
            patterns += list(itertools.combinations(movable, r))
        strike = [None]
        if self.j.wegstrepen:
            strike += [k for k, s in enumerate(slots)
                       if s.telt and s.kind != "vg" and not s.kern and not (s.comp and not self.vmbo)]
        geslaagd = np.zeros(n, dtype=bool)
        dropped = np.zeros((n, S), dtype=bool)
        comb = None
        for s_k in strike:
            for leave in patterns:
                if s_k in leave:
                    continue
                todo = ~geslaagd
                if not todo.any():
                    break
                drop = np.zeros((n, S), dtype=bool)
                drop[:, list(leave)] = True
                drop &= b.present
                ok = self._complete(drop) if leave else np.ones(n, dtype=bool)
                if s_k is not None:
                    ok &= b.present[:, s_k]              # striking needs an examined vak
                    drop[:, s_k] |= b.present[:, s_k]
                passed, c = self.passes(drop)
                ok &= passed
                if comb is None:
                    comb = c
                new = ok & todo
                dropped[new] = drop[new]
                if c is not None:
                    comb = np.where(new, c, comb)
                geslaagd |= ok
        b.geslaagd, b.dropped, b.comb = geslaagd, dropped, comb

    def _complete(self, drop: np.ndarray) -> np.ndarray:
        """True where the vakken left after `drop` fill every required slot (Hall's condition per
        group of slots with overlapping pools; codes of one candidate are distinct)."""
        b = self.b
        left = b.present & ~drop
        ok = np.ones(len(b.idx), dtype=bool)
        for group in self._groups:
            need = [k for k in group if k in self._required]
            if len(group) == 1:
                ok &= left[:, need[0]] if need else True
                continue
            for r in range(1, len(need) + 1):
                for subset in itertools.combinations(need, r):
                    codes = np.array(sorted(set().union(*(self.b.prof.slots[k].pool for k in subset))))
                    supply = (left[:, group] & np.isin(b.code[:, group], codes)).sum(axis=1)
                    ok &= supply >= r
        return ok



def _pool_groups(slots) -> list:
    """Graded slots (counting in the uitslag) grouped by overlapping pools (connected components)."""
    groups = []
    for k, slot in enumerate(slots):
        if not slot.telt or slot.kind == "vg":
            continue
        pool = set(slot.pool)
        joined = [g for g in groups if pool & set().union(*(slots[j].pool for j in g))]
        groups = [g for g in groups if g not in joined] + [sorted([k] + [j for g in joined for j in g])]
    return groups


# --- identities --------------------------------------------------------------------------------

_W = np.array([9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    return (values[:, None] // 10 ** np.arange(width - 1, -1, -1)) % 10


def _elfproef(rng, n: int, prefix: int | None, rest: int) -> np.ndarray:
    """n distinct 9-digit numbers (int) passing the 11-proef with remainder `rest`."""
    out = np.empty(0, dtype=np.int64)
    m = int(n * 1.3) + 20
    while len(out) < n:
        if prefix is None:
            body = rng.choice(np.arange(10_000_000, 70_000_000), size=m, replace=False)
        else:
            body = prefix * 1_000_000 + rng.choice(1_000_000, size=m, replace=False)
        check = ((_digits(body, 8) * _W).sum(axis=1) - rest) % 11
        ok = check <= 9
        out = np.unique(np.concatenate([out, body[ok] * 10 + check[ok]]))
        m *= 2
    return rng.permutation(out)[:n]


def _schools(rng, n_schools: int):
    """BRIN (2 digits + 2 letters), RIO onderwijsaanbieder (999A999) and vestiging count."""
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    k = rng.choice(100 * 26 * 26, size=n_schools, replace=False)
    brin = np.char.add(np.char.zfill((k // 676).astype(str), 2),
                       np.char.add(letters[(k // 26) % 26], letters[k % 26]))
    a = rng.choice(900_000, size=n_schools, replace=False) + 100_000
    aanbieder = np.char.add(np.char.add(np.char.zfill((a // 1000).astype(str), 3), "A"),
                            np.char.zfill((a % 1000).astype(str), 3))
    n_vest = 1 + (rng.random(n_schools) < 0.4) + (rng.random(n_schools) < 0.1)
    return brin.astype(object), aanbieder.astype(object), n_vest


# --- public API --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fout:
    """One planted error: where it is and what a validator should report."""

    soort: str
    brin: str
    leerlingnummer: str
    vakcode: str
    kolom: str
    waarde: str
    verwacht: str


@dataclass
class Generated:
    """The generated file (strings, canonical column order) and the planted-errors manifest."""

    frame: pd.DataFrame
    fouten: list = field(default_factory=list)


_TENTHS = np.array([""] + [f"{v // 10},{v % 10}" for v in range(1, 101)], dtype=object)
_WHOLE = np.array([""] + [str(v) for v in range(1, 11)], dtype=object)
_VAK = np.array([f"{v:04d}" for v in range(10000)], dtype=object)
_VGO = np.array(["", "V", "G", "O"], dtype=object)
_JN = np.array(["", "J", "N"], dtype=object)
_DEEL = {"": 0, "G": 1, "P": 2, "V": 3}
_DEEL_LUT = np.array(["", "G", "P", "V"], dtype=object)


def _fmt(values: np.ndarray, lut: np.ndarray, scale: int = 1) -> np.ndarray:
    """Format integer grades (-1 = empty) through a lookup table."""
    return lut[np.where(values < 0, 0, values // scale if scale > 1 else values)]


def generate(kandidaten: int, schooljaar: str, seed: int = 2025, fouten: bool = False) -> Generated:
    """Generate `kandidaten` candidates for `schooljaar`; with `fouten`, plant the documented errors."""
    if kandidaten < 1:
        raise ValueError("kandidaten moet minstens 1 zijn")
    j = jaar(schooljaar)
    rng = np.random.default_rng(seed)
    n = kandidaten
    profielen = _profielen(j)
    shares = np.array([p.share for p in profielen])
    group = rng.choice(len(profielen), size=n, p=shares / shares.sum())

    # schools, in output order: school, then leerlingnummer
    n_schools = max(1, -(-n // 650))
    school = np.sort(rng.integers(0, n_schools, size=n))
    brin, aanbieder, n_vest = _schools(rng, n_schools)
    vest = (rng.random(n) * n_vest[school]).astype(np.int64)
    first = np.searchsorted(school, np.arange(n_schools))
    gaps = rng.integers(1, 25, size=n)
    csum = np.cumsum(gaps)
    llnr = 100_000 + rng.integers(0, 400_000, size=n_schools)[school] + csum - csum[first[school]] + gaps[first[school]]

    status = np.full(n, "", dtype=object)       # "" = decided by the oracle
    u = rng.random(n)
    hv_tl = np.array([profielen[g].leerweg in ("HAVO", "VWO", "VMBO-TL") for g in range(len(profielen))])[group]
    status[u < 0.005] = "T"
    status[(u >= 0.005) & (u < 0.015)] = "S"
    status[(u >= 0.015) & (u < 0.02) & hv_tl] = "D"
    status[(u >= 0.02) & (u < 0.03)] = "-"      # uitslag not yet determined

    uitslag = np.full(n, "", dtype=object)
    comb_s = np.full(n, "", dtype=object)
    ws_c = np.full(n, "", dtype=object)
    ws_b = np.full(n, "", dtype=object)
    titel = np.full(n, "", dtype=object)
    opl = np.full(n, "", dtype=object)
    herkanst = np.zeros(n, dtype=bool)
    parts = []
    for g, prof in enumerate(profielen):
        idx = np.flatnonzero(group == g)
        if not len(idx):
            continue
        b = _grades(rng, prof, j, idx)
        _Oracle(b, j).decide()
        parts.append(_long_rows(rng, b, status[idx]))
        st = status[idx]
        ga = np.where(b.geslaagd, "G", "A")
        uitslag[idx] = np.where(st == "", ga, np.where(st == "-", "", st))
        herkanst[idx] = b.herkanst
        pick = (rng.random(len(idx)) < 0.15) if len(prof.codes) > 1 else np.zeros(len(idx), dtype=bool)
        opl[idx] = np.where(pick, prof.codes[-1], prof.codes[0])
        if b.comb is not None:
            comb_s[idx] = np.where(st == "D", "", _WHOLE[np.clip(b.comb, 0, 10)])
        has_ws = (st != "D") & bool(prof.werkstuk)
        if prof.werkstuk:
            titel[idx] = np.where(has_ws, np.array(_TITELS, dtype=object)[rng.integers(0, len(_TITELS), len(idx))], "")
            ws_c[idx] = np.where(has_ws, _WHOLE[np.clip(b.ws_cijfer, 0, 10)], "")
            ws_b[idx] = np.where(has_ws, _VGO[b.ws_vg], "")

    # exam-level strings
    leerweg = np.array([p.leerweg for p in profielen], dtype=object)[group]
    age = np.where(leerweg == "VWO", 18, np.where(leerweg == "HAVO", 17, 16))
    age = age + (rng.random(n) < 0.22) + (rng.random(n) < 0.03) - (rng.random(n) < 0.02)
    born = (np.datetime64(f"{j.examenjaar}-10-01") - (age * 36525 // 100).astype("timedelta64[D]")
            - rng.integers(0, 365, size=n).astype("timedelta64[D]"))
    d1 = np.datetime64(f"{j.examenjaar}-06-03") if not j.ce else _weekday_on_or_after(j.examenjaar, 6, 10, 2)
    d_school = rng.integers(0, 2, size=n_schools)[school].astype("timedelta64[D]")
    datum = np.where(herkanst, d1 + np.timedelta64(22, "D"), d1) + d_school
    datum_s = np.where((uitslag == "") | (uitslag == "S"), "", np.datetime_as_string(datum, unit="D").astype(object))
    ids = _elfproef(rng, n, None, 0)
    on = _elfproef(rng, n, 10, 5)
    use_on = rng.random(n) < 0.02
    exam = {
        "brin": brin[school], "vestiging": np.array(["00", "01", "02"], dtype=object)[vest],
        "leerlingnummer": llnr.astype(str).astype(object),
        "bsn": np.where(use_on, "", ids.astype(str).astype(object)),
        "onderwijsnummer": np.where(use_on, on.astype(str).astype(object), ""),
        "opleidingscode": opl, "examenjaar": np.full(n, str(j.examenjaar), dtype=object),
        "uitslag": uitslag, "datum_uitslag": datum_s, "onderwijsaanbieder": aanbieder[school],
        "werkstuk_titel": titel, "werkstuk_cijfer": ws_c, "werkstuk_beoordeling": ws_b,
        "combinatiecijfer": comb_s,
        "geboortedatum": np.datetime_as_string(born, unit="D").astype(object),
    }
    rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((rows["pos"], rows["cand"]))
    cand = rows["cand"][order]
    data = {c: exam[c][cand] for c in EXAM_COLUMNS}
    for c in VAK_COLUMNS:
        data[c] = rows[c][order]
    planted = _plant(data, np.random.default_rng([seed, 1])) if fouten else []
    return Generated(pd.DataFrame(data, columns=list(COLUMNS)), planted)


def _weekday_on_or_after(year: int, month: int, day: int, weekday: int) -> np.datetime64:
    """First date on/after year-month-day with numpy weekday (0 = Monday)."""
    d = np.datetime64(f"{year}-{month:02d}-{day:02d}")
    return d + np.timedelta64((weekday - (d.astype("datetime64[D]").view("int64") - 4) % 7) % 7, "D")


def _long_rows(rng, b: _Block, status: np.ndarray) -> dict:
    """Flatten one block to vak rows: candidate index, slot position and formatted vak columns."""
    slots = b.prof.slots
    n, S = b.present.shape
    kind = b.kind
    ce, eind = b.ce.copy(), b.eind.copy()
    # T: withdrawn before the CE; S: spread, part of the CE still to come; D: a few CE vakken only
    open_ce = (ce[0] >= 0) & ((status == "T")[:, None] | ((status == "S")[:, None] & (rng.random((n, S)) < 0.5)))
    ce[:, open_ce] = -1
    eind[open_ce] = -1
    is_d = (status == "D")[:, None]
    keep_d = (kind == CE) & (rng.random((n, S)) < 0.45)
    keep_d[:, 0] = True
    present = b.present & (~is_d | keep_d)
    dropped = b.dropped & present
    comp = np.array([s.comp for s in slots]) & (kind != VG) & ~dropped
    compv = np.where(~is_d & bool(b.prof.comb), np.where(comp, 1, 2), 0)
    cert_ok = (status == "D") | ((status == "") & ~b.geslaagd)
    cert = np.where(cert_ok[:, None] & (eind >= 0), np.where(eind >= 6, 1, 2), 0)
    deel = np.array([_DEEL[s.deel] for s in slots])
    rr, cc = np.nonzero(present)
    se_vals = b.se10[rr, cc]
    return {
        "cand": b.idx[rr], "pos": cc,
        "vakcode": _VAK[b.code[rr, cc]],
        "se_cijfer": np.where(kind[rr, cc] == SE, _fmt(se_vals, _WHOLE, 10), _fmt(se_vals, _TENTHS)),
        "se_beoordeling": _VGO[b.vg[rr, cc]],
        "ce1": _fmt(ce[0][rr, cc], _TENTHS), "ce2": _fmt(ce[1][rr, cc], _TENTHS),
        "ce3": _fmt(ce[2][rr, cc], _TENTHS),
        "eindcijfer": _fmt(eind[rr, cc], _WHOLE),
        "diplomavak": _JN[np.where(dropped[rr, cc], 2, 1)],
        "combinatiecijfer_vak": _JN[compv[rr, cc]],
        "examendeel": _DEEL_LUT[deel[cc]],
        "certificaat": _JN[cert[rr, cc]],
    }


# --- planted errors ----------------------------------------------------------------------------

def _plant(f: dict, rng) -> list:
    """Plant one documented error in each of a few distinct candidates (in place); return the manifest."""
    brin, lln = f["brin"], f["leerlingnummer"]
    new = np.r_[True, (brin[1:] != brin[:-1]) | (lln[1:] != lln[:-1])]
    cid = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    bounds = np.r_[first, len(cid)]
    nc = len(first)
    uit = f["uitslag"][first]
    base = np.isin(uit, ["G", "A"]) & (f["bsn"][first] != "")
    used = np.zeros(nc, dtype=bool)
    fouten, dups = [], []

    def per_cand(row_mask):
        return np.bincount(cid, weights=row_mask, minlength=nc) > 0

    def pick(cand_mask, row_mask=None):
        """A random unused candidate (and its first row matching row_mask)."""
        if row_mask is not None:
            cand_mask = cand_mask & per_cand(row_mask)
        options = np.flatnonzero(cand_mask & ~used)
        if not len(options):
            return None, None
        c = options[rng.integers(len(options))]
        used[c] = True
        rows = np.arange(bounds[c], bounds[c + 1])
        return c, (rows[row_mask[rows]][0] if row_mask is not None else None)

    def note(soort, c, r, kolom, waarde, verwacht):
        fouten.append(Fout(soort, brin[first[c]], lln[first[c]], f["vakcode"][r] if r is not None else "",
                           kolom, waarde, verwacht))

    def cand_rows(c):
        return slice(bounds[c], bounds[c + 1])

    se, ce1, eind = f["se_cijfer"], f["ce1"], f["eindcijfer"]
    has_dec = np.char.find(se.astype(str), ",") >= 0
    g, a = base & (uit == "G"), base & (uit == "A")

    c, r = pick(g, has_dec & np.isin(eind, ["6", "7", "8", "9"]))
    if c is not None:
        old = eind[r]
        eind[r] = str(int(old) + 1)
        note("eindcijfer_afwijkend", c, r, "eindcijfer", eind[r],
             f"eindcijfer {eind[r]} wijkt af van het berekende eindcijfer {old} "
             f"(se_cijfer {se[r]}, ce1 {ce1[r] or '-'}, ce2 {f['ce2'][r] or '-'}, ce3 {f['ce3'][r] or '-'})")
    c, _ = pick(g)
    if c is not None:
        old = f["bsn"][first[c]]
        f["bsn"][cand_rows(c)] = old[:8] + str((int(old[8]) + 1) % 10)
        note("bsn_elfproef", c, None, "bsn", f["bsn"][first[c]], "BSN voldoet niet aan de 11-proef")
    c, _ = pick(g)
    if c is not None:
        f["bsn"][cand_rows(c)] = ""
        note("geen_bsn_of_onderwijsnummer", c, None, "bsn", "",
             "bsn en onderwijsnummer zijn allebei leeg; precies een van beide is verplicht")
    c, r = pick(g, f["examendeel"] == "V")
    if c is None:
        c, r = pick(g, ~np.isin(f["vakcode"], ["0011", "0071", "1001", "1002"]))
    if c is not None:
        old = f["vakcode"][r]
        f["vakcode"][r] = "8888"
        fouten.append(Fout("onbekende_vakcode", brin[r], lln[r], "8888", "vakcode", "8888",
                           f"vakcode 8888 bestaat niet in de codetabel (was {old})"))
    c, r = pick(g, np.isin(f["vakcode"], ["0071", "1002"]))
    if c is not None:
        dups.append(r)
        note("vak_dubbel", c, r, "vakcode", f["vakcode"][r], f"vak {f['vakcode'][r]} staat twee keer bij deze kandidaat")
    c, _ = pick(a)
    if c is not None:
        f["uitslag"][cand_rows(c)] = "G"
        f["certificaat"][cand_rows(c)] = ""
        note("uitslag_g_bij_afgewezen", c, None, "uitslag", "G",
             "uitslag G, maar volgens de slaag-zakregeling is de kandidaat afgewezen (A)")
    c, _ = pick(g)
    if c is not None:
        f["uitslag"][cand_rows(c)] = "A"
        note("uitslag_a_bij_geslaagd", c, None, "uitslag", "A",
             "uitslag A, maar volgens de slaag-zakregeling is de kandidaat geslaagd (G)")
    two_dec_col = "ce1" if (ce1 != "").any() else "se_cijfer"
    c, r = pick(g, (ce1 != "") if two_dec_col == "ce1" else has_dec)
    if c is not None:
        f[two_dec_col][r] = f[two_dec_col][r] + "5"
        note("cijfer_twee_decimalen", c, r, two_dec_col, f[two_dec_col][r],
             f"{two_dec_col} {f[two_dec_col][r]} heeft twee decimalen; toegestaan is een")
    c, r = pick(g, has_dec)
    if c is not None:
        old = se[r]
        se[r] = "11,0"
        note("cijfer_buiten_bereik", c, r, "se_cijfer", "11,0",
             f"se_cijfer 11,0 ligt buiten 1,0-10,0 (was {old})")
    c, _ = pick(g)
    if c is not None:
        f["datum_uitslag"][cand_rows(c)] = ""
        note("datum_uitslag_leeg", c, None, "datum_uitslag", "", "uitslag G zonder datum_uitslag")
    comb = f["combinatiecijfer"][first]
    c, _ = pick(g & (comb != ""))
    if c is not None:
        old = int(comb[c])
        f["combinatiecijfer"][cand_rows(c)] = str(old + 1 if old < 10 else old - 1)
        note("combinatiecijfer_afwijkend", c, None, "combinatiecijfer", f["combinatiecijfer"][first[c]],
             f"combinatiecijfer {f['combinatiecijfer'][first[c]]} is niet het gemiddelde van de onderdelen ({old})")
    c, r = pick(g, eind != "")
    if c is not None:
        f["certificaat"][r] = "J"
        note("certificaat_bij_geslaagd", c, r, "certificaat", "J",
             "certificaat J terwijl de uitslag G is (alleen bij A of D)")
    c, _ = pick(g & (np.diff(bounds) > 1))
    if c is not None:
        r = bounds[c + 1] - 1
        old = f["geboortedatum"][r]
        f["geboortedatum"][r] = str(int(old[:4]) - 1) + old[4:]
        note("examenniveau_ongelijk", c, r, "geboortedatum", f["geboortedatum"][r],
             f"geboortedatum verschilt tussen de rijen van een kandidaat ({old} en {f['geboortedatum'][r]})")
    for r in sorted(dups, reverse=True):
        for c in COLUMNS:
            f[c] = np.insert(f[c], r + 1, f[c][r])
    return fouten


def write_csv(frame: pd.DataFrame, path) -> None:
    """Write `frame` as ;-separated UTF-8 CSV atomically (engine.outputs.files.replacing)."""
    with replacing(path) as out:
        frame.to_csv(out, sep=";", index=False, lineterminator="\n", encoding="utf-8")
