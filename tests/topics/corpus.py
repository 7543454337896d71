"""A small, fixed test corpus: clear topics in the words of residents, written for these tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# Nine places, so each topic has 18-27 responses: with five, UMAP on a theme's ~25 points found the cycling and
# bus subthemes or not depending on float noise of 3e-7 (another CPU); with nine, 1e-6 changes nothing.
PLACES = ["Meerzicht", "Rokkeveen", "Oosterheem", "Seghwaert", "Buytenwegh", "Palenstein", "Dorp", "De Leyens", "Lansinghage"]

TOPICS: dict[str, list[str]] = {
    # regiostad
    "fiets": [
        "Het fietspad naar Den Haag langs {p} is veel te smal en gevaarlijk.",
        "Maak een snelle fietsroute van {p} naar Leiden, dan laat ik de auto staan.",
        "Ik fiets elke dag vanuit {p} naar mijn werk, de fietspaden zijn slecht verlicht.",
    ],
    "ov": [
        "De bus vanuit {p} rijdt 's avonds bijna niet meer, dat moet beter.",
        "Een snellere treinverbinding van {p} naar Rotterdam zou veel schelen.",
    ],
    # duurzame-stad
    "groen": [
        "Meer bomen en bloemen in {p}, het is er veel te stenig.",
        "Het park bij {p} is prachtig, zorg dat er niet in gebouwd wordt.",
        "Laat bewoners in {p} zelf een stuk groen onderhouden, met een moestuin.",
    ],
    # palet-van-wijken
    "wonen": [
        "Er zijn veel te weinig betaalbare huurwoningen in {p} voor jonge mensen.",
        "Bouw kleinere woningen in {p} zodat ouderen kunnen doorstromen.",
    ],
    # ontplooiingskansen
    "leren": [
        "Kinderen in {p} hebben meer huiswerkbegeleiding en goede scholen nodig.",
        "Help volwassenen in {p} met een opleiding zodat ze beter werk vinden.",
    ],
    # overig
    "overig": [
        "Mijn container in {p} is al twee weken niet geleegd.",
        "Hoe vraag ik een nieuw paspoort aan als ik in {p} woon?",
    ],
}
NON_ANSWERS = ["weet niet", "geen idee", "-", "nvt", "?"]
CHANNELS = ["chat", "straat", "web"]
START = datetime(2024, 10, 1, 12, 0, tzinfo=timezone.utc)


def responses(per_template: int = len(PLACES)) -> list[dict]:
    """One response per template and place (14 templates x 9 places = 126 texts), plus five non-answers."""
    rows = []
    for topic, templates in TOPICS.items():
        for template in templates:
            for n, place in enumerate(PLACES[:per_template]):
                rows.append({"topic": topic, "text": template.format(p=place), "wijk": place})
    for n, row in enumerate(rows):
        row["channel"] = CHANNELS[n % len(CHANNELS)]
        row["created_at"] = START + timedelta(days=n % 7, minutes=n)
        row["non_answer"] = False
    rows += [
        {"topic": None, "text": text, "wijk": None, "channel": "straat", "created_at": START, "non_answer": True}
        for text in NON_ANSWERS
    ]
    return rows


NEW_CYCLING = [
    "Graag een veilig fietspad van Driemanspolder naar Den Haag.",
    "De fietsroute naar Leiden vanuit Noordhove is onveilig in het donker.",
]
