"""Load one school year's rule folder strictly: schema, names, expressions, duplicates.

Every problem is collected and reported with file:line:column and what was expected, before any
results file is read. The schema of each file section is declared in engine.rulesets.schema.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import resources
from pathlib import Path

from examenbron.engine import cache
from examenbron.engine.language import expr
from examenbron.engine.rulesets import overlay
from examenbron.engine.rulesets import roles as rule_roles
from examenbron.engine.rulesets import schema as rule_schema
from examenbron.engine.rulesets import yamlsource
from examenbron.engine.errors import CodeTableError, RuleError, RuleErrors, closest, did_you_mean, suggestion
from examenbron.engine.inputs import codetables
from examenbron.engine.language.symbols import SAMENSTELLING_COLUMNS, SKIPPABLE_COLUMNS, base_symbols
from examenbron.engine.outputs.texts import template_fields
from examenbron.engine.vocabulary import LEERWEGEN


# Afleidingen reading afleidingen: the longest real chain is about ten; the ordering walk recurses.
MAX_DERIVATION_CHAIN = 50

@dataclass
class Afleiding:
    """A named computed value (afleiding), possibly with one formula per group of leerwegen."""

    naam: str
    niveau: str
    omschrijving: str
    variants: list            # [(leerwegen tuple or None, checked Node, source text)]
    kind: str = ""
    den: int | None = 1
    grondslag: str = ""
    bron: str = ""            # internal source tag (not shown as the grondslag)
    referentie: tuple = ()    # public URLs of the grondslag


@dataclass
class Rule:
    """A controle or a slaag-zak voorwaarde; voorwaarden carry no code or ernst."""

    id: str
    soort: str                # 'controle' or 'voorwaarde'
    omschrijving: str
    niveau: str
    voorwaarde: expr.Node
    voorwaarde_tekst: str
    melding: str
    grondslag: str
    file: str
    line: int
    leerwegen: tuple | None = None
    opleidingen: tuple | None = None
    wanneer: expr.Node | None = None
    wanneer_tekst: str = ""
    code: str = ""
    ernst: str = ""
    fase: str = "invoer"
    geldig_van: object = None
    geldig_tot: object = None
    waarden: tuple = ()
    toelichting: str = ""
    bron: str = ""            # internal source tag (not shown as the grondslag)
    referentie: tuple = ()    # public URLs of the grondslag


@dataclass
class Weglaatregel:
    """Which vak may be left out of the uitslag (extra vak, or the 2021/2022 wegstreepregeling)."""

    id: str
    omschrijving: str
    vak_mag_vervallen: expr.Node
    tekst: str
    grondslag: str
    leerwegen: tuple | None = None
    meerdere: bool = False            # one or more vakken together (the remainder must stay complete)
    bron: str = ""
    referentie: tuple = ()


@dataclass
class Onderdeel:
    """One place in a complete exam that vakken must fill (samenstelling), e.g. "profielkeuzevak"."""

    id: str
    naam: str
    leerwegen: tuple
    examendeel: str                   # G, P or V; "" for an apart onderdeel
    vakken: frozenset | None          # admissible vakcodes (None: any vak that meets `waar`)
    behalve: frozenset
    waar: expr.Node | None
    aantal: int = 1
    meer_tellen_mee: bool = False     # further admissible vakken also belong here (not extra)
    kernvak: bool = False
    apart: bool = False               # a requirement on vakken that also fill other onderdelen
    profielen: tuple | None = None
    opleidingen: frozenset | None = None
    geverifieerd: bool = True
    file: str = ""
    line: int = 0


@dataclass
class Samenstelling:
    """The named afleiding step that matches each candidate's vakken to the onderdelen of the exam.

    It reads `meedoen` (which vak rows take part) and `voorkeur` (which vak goes first when several
    can fill an onderdeel) and writes the columns in SAMENSTELLING_COLUMNS (symbols.py).
    """

    meedoen: expr.Node
    voorkeur: expr.Node
    onderdelen: list
    gemeld_examendeel: expr.Node | None = None   # the school's examendeel, tried first per vak
    naam: str = "samenstelling"
    niveau: str = "vak"
    omschrijving: str = "Toewijzing van de vakken aan de onderdelen van een volledig examen"
    grondslag: str = "EB VO art. 11-13 en 22-25 (tekst 2015); UB WVO 2020 art. 3.33 lid 3"

    @property
    def variants(self) -> list:
        """The expressions it reads, in the (leerwegen, node, text) shape of a afleiding."""
        nodes = [self.meedoen, self.voorkeur] + [o.waar for o in self.onderdelen if o.waar is not None]
        nodes += [self.gemeld_examendeel] if self.gemeld_examendeel is not None else []
        return [(None, node, "") for node in nodes]

    @property
    def outputs(self) -> set:
        return set(SAMENSTELLING_COLUMNS)


@dataclass
class RuleSet:
    """Everything that applies in one school year."""

    schooljaar: str
    folder: str
    metadata: dict
    versie: str                                  # content hash of all rule files
    parameters: dict = field(default_factory=dict)
    afleidingen: list = field(default_factory=list)
    controles: list = field(default_factory=list)
    voorwaarden: list = field(default_factory=list)
    weglaten: list = field(default_factory=list)
    samenstelling: Samenstelling | None = None
    testgevallen: list = field(default_factory=list)
    symbols: dict = field(default_factory=dict)
    basis: str | None = None                     # the year this one inherits from
    examenjaar: int = 0
    sections: dict = field(default_factory=dict)  # every resolved section, as read (any future one too)
    origins: dict = field(default_factory=dict)   # (section, id or naam) -> overlay.Entry it came from
    rollen: dict = field(default_factory=dict)   # role (engine.rulesets.roles) -> afleiding name

    @property
    def naam(self) -> str:
        return f"examenbron-regels {self.schooljaar}"

    def missing_optional(self, names, columns_present) -> list[str]:
        """Optional input columns a rule names directly that the file did not have.

        Afleidingen read optional columns through their null semantics (an absent werkstuk_cijfer
        makes the combinatiecijfer empty, and the uitslag onvolledig); a rule that names an absent
        column itself cannot run and is reported as skipped.
        """
        return sorted(n for n in set(names) & SKIPPABLE_COLUMNS if n not in columns_present)


def rules_root() -> Path:
    """The folder holding one sub-folder per school year (works from a checkout or installed)."""
    return Path(str(resources.files("examenbron.rules")))


def available_years(root: Path | None = None) -> list[str]:
    root = root or rules_root()
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "regelset.yaml").exists())


def load(schooljaar: str, root: Path | None = None, *, tests: bool = False, as_year: str | None = None) -> RuleSet:
    """Load and check the rule folder of `schooljaar` with its basis chain; raise RuleErrors
    listing every problem (schema and expression errors together).

    The test cases under tests/ are read (and checked) only with `tests=True`; they are not part of
    the rule set's version, which hashes the rule files alone. With `as_year` the folder's rules are
    resolved for another school year (its placeholders and dates), as `rules impact` needs.
    Without either, a rule set loaded before from the same bytes comes from the disk cache
    (engine.cache): every rule file under `root` and the year's code tables, which it is linted against.
    """
    root = Path(root) if root else rules_root()
    overlay.check_year_name(schooljaar)
    if as_year:
        overlay.check_year_name(as_year)
    folder = root / schooljaar
    if not (folder / "regelset.yaml").exists():
        years = ", ".join(available_years(root)) or "geen"
        raise RuleErrors([RuleError(f"geen regels voor schooljaar {schooljaar!r} in {root}; beschikbaar: {years}",
                                    file=str(folder))])
    build = _Builder(schooljaar, folder, root, tests, as_year).build
    if tests or as_year:
        return build()
    sources = sorted(root.rglob("*.yaml")) + codetables.source_files(schooljaar)
    return cache.cached("regels", schooljaar, sources, build)


class _Builder:
    def __init__(self, schooljaar, folder: Path, root: Path, tests: bool, as_year: str | None = None):
        self.folder_year, self.schooljaar = schooljaar, as_year or schooljaar
        self.folder, self.root, self.tests = folder, root, tests
        self.errors: list[RuleError] = []
        self.failed: set[str] = set()
        self.sections: dict[str, list] = {}

    def build(self) -> RuleSet:
        resolved = overlay.resolve(self.folder_year, self.root, tests=self.tests, display_root=self.root.parent,
                                   as_year=self.schooljaar)
        self.resolved = resolved
        self.errors.extend(resolved.errors)
        self.failed |= resolved.failed
        self.sections = {section: [(e.value, e.where.file) for e in entries]
                         for section, entries in resolved.lists.items()}
        metadata = self.metadata()
        rs = RuleSet(self.schooljaar, str(self.folder), metadata, resolved.digest)
        rs.basis = resolved.chain[1] if len(resolved.chain) > 1 else None
        rs.examenjaar = int(self.schooljaar[-4:])
        rs.sections = {section: [e.value for e in entries] for section, entries in resolved.lists.items()}
        rs.sections.update({section: {k: e.value for k, e in entries.items()}
                            for section, entries in resolved.mappings.items()})
        rs.origins = {(e.section, e.key): e for e in reversed(list(resolved.all_entries())) if e.key is not None}
        self.parameters(rs)
        rs.symbols = base_symbols()
        for name, value in rs.parameters.items():
            rs.symbols[name] = expr.Symbol(name, _value_kind(value), None, 1, value)
        self.afleidingen(rs)
        self.roles(rs)
        self.rules(rs)
        self.raise_errors()
        rs.testgevallen = [self.with_parameters(item, rs.parameters) for item, _ in self.sections.get("testgevallen", [])]
        self.raise_errors()
        return rs

    def with_parameters(self, node, parameters, where=None):
        """A test case with every `"{parameter}"`, `"{parameter + n}"` or `"{parameter - n}"` replaced by
        the year's value (n days for a date), so a boundary case follows the parameter it tests.
        The quotes are needed: unquoted, YAML reads `{…}` as a mapping."""
        if isinstance(node, yamlsource.Mapping):
            out = yamlsource.Mapping((k, self.with_parameters(v, parameters, node.value_where.get(k, node.where)))
                                     for k, v in node.items())
            out.where, out.key_where, out.value_where = node.where, node.key_where, node.value_where
            out.end_line = getattr(node, "end_line", node.where.line)
            return out
        if isinstance(node, yamlsource.Sequence):
            out = yamlsource.Sequence(self.with_parameters(v, parameters, w) for v, w in zip(node, node.item_where))
            out.where, out.item_where = node.where, node.item_where
            return out
        if isinstance(node, str) and PARAMETER_REFERENCE.fullmatch(node) and where is not None:
            return self.parameter_value(node[1:-1], parameters, where)
        return node

    def parameter_value(self, text, parameters, where):
        match = re.fullmatch(r"\s*([a-z][a-z0-9_]*)\s*(?:([+-])\s*(\d+(?:\.\d+)?))?\s*", text)
        if not match:
            self.errors.append(where.error(f"{{{text}}}: verwacht {{parameter}}, {{parameter + getal}} of "
                                           f"{{parameter - getal}}"))
            return None
        name, sign, amount = match.groups()
        if name not in parameters:
            self.errors.append(where.error(f"{{{text}}}: onbekende parameter {name!r}{suggestion(name, parameters)}"))
            return None
        value = parameters[name]
        if not amount:
            return value
        delta = Fraction(amount) * (1 if sign == "+" else -1)
        if isinstance(value, datetime.date) and delta.denominator == 1:
            return value + datetime.timedelta(days=int(delta))
        if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
            return Fraction(value) + delta
        self.errors.append(where.error(f"{{{text}}}: bij parameter {name!r} ({value!r}) kan niets worden opgeteld"))
        return None

    def raise_errors(self):
        if self.errors:
            raise RuleErrors(_with_overrides(self.errors, self.resolved, self.folder_year))

    def metadata(self) -> dict:
        entries = self.resolved.mappings.get("regelset", {})
        meta = {key: entry.value for key, entry in entries.items() if key not in ("basis", "examenjaar")}
        start, end = overlay.check_year_name(self.schooljaar)
        if "schooljaar" in meta and str(meta["schooljaar"]) != self.schooljaar:
            where = entries["schooljaar"].where
            self.errors.append(RuleError(f"schooljaar {meta['schooljaar']!r} past niet bij de mapnaam "
                                         f"{self.schooljaar!r}", file=where.file, line=where.line))
        if "examenjaar" in entries and entries["examenjaar"].value != end:
            where = entries["examenjaar"].where
            self.errors.append(RuleError(f"examenjaar {entries['examenjaar'].value} past niet bij schooljaar "
                                         f"{self.schooljaar} (verwacht {end})", file=where.file, line=where.line))
        meta["schooljaar"] = self.schooljaar
        meta.setdefault("geldig_van", datetime.date(start, 8, 1))
        meta.setdefault("geldig_tot", datetime.date(end, 7, 31))
        regelset_file = _display(self.folder / "regelset.yaml", self.root.parent)
        for key in rule_schema.REGELSET_REQUIRED:
            if key not in meta:
                self.errors.append(RuleError(f"regelset: {key!r} ontbreekt (hier of in de basis)",
                                             file=regelset_file, line=1))
        if isinstance(meta["geldig_van"], datetime.date) and isinstance(meta["geldig_tot"], datetime.date) \
                and meta["geldig_van"] >= meta["geldig_tot"]:
            self.errors.append(RuleError("geldig_tot moet na geldig_van liggen", file=regelset_file))
        return meta

    def parameters(self, rs: RuleSet):
        for name, entry in self.resolved.mappings.get("parameters", {}).items():
            if name in base_symbols(after_uitslag=True):
                self.errors.append(entry.where.error(f"parameter {name!r} heeft de naam van een kolom; kies een andere naam"))
                continue
            rs.parameters[name] = entry.value["waarde"]

    def roles(self, rs: RuleSet):
        entries = self.resolved.mappings.get("rollen")
        declared = None if entries is None else {role: (e.value, e.where) for role, e in entries.items()}
        if any(str(name) in self.failed for name, _ in (declared or {}).values()):
            return  # the afleiding a role names is already reported
        rs.rollen, errors = rule_roles.check(declared, {d.naam: d for d in rs.afleidingen}, rs.parameters,
                                             _display(self.folder / "regelset.yaml", self.root.parent))
        self.errors.extend(errors)

    # -- expressions ---------------------------------------------------------------------------
    def expression(self, item, key, symbols, *, level, condition):
        text = item[key]
        where = item.value_where[key]
        try:
            node = expr.parse(str(text))
            if node.names() & self.failed:
                return None  # the afleiding it reads is already reported
            return expr.check(node, symbols, level=level, condition=condition)
        except expr.ExpressionError as exc:
            self.errors.append(where.error(f"in {key}: {exc.message}", exc.position))
            return None

    def afleidingen(self, rs: RuleSet):
        by_name: dict[str, Afleiding] = {}
        items = self.sections.get("afleidingen", [])
        # Declare first so afleidingen may refer to each other regardless of file order.
        for item, _ in items:
            name = item["naam"]
            if name in rs.symbols and name not in by_name:
                self.errors.append(item.value_where["naam"].error(
                    f"afleiding {name!r} heeft de naam van een kolom of parameter; kies een andere naam"))
                continue
            if name in by_name and by_name[name].niveau != item["niveau"]:
                self.errors.append(item.value_where["niveau"].error(
                    f"afleiding {name!r} staat op twee niveaus (vak en kandidaat); geef elke formule hetzelfde niveau"))
                continue
            afleiding = by_name.setdefault(name, Afleiding(name, item["niveau"], item["omschrijving"], [],
                                                              grondslag=item.get("grondslag", ""),
                                                              bron=item.get("bron", ""),
                                                              referentie=tuple(item.get("referentie", ()))))
            afleiding.variants.append((_tuple(item.get("leerwegen")), item, None))
        step = self.samenstelling_items()
        order = self.order(by_name, step)
        for name in order:
            if name == Samenstelling.naam:
                rs.samenstelling = self.samenstelling(step, rs)
                if rs.samenstelling is None:
                    self.failed |= set(SAMENSTELLING_COLUMNS)
                else:
                    rs.afleidingen.append(rs.samenstelling)
                continue
            afleiding = by_name[name]
            checked, covered = [], set()
            sources = afleiding.variants
            for leerwegen, item, _ in sources:
                overlap = covered & set(leerwegen or LEERWEGEN)
                if overlap:
                    self.errors.append(item.value_where["naam"].error(
                        f"afleiding {name!r} heeft twee formules voor {_leerwegen(overlap)}"))
                covered |= set(leerwegen or LEERWEGEN)
                node = self.expression(item, "formule", rs.symbols, level=afleiding.niveau, condition=False)
                if node is not None:
                    checked.append((leerwegen, node, item["formule"]))
            afleiding.variants = checked
            if len(checked) < len(sources):
                self.failed.add(name)
                continue
            if checked:
                kinds = {n.kind for _, n, _ in checked}
                dens = {n.den for _, n, _ in checked}
                if len(kinds) > 1:
                    self.errors.append(items[0][0].where.error(f"afleiding {name!r} geeft per leerweg een andere soort waarde: "
                                                               f"{' en '.join(sorted(expr.KIND_NAMES[k] for k in kinds))}"))
                afleiding.kind = checked[0][1].kind
                afleiding.den = dens.pop() if len(dens) == 1 else None
                rs.symbols[name] = expr.Symbol(name, afleiding.kind, afleiding.niveau, afleiding.den)
            rs.afleidingen.append(afleiding)

    def order(self, by_name, step=None) -> list[str]:
        """Topological order of afleidingen (and the samenstelling step); a cycle is an error."""
        deps, step_name = {}, Samenstelling.naam
        for name, afleiding in by_name.items():
            names = set()
            for _, item, _ in afleiding.variants:
                try:
                    names |= expr.parse(str(item["formule"])).names()
                except expr.ExpressionError:
                    pass  # reported when the formula is checked
            deps[name] = names & set(by_name)
            if step is not None and names & set(SAMENSTELLING_COLUMNS):
                deps[name].add(step_name)
        if step is not None:
            deps[step_name] = _texts_names(step["teksten"]) & set(by_name)
        order, state = [], {}

        def visit(name, path):
            if state.get(name) == "done":
                return
            if len(path) >= MAX_DERIVATION_CHAIN:
                item = by_name[name].variants[0][1]
                self.errors.append(item.value_where["formule"].error(
                    f"de keten van afleidingen {path[0]} -> ... -> {name} is langer dan {MAX_DERIVATION_CHAIN}; "
                    "reken het uit in minder stappen"))
                state[name] = "done"
                return
            if state.get(name) == "busy":
                cycle = " -> ".join(path[path.index(name):] + [name])
                if name == step_name:
                    self.errors.append(step["where"].error(f"afleidingen en samenstelling verwijzen in een kring naar elkaar: {cycle}"))
                    return
                item = by_name[name].variants[0][1]
                self.errors.append(item.value_where["formule"].error(f"afleidingen verwijzen in een kring naar elkaar: {cycle}"))
                return
            state[name] = "busy"
            for dep in sorted(deps[name]):
                visit(dep, path + [name])
            state[name] = "done"
            order.append(name)

        for name in deps:
            visit(name, [])
        chain = {}
        for name in order:
            chain[name] = 1 + max((chain.get(dep, 0) for dep in deps[name]), default=0)
            if chain[name] == MAX_DERIVATION_CHAIN + 1:
                item = by_name[name].variants[0][1]
                self.errors.append(item.value_where["formule"].error(
                    f"afleiding {name!r} sluit een keten van afleidingen af die langer is dan "
                    f"{MAX_DERIVATION_CHAIN}; reken het uit in minder stappen"))
        return order

    def rules(self, rs: RuleSet):
        ids, codes = {}, {}
        after = dict(rs.symbols)
        after.update({n: s for n, s in base_symbols(after_uitslag=True).items() if n not in after})
        for soort, section in (("controle", "controles"), ("voorwaarde", "voorwaarden")):
            for item, file in self.sections.get(section, []):
                rule_id = item["id"]
                if rule_id in ids:
                    self.errors.append(item.value_where["id"].error(
                        f"de regel-id {rule_id!r} bestaat al (eerst in {ids[rule_id]})"))
                    continue
                ids[rule_id] = f"{file}:{item.where.line}"
                fase = item.get("fase", "invoer")
                symbols = after if fase == "uitslag" else rs.symbols
                niveau = item.get("niveau", "kandidaat")
                node = self.expression(item, "voorwaarde", symbols, level=niveau, condition=True)
                when = self.expression(item, "wanneer", symbols, level=niveau, condition=True) \
                    if "wanneer" in item else None
                if soort == "controle":
                    code = str(item["code"])
                    if code in codes:
                        self.errors.append(item.value_where["code"].error(
                            f"signaalcode {code} hoort al bij regel {codes[code]}; elke controle heeft een eigen code"))
                    codes[code] = rule_id
                for node_ in (node, when):
                    if node_ is not None and node_.kind != "bool":
                        self.errors.append(item.value_where["voorwaarde"].error("een voorwaarde moet waar of onwaar zijn"))
                self.check_placeholders(item, symbols)
                if node is None or ("wanneer" in item and when is None):
                    continue
                rule = Rule(
                    id=rule_id, soort=soort, omschrijving=item["omschrijving"], niveau=niveau,
                    voorwaarde=node, voorwaarde_tekst=str(item["voorwaarde"]), melding=item["melding"],
                    grondslag=item["grondslag"], file=file, line=item.where.line,
                    leerwegen=_tuple(item.get("leerwegen")), opleidingen=_tuple(item.get("opleidingen")),
                    wanneer=when, wanneer_tekst=str(item.get("wanneer", "")),
                    code=str(item.get("code", "")), ernst=item.get("ernst", ""), fase=fase,
                    geldig_van=item.get("geldig_van"), geldig_tot=item.get("geldig_tot"),
                    waarden=tuple(item.get("waarden", ())), toelichting=item.get("toelichting", ""),
                    bron=item.get("bron", ""), referentie=tuple(item.get("referentie", ())),
                )
                (rs.controles if soort == "controle" else rs.voorwaarden).append(rule)
        for item, _ in self.sections.get("weglaten", []):
            node = self.expression(item, "vak_mag_vervallen", rs.symbols, level="vak", condition=True)
            if node is not None:
                rs.weglaten.append(Weglaatregel(item["id"], item["omschrijving"], node,
                                                str(item["vak_mag_vervallen"]), item["grondslag"],
                                                _tuple(item.get("leerwegen")), bool(item.get("meerdere", False)),
                                                item.get("bron", ""), tuple(item.get("referentie", ()))))

    # -- samenstelling ---------------------------------------------------------------------------
    def samenstelling_items(self):
        """The `samenstelling` header and the `onderdelen`, or None when the year has neither."""
        header = {key: (entry.value, entry.where)
                  for key, entry in self.resolved.mappings.get("samenstelling", {}).items()}
        onderdelen = [item for item, _ in self.sections.get("onderdelen", [])]
        if not header and not onderdelen:
            return None
        where = next(iter(header.values()))[1] if header else onderdelen[0].where
        for key in ("meedoen", "voorkeur"):
            if key not in header:
                self.errors.append(where.error(
                    f"de samenstelling mist '{key}' (bijvoorbeeld samenstelling: {{{key}: "
                    f"{rule_schema.SAMENSTELLING[key].example}}}); zet het in één van de bestanden"))
        teksten = [text for text, _ in header.values()] + [o["waar"] for o in onderdelen if "waar" in o]
        return {"header": header, "onderdelen": onderdelen, "teksten": teksten, "where": where}

    def samenstelling(self, step, rs: RuleSet):
        """Check the onderdelen (expressions, vakcodes, profielen, opleidingen) and build the step."""
        if step is None or not {"meedoen", "voorkeur"} <= set(step["header"]):
            return None
        nodes = {}
        for key, (text, where) in step["header"].items():
            nodes[key] = self._expression_at(text, where, key, rs.symbols, level="vak",
                                             condition=key == "meedoen")
        tables = self.codetables()
        onderdelen, ok = [], all(node is not None for node in nodes.values())
        for item in step["onderdelen"]:
            waar = None
            if "waar" in item:
                waar = self._expression_at(item["waar"], item.value_where["waar"], "waar", rs.symbols,
                                           level="vak", condition=True)
                ok &= waar is not None
            leerwegen = _tuple(item["leerwegen"])
            if tables is not None:
                self.lint_onderdeel(item, leerwegen, tables)
            onderdelen.append(Onderdeel(
                id=item["id"], naam=item["naam"], leerwegen=leerwegen, examendeel=item.get("examendeel", ""),
                vakken=frozenset(map(str, item["vakken"])) if "vakken" in item else None,
                behalve=frozenset(map(str, item.get("behalve", ()))), waar=waar,
                aantal=item.get("aantal", 1), meer_tellen_mee=item.get("meer_tellen_mee", False),
                kernvak=item.get("kernvak", False), apart=item.get("apart", False),
                profielen=_tuple(item.get("profielen")),
                opleidingen=frozenset(map(str, item["opleidingen"])) if "opleidingen" in item else None,
                geverifieerd=item.get("geverifieerd", True), file=item.where.file, line=item.where.line))
        if not ok:
            return None
        return Samenstelling(nodes["meedoen"], nodes["voorkeur"], onderdelen, nodes.get("gemeld_examendeel"))

    def _expression_at(self, text, where, key, symbols, *, level, condition):
        try:
            node = expr.parse(str(text))
            if node.names() & self.failed:
                return None
            node = expr.check(node, symbols, level=level, condition=condition)
        except expr.ExpressionError as exc:
            self.errors.append(where.error(f"in {key}: {exc.message}", exc.position))
            return None
        if condition and node.kind != "bool":
            self.errors.append(where.error(f"{key} moet waar of onwaar zijn"))
            return None
        return node

    def codetables(self):
        """The year's code tables for linting vakcodes, profielen and opleidingen (None if absent)."""
        try:
            return codetables.load(self.schooljaar)
        except CodeTableError:
            return None

    def lint_onderdeel(self, item, leerwegen, tables):
        """Every vakcode, profiel and opleidingscode of an onderdeel exists in the year's code tables."""
        label = f"onderdeel {item['naam']!r}"
        per_leerweg = tables.vakken_per_leerweg
        valid = per_leerweg[per_leerweg["leerweg"].isin(leerwegen)]
        names = dict(zip(valid["vakcode"], valid["naam"]))
        everywhere = dict(zip(per_leerweg["vakcode"], per_leerweg["leerweg"]))
        for key in ("vakken", "behalve"):
            for code, where in zip(item.get(key, ()), getattr(item.get(key), "item_where", ())):
                code = str(code)
                if code in names:
                    continue
                if code in everywhere:
                    self.errors.append(where.error(
                        f"{label}: vakcode {code!r} bestaat niet in {', '.join(leerwegen)} "
                        f"(wel in {everywhere[code]})"))
                    continue
                close = _closest_code(code, names)
                hint = did_you_mean(close, toelichting=names[close] if close else "")
                self.errors.append(where.error(
                    f"{label}: onbekende vakcode {code!r} in de vakkentabel {self.schooljaar}{hint}"))
        opleidingen = tables.opleidingen
        of_leerweg = opleidingen[opleidingen["leerweg"].isin(leerwegen)]
        profielen = {part for value in of_leerweg["profiel"].dropna() for part in str(value).split("+") if part}
        for value, where in zip(item.get("profielen", ()), getattr(item.get("profielen"), "item_where", ())):
            if str(value) not in profielen:
                hint = suggestion(str(value), sorted(profielen))
                self.errors.append(where.error(
                    f"{label}: profiel {value!r} komt in de opleidingentabel niet voor bij "
                    f"{', '.join(leerwegen)}{hint}"))
        codes = set(of_leerweg["opleidingscode"])
        for value, where in zip(item.get("opleidingen", ()), getattr(item.get("opleidingen"), "item_where", ())):
            if str(value) not in codes:
                self.errors.append(where.error(
                    f"{label}: opleidingscode {value!r} is geen opleiding van {', '.join(leerwegen)}"))

    def check_placeholders(self, item, symbols):
        """Every {name} in a melding must be a known value."""
        try:
            fields = template_fields(item["melding"])
        except ValueError:
            self.errors.append(item.value_where["melding"].error("in melding: een accolade ({ of }) staat los; schrijf '{{' of '}}' "
                                                                      "voor een accolade als teken"))
            return
        for name in fields:
            if name not in symbols:
                self.errors.append(item.value_where["melding"].error(
                    f"onbekend invulveld {{{name}}} in melding{suggestion(name, symbols)}; gebruik de naam van "
                    "een kolom, afleiding of parameter"))
        for name in item.get("waarden", ()):
            if name not in symbols:
                self.errors.append(item.value_where["waarden"].error(f"onbekende naam {name!r} in waarden{suggestion(str(name), symbols)}"))


PARAMETER_REFERENCE = re.compile(r"\{\s*[a-z][a-z0-9_]*\s*(?:[+-][^{}]*)?\}")


def _closest_code(code: str, codes) -> str | None:
    """The valid code a typo most likely meant: letters read as digits (O→0, l/I→1), then one digit off."""
    typed = code.translate(str.maketrans("OoIl", "0011"))
    if typed in codes:
        return typed
    near = sorted(c for c in codes if len(c) == len(typed) and sum(a != b for a, b in zip(c, typed)) == 1)
    if near:
        return near[0]
    return closest(code, codes, cutoff=0.7)


def _texts_names(texts) -> set:
    names = set()
    for text in texts:
        try:
            names |= expr.parse(str(text)).names()
        except expr.ExpressionError:
            pass  # reported when the expression is checked
    return names
def _display(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _with_overrides(errors: list, resolved, schooljaar: str) -> list:
    """Add to an error inside an overriding entry where the entry it replaces stands, and to an
    error in an inherited file which year inherited it."""
    spans = [(e.where.file, e.where.line, e.end_line, e) for e in resolved.all_entries() if e.overrides]
    spans += [(e.where.file, e.where.line, e.end_line, e) for e in resolved.all_entries()
              if e.year != schooljaar and not e.overrides]
    out = []
    for error in errors:
        note = ""
        for file, first, last, entry in spans:
            if error.file == file and error.line is not None and first <= error.line <= max(first, last):
                if entry.year == schooljaar:
                    note = f" (vervangt {entry.key} uit {entry.overrides.location})"
                else:
                    note = f" (geërfd door {schooljaar} van {entry.year})"
                break
        if note:
            error = RuleError(error.message + note, file=error.file, line=error.line, column=error.column)
        out.append(error)
    return out


def _leerwegen(leerwegen) -> str:
    """'de leerweg HAVO', 'de leerwegen HAVO en VWO', or 'alle leerwegen'."""
    names = sorted(leerwegen)
    if set(names) >= set(LEERWEGEN):
        return "alle leerwegen"
    if len(names) == 1:
        return f"de leerweg {names[0]}"
    return f"de leerwegen {', '.join(names[:-1])} en {names[-1]}"


def _tuple(value):
    return tuple(str(v) for v in value) if value is not None else None


def _value_kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, Fraction)):
        return "num"
    if isinstance(value, list):
        return "list"
    if hasattr(value, "toordinal"):
        return "date"
    return "str"
