"""Person names: found in many shapes; places, shops and streets are left alone."""

import pytest

from nlp import find_personal_data, redact


def names(text: str) -> list[str]:
    return [span.text for span in find_personal_data(text) if span.label == "NAAM"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hallo, ik ben Marloes Verhoeven en ik woon hier al lang.", ["Marloes Verhoeven"]),
        ("Mijn naam is Kofi Boateng.", ["Kofi Boateng"]),
        ("ik heet noor el idrissi en ik fiets elke dag", ["noor el idrissi"]),
        ("hoi ik ben sanne, ik zit op school", ["sanne"]),
        ("Met vriendelijke groet,\nG.J. van der Meulen", ["G.J. van der Meulen"]),
        ("mvg Ruud", ["Ruud"]),
        ("Ik sprak gisteren met mevrouw de Vries over de bomen.", ["de Vries"]),
        ("De Jong had gelijk over de parkeerplaatsen.", ["De Jong"]),
        ("Onze buurman Teun helpt met de moestuin.", ["Teun"]),
        ("Volgens dokter Ramdin moet er meer beweging komen.", ["Ramdin"]),
        ("Samen met Anne-Marie Smit-Bakker organiseer ik het buurtfeest.", ["Anne-Marie Smit-Bakker"]),
        ("gisteren zei piet jansen dat het te druk is", ["piet jansen"]),
        ("Wij, Esra en Mehmet Öztürk, hebben een winkel.", ["Esra", "Mehmet Öztürk"]),
    ],
)
def test_names_found(text, expected):
    assert names(text) == expected


def test_title_stays_outside_the_placeholder():
    assert redact("Wethouder Van der Berg kwam langs.") == "Wethouder [NAAM] kwam langs."


@pytest.mark.parametrize(
    "text",
    [
        "Zoetermeer moet groener, vooral in Meerzicht en Oosterheem.",
        "Het Dutch Innovation Park trekt veel bedrijven.",
        "De Leyens en Buytenwegh hebben betere fietspaden nodig.",
        "Ik werk in Delft en fiets via Pijnacker naar huis.",
        "Bij de Jumbo en Albert Heijn is het altijd druk.",
        "De Rabobank is vertrokken uit het winkelcentrum.",
        "In de Pieter de Hoochstraat staan te veel auto's.",
        "Willem Dreeslaan en omgeving zijn donker.",
        "Stichting Jeugd en Sport doet goed werk.",
        "Jan en alleman parkeert hier.",
        "Voor Jan Modaal is een huis te duur.",
        "Met Koningsdag en Sinterklaas is het druk in het Stadshart.",
        "Ik ben 15 en ik wil een skatebaan.",
        "Ik heet iedereen welkom in onze wijk.",
        "Groetjes uit Rokkeveen en succes!",
        "Namens de buurt, veel succes!",
        "Mvg, een moeder uit Seghwaert",
        "de bakker op de hoek is lief",
        "This park needs more trees and benches.",
    ],
)
def test_places_organisations_and_words_are_not_names(text):
    assert names(text) == []


def test_surname_made_of_a_place_after_van():
    assert names("Graag reactie naar mevr. Van Ommen over het plan.") == ["Van Ommen"]
