"""The closed word lists of the domain, each stated once: leerwegen and schoolsoorten, ernst,
the uitslag examenbron computes, and how an examenjaar names its school year.

Code tables, the rule schema, symbols, evaluation and reports import these; nothing here imports
the rest of the engine.
"""

# Leerwegen as DUO's opleidingen table names them (docs/datamodel.md §2).
LEERWEGEN = ("VWO", "HAVO", "VMBO-TL", "VMBO-GL", "VMBO-KB", "VMBO-BB")

# Schoolsoort -> its leerwegen; a vakcode means one vak per schoolsoort.
SCHOOLSOORT_LEERWEGEN = {"havo/vwo": ("HAVO", "VWO"), "vmbo": ("VMBO-BB", "VMBO-KB", "VMBO-GL", "VMBO-TL")}
SCHOOLSOORT = {leerweg: soort for soort, leerwegen in SCHOOLSOORT_LEERWEGEN.items() for leerweg in leerwegen}

# How heavy a bevinding weighs, most severe first; only an afkeur blocks the exchange.
ERNST = ("afkeur", "attentie", "info")
AFKEUR, ATTENTIE, INFO = ERNST

# The uitslag examenbron computes (uitslag_berekend), in report order.
UITSLAGEN = ("geslaagd", "afgewezen", "onvolledig", "niet_bepaald")
GESLAAGD, AFGEWEZEN, ONVOLLEDIG, NIET_BEPAALD = UITSLAGEN


def schooljaar_of(examenjaar: int) -> str:
    """Examenjaar 2025 belongs to school year 2024-2025."""
    return f"{examenjaar - 1}-{examenjaar}"
