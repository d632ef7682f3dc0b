"""Regenerate every bundled codetables/<schooljaar>/ folder with `examenbron codetables import`.

Usage: python tools/build_codetables.py [--reference DIR]

The years are the folders that exist under codetables/ (add a year with `codetables import` or
`rules new-year`). Each is rebuilt from the shared reference files as a *derived* table (no official
code table after 2015-2016 is available, see codetables/README.md), keeping its status.
"""

import argparse
import sys
from pathlib import Path

import yaml

from examenbron.engine.errors import CodeTableError
from examenbron.engine.inputs.codetables import available_years
from examenbron.engine.inputs.codetables_import import import_year

ROOT = Path(__file__).resolve().parent.parent / "codetables"
HERKOMST = ("Dec_vooropl.asc en Dec_vakcode.asc: cedanl/1cijferho@332bab7d (DUO-decodetabellen; Dec_vakcode "
            "zonder versiedatum); vakcodes- en elementcodes-2015-2016.csv: Regeling codetabellen school- en "
            "studiejaar 2015-2016 (BWBR0036964), Bijlage III en I, via statengeneraal/laws-markdown "
            "(zie /work/shared/reference/README.md). De datum van bestanden zonder versieregel is de "
            "wijzigingsdatum van de kopie, niet van DUO's uitgave.")
SOURCES = ("duo/Dec_vooropl.asc", "duo/Dec_vakcode.asc", "vakcodes-2015-2016.csv", "elementcodes-2015-2016.csv")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=Path("/work/shared/reference"))
    args = parser.parse_args(argv)
    years = available_years(ROOT)
    try:
        for year in years:
            status = yaml.safe_load((ROOT / year / "metadata.yaml").read_text(encoding="utf-8"))["status"]
            import_year([args.reference / s for s in SOURCES], year, ROOT, officieel=False, status=status,
                        vervang=True, herkomst=HERKOMST)
    except CodeTableError as exc:
        print(f"build_codetables: {exc}", file=sys.stderr)
        return 2
    print(f"{len(years)} schooljaren geschreven in {ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
