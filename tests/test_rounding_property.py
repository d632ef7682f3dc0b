"""Property test: the rule set's eindcijfer, combinatiecijfer and CE-gemiddelde agree with a Decimal
reading of the law (UB WVO 2020 art. 3.37 and 3.34/3.35; examenblad [S11], [S15]) over random grades.

The reference below uses Python's Decimal with ROUND_HALF_UP, independent of the engine's integer
tenths, so a rounding slip in either shows up as a counterexample.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import examenbron

HAVO_CE = ("1001", "1002", "1024", "1022", "1021", "0131", "1004")   # vakken with a CE
GL_KEUZE = ("1201", "1202", "1203")


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tenths(value: int) -> str:
    return f"{value // 10},{value % 10}"


tenth = st.integers(min_value=10, max_value=100)          # 1,0 .. 10,0
whole = st.integers(min_value=1, max_value=10)
havo = st.fixed_dictionaries({
    "se": st.lists(tenth, min_size=len(HAVO_CE), max_size=len(HAVO_CE)),
    "ce": st.lists(tenth, min_size=len(HAVO_CE), max_size=len(HAVO_CE)),
    "combi": st.lists(whole, min_size=2, max_size=2),      # maatschappijleer, ckv
    "werkstuk": whole,
})
gl = st.fixed_dictionaries({
    "profielvak": st.tuples(tenth, tenth),
    "keuze": st.lists(whole, min_size=2, max_size=3),
})


def rows(i: int, kind: str, exam: dict) -> list[dict]:
    base = {"brin": "12AB", "vestiging": "00", "leerlingnummer": f"{1000 + i}", "bsn": "111222333",
            "onderwijsnummer": "", "examenjaar": "2025", "uitslag": "", "datum_uitslag": "",
            "onderwijsaanbieder": "123A456", "se_beoordeling": "", "ce2": "", "ce3": "", "eindcijfer": ""}
    if kind == "havo":
        base.update(opleidingscode="0372", werkstuk_cijfer=str(exam["werkstuk"]))
        out = [dict(base, vakcode=code, se_cijfer=tenths(se), ce1=tenths(ce))
               for code, se, ce in zip(HAVO_CE, exam["se"], exam["ce"])]
        out += [dict(base, vakcode=code, se_cijfer=str(g)) for code, g in zip(("1019", "1020"), exam["combi"])]
        return out
    base.update(opleidingscode="6031", werkstuk_beoordeling="V")
    se, ce = exam["profielvak"]
    out = [dict(base, vakcode="1200", se_cijfer=tenths(se), ce1=tenths(ce))]
    return out + [dict(base, vakcode=code, se_cijfer=str(g)) for code, g in zip(GL_KEUZE, exam["keuze"])]


def fraction(value, i: int) -> Fraction | None:
    if np.asarray(value.null)[i]:
        return None
    return Fraction(int(np.asarray(value.val)[i]), int(np.broadcast_to(value.den, np.shape(value.null))[i]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(havo, min_size=1, max_size=12), st.lists(gl, min_size=1, max_size=12))
def test_eindcijfer_combinatiecijfer_and_ce_gemiddelde_match_a_decimal_reading(havos, gls):
    exams = [("havo", e) for e in havos] + [("gl", e) for e in gls]
    frame = pd.DataFrame([r for i, (kind, e) in enumerate(exams) for r in rows(i, kind, e)]).fillna("")
    outcome = examenbron.validate(frame, schooljaar="2024-2025", peildatum=datetime.date(2025, 6, 20))
    ctx = outcome.context
    eind = ctx.vak.values["eindcijfer_berekend"]
    order = outcome.context.vakken_frame["bron_rij"].to_numpy() - 2      # frame row of each vak row
    computed_eind = {int(order[r]): fraction(eind, r) for r in range(ctx.vak.n)}
    row = 0
    with localcontext() as dec:
        dec.prec = 60
        for i, (kind, e) in enumerate(exams):
            combi = fraction(ctx.kandidaat.values["combinatiecijfer_berekend"], i)
            ce_mean = fraction(ctx.kandidaat.values["ce_gemiddelde"], i)
            if kind == "havo":
                expected = [half_up((Decimal(se) / 10 + Decimal(ce) / 10) / 2) for se, ce in zip(e["se"], e["ce"])]
                for k, want in enumerate(expected):
                    assert computed_eind[row + k] == want, (e, k)
                parts = [*e["combi"], e["werkstuk"]]
                assert combi == half_up(Decimal(sum(parts)) / len(parts)), e
                ce_values = [Decimal(c) / 10 for c in e["ce"]]
                row += len(HAVO_CE) + 2
            else:
                se, ce = e["profielvak"]
                pv = half_up((Decimal(se) / 10 + Decimal(ce) / 10) / 2)
                assert computed_eind[row] == pv, e
                k = len(e["keuze"])
                assert combi == half_up((Decimal(pv) * k + sum(e["keuze"])) / (2 * k)), e
                ce_values = [Decimal(ce) / 10]
                row += 1 + k
            mean = sum(ce_values) / len(ce_values)            # unrounded, as the law reads it
            assert Decimal(ce_mean.numerator) / Decimal(ce_mean.denominator) == mean
            assert (ce_mean >= Fraction(11, 2)) == (mean >= Decimal("5.5"))
