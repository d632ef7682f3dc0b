"""The vectorised BSN / onderwijsnummer / BRIN checks agree with python-stdnum on every input."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.nl import brin, bsn, onderwijsnummer

from examenbron.engine.inputs import identifiers

numbers = st.one_of(
    st.integers(min_value=0, max_value=999_999_999).map(lambda n: str(n).zfill(9)),
    st.integers(min_value=0, max_value=99_999_999).map(str),
    st.text(alphabet="0123456789 .-AB", max_size=12),
)


@settings(max_examples=400)
@given(st.lists(numbers, min_size=1, max_size=40))
def test_bsn_and_onderwijsnummer_match_stdnum(values):
    column = np.array(values, dtype=object)
    assert identifiers.valid_bsn(column).tolist() == [bsn.is_valid(v) for v in values]
    assert identifiers.valid_onderwijsnummer(column).tolist() == [onderwijsnummer.is_valid(v) for v in values]


def test_known_numbers():
    column = np.array(["111222333", "123456789", "101222331", "101222332", "", "000000000"], dtype=object)
    assert identifiers.valid_bsn(column).tolist() == [True, False, False, False, False, False]
    assert identifiers.valid_onderwijsnummer(column).tolist() == [False, False, True, False, False, False]


def test_brin_matches_stdnum():
    values = ["12AB", "1234", "12AB01", "AB12", "12ab"]
    assert identifiers.valid_brin(np.array(values, dtype=object)).tolist() == [brin.is_valid(v) for v in values]
