"""Joining code tables and bevinding duplicate vakken, checked against straightforward references."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from examenbron.engine.evaluation.prepare import _duplicated


@settings(max_examples=200)
@given(st.lists(st.lists(st.integers(min_value=-1, max_value=6), min_size=1, max_size=70), min_size=1, max_size=30))
def test_duplicate_vakken_per_exam_match_a_hash_of_exam_and_vakcode(exams):
    counts = np.array([len(e) for e in exams])
    k = np.repeat(np.arange(len(exams)), counts)
    codes = np.array([c for e in exams for c in e], dtype=np.int64)
    expected = pd.Series(list(zip(k, codes))).duplicated(keep=False).to_numpy() & (codes >= 0)
    assert _duplicated(k, codes, counts).tolist() == expected.tolist()
