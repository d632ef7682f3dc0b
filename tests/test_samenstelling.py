"""The samenstelling step: lint of the composition data, exact matching, leaving out, explain."""

import datetime

import numpy as np

from examenbron.engine import pipeline
from examenbron.engine.evaluation import samenstelling
from examenbron.engine.inputs import codetables
from examenbron.engine.inputs.normalise import load_results
from examenbron.engine.outputs.explain import explain
from examenbron.engine.rulesets import load as rules
from examenbron.engine.rulesets.ruletests import run_case
from examenbron.engine.samples.generate import generate, write_csv
from rulefiles import lint_errors

HAVO_EM = [
    {"vakcode": "1001", "se_cijfer": 6.3, "ce1": 6.1}, {"vakcode": "1002", "se_cijfer": 6.3, "ce1": 6.1},
    {"vakcode": "1019", "se_cijfer": 7}, {"vakcode": "1020", "se_cijfer": 7},
    {"vakcode": "0353", "se_beoordeling": "V"}, {"vakcode": "1024", "se_cijfer": 6.3, "ce1": 6.1},
    {"vakcode": "1022", "se_cijfer": 5.3, "ce1": 5.1}, {"vakcode": "1021", "se_cijfer": 6.3, "ce1": 6.1},
    {"vakcode": "0131", "se_cijfer": 6.3, "ce1": 6.1}, {"vakcode": "1004", "se_cijfer": 6.3, "ce1": 6.1},
]


def outcome_of(year, opleidingscode, vakken, **kandidaat):
    case = {"naam": "t", "opleidingscode": opleidingscode,
            "kandidaat": {"uitslag": "A", "werkstuk_cijfer": 7, **kandidaat}, "vakken": vakken, "verwacht": {}}
    return run_case(case, *year, 1).outcome


def test_unknown_vakcode_names_file_line_and_the_closest_code(rule_root):
    errors = lint_errors(rule_root, "samenstelling/havo-vwo.yaml", 'vakken: ["1023"]}', 'vakken: ["1O23"]}')
    assert len(errors) == 1
    assert "samenstelling/havo-vwo.yaml:" in errors[0]
    assert "onbekende vakcode '1O23'" in errors[0] and "bedoelde u '1023' (Natuurkunde)?" in errors[0]


def test_vakcode_of_the_other_schoolsoort_and_unknown_profiel_are_errors(rule_root):
    errors = lint_errors(rule_root, "samenstelling/vmbo.yaml", 'vakken: ["0071"]', 'vakken: ["1002"]')
    assert any("vakcode '1002' bestaat niet in VMBO-TL" in e and "wel in" in e for e in errors)
    errors = lint_errors(rule_root, "samenstelling/havo-vwo.yaml", "profielen: [NG], examendeel: P, vakken: [\"1018\"]",
                         "profielen: [N&G], examendeel: P, vakken: [\"1018\"]")
    assert any("profiel 'N&G'" in e and "bedoelde u 'NG'?" in e for e in errors)


def test_onderdeel_without_vakken_or_waar_is_an_error(rule_root):
    errors = lint_errors(rule_root, "samenstelling/havo-vwo.yaml", ', vakken: ["1028"]}', "}")
    assert any("geef 'vakken'" in e for e in errors)


def test_samenstelling_without_meedoen_is_an_error(rule_root):
    errors = lint_errors(rule_root, "samenstelling/toewijzing.yaml", "  meedoen: in_uitslag\n", "")
    assert any("mist 'meedoen'" in e for e in errors)


def test_two_extra_vakken_are_left_out_together_and_explain_names_both_and_the_article(year):
    vakken = HAVO_EM + [{"vakcode": "1003", "se_cijfer": 4.3, "ce1": 4.1},
                        {"vakcode": "1005", "se_cijfer": 4.3, "ce1": 4.1}]
    outcome = outcome_of(year, "0372", vakken)
    k = outcome.kandidaten.iloc[0]
    assert k["uitslag_berekend"] == "geslaagd"
    assert k["weglaten_vak"] == "1003 Franse taal en literatuur, 1005 Spaanse taal en literatuur"
    text = explain(outcome, 0)
    assert "geslaagd door vakken 1003 Franse taal en literatuur, 1005 Spaanse taal en literatuur" in text
    assert "art. 3.33 lid 3" in text
    assert "profieldeel: profielkeuzevak" in text and "vrije deel: vak in het vrije deel" in text


def test_combined_profile_needs_both_profieldelen(year):
    nt = [{"vakcode": c, "se_cijfer": 7.3, "ce1": 7.1} for c in ("1025", "1023", "1028", "1035")]
    base = HAVO_EM[:5] + nt + [{"vakcode": "1004", "se_cijfer": 7.3, "ce1": 7.1}]
    ctx = outcome_of(year, "0374", base).context        # NT+NG without biologie
    assert not ctx.kandidaat.values["samenstelling_volledig"].val[0]
    assert "biologie" in ctx.kandidaat.values["samenstelling_ontbreekt"].val[0]
    ctx = outcome_of(year, "0374", base + [{"vakcode": "1018", "se_cijfer": 7.3, "ce1": 7.1}]).context
    assert ctx.kandidaat.values["samenstelling_volledig"].val[0]
    delen = ctx.vak.values["examendeel_afgeleid"].val
    assert list(delen[5:]) == ["P", "P", "P", "P", "V", "P"]   # biologie fills the N&G profieldeel


def test_school_examendeel_decides_which_wiskunde_is_the_kernvak(year):
    vakken = [dict(v) for v in HAVO_EM] + [{"vakcode": "1025", "se_cijfer": 8.3, "ce1": 8.1}]
    vakken[5] = {"vakcode": "1024", "se_cijfer": 4.3, "ce1": 4.1, "examendeel": "P"}
    vakken[-1]["examendeel"] = "V"
    outcome = outcome_of(year, "0372", vakken)
    k = outcome.kandidaten.iloc[0]
    # wiskunde A (4) is the profile's wiskunde as reported; it may go as extra vak when wiskunde B
    # takes its place, and then the candidate passes
    assert k["uitslag_berekend"] == "geslaagd" and k["weglaten_vak"].startswith("1024")


def test_canonical_patterns_give_the_same_result_as_the_plain_matching(tmp_path, monkeypatch):
    path = tmp_path / "v.csv"
    write_csv(generate(1500, "2024-2025", seed=7).frame, path)
    results = load_results(str(path))
    ruleset, tables = rules.load("2024-2025"), codetables.load("2024-2025")
    peil = datetime.date(2025, 7, 1)
    fast = pipeline.run(results, ruleset, tables, peildatum=peil)
    monkeypatch.setattr(samenstelling, "_canonical", lambda masks, reported, *rest: (
        masks, reported, np.tile(np.arange(masks.shape[1]), (masks.shape[0], 1))))
    plain = pipeline.run(results, ruleset, tables, peildatum=peil)
    for name in ("samenstelling_onderdeel", "is_extra", "kan_vervallen", "kernvakplaats"):
        a, b = fast.context.vak.values[name], plain.context.vak.values[name]
        assert np.array_equal(a.null, b.null) and np.array_equal(a.val[~a.null], b.val[~b.null]), name
    for column in ("uitslag_berekend", "weglaten_vak", "cum_laude"):
        assert fast.kandidaten[column].equals(plain.kandidaten[column]), column


def test_two_different_patterns_with_the_same_hash_are_not_merged():
    """Candidates are grouped by a hash of their pattern; a collision must not give one candidate
    another candidate's matching."""
    w = samenstelling._hash_weights(2)
    rows = np.array([[0, 0], [w[1], -w[0]], [0, 0], [1, 2]], dtype=np.int64)   # rows 0 and 1 collide
    assert (rows[0] * w).sum() == (rows[1] * w).sum()
    inverse, patterns = samenstelling._distinct_rows(rows)
    assert list(inverse) == [0, 1, 0, 2]
    assert np.array_equal(patterns, rows[[0, 1, 3]])


def test_onderdeel_needs_an_examendeel_unless_it_is_apart(rule_root):
    errors = lint_errors(rule_root, "samenstelling/havo-vwo.yaml", "profielen: [NT], examendeel: P, vakken: [\"1023\"]",
                         "profielen: [NT], vakken: [\"1023\"]")
    assert any("geef 'examendeel' op" in e and "samenstelling/havo-vwo.yaml:" in e for e in errors)
    errors = lint_errors(rule_root, "samenstelling/vmbo.yaml", "    apart: true\n", "")
    assert any("'vakken die geen moderne taal zijn in profieldeel en vrije deel'" in e and "geef 'examendeel' op" in e for e in errors)


def test_tl_requirement_on_languages_decides_which_vak_is_extra(year):
    """Economie, Frans, Duits, Spaans and wiskunde: wiskunde (the lowest) fills the vrije deel, because
    profieldeel and vrije deel need two vakken that are no modern language; a language is the extra vak."""
    grades = {"0011": 6.3, "0071": 6.3, "0322": 7, "0233": 6.3, "0053": 7.3, "0063": 7.3, "0081": 7.3, "0153": 5.8}
    vakken = [{"vakcode": c, "se_cijfer": g} if c == "0322" else {"vakcode": c, "se_cijfer": g, "ce1": 6.1}
              for c, g in grades.items()]
    vakken += [{"vakcode": "0353", "se_beoordeling": "V"}, {"vakcode": "0416", "se_beoordeling": "V"}]
    ctx = outcome_of(year, "0472", vakken, werkstuk_beoordeling="V").context
    assert ctx.kandidaat.values["samenstelling_volledig"].val[0]
    codes = list(grades) + ["0353", "0416"]
    extra = dict(zip(codes, ctx.vak.values["is_extra"].val))
    delen = dict(zip(codes, ctx.vak.values["examendeel_afgeleid"].val))
    assert not extra["0153"] and delen["0153"] in ("P", "V")
    assert sum(extra[c] for c in ("0053", "0063", "0081")) == 1
    without = [v for v in vakken if v["vakcode"] != "0153"]
    ctx = outcome_of(year, "0472", without, werkstuk_beoordeling="V").context
    assert not ctx.kandidaat.values["samenstelling_volledig"].val[0]
    assert "vakken die geen moderne taal zijn in profieldeel en vrije deel (1 van 2)" in ctx.kandidaat.values["samenstelling_ontbreekt"].val[0]
