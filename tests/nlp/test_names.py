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
    "text, expected",
    [
        ("Ik ben Henk uit de Dorpsstraat.", ["Henk"]),
        ("Groeten, Sandra Bakker uit de Meerzichtlaan", ["Sandra Bakker"]),
        ("Mijn buurvrouw Els op de Dorpsstraat", ["Els"]),
        ("Ik heet Mohammed in de Parkdreef", ["Mohammed"]),
        ("Henk uit Buytenwegh wil meer bankjes.", ["Henk"]),
    ],
)
def test_name_before_a_preposition_and_a_street(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Groeten, Anneke Maas", ["Anneke Maas"]),
        ("Graag reactie naar mevrouw Maas.", ["Maas"]),
        ("Ik heet Maas.", ["Maas"]),
        ("Mijn naam is Anja de Rijk", ["Anja de Rijk"]),
        ("Ik ben Anna Stein", ["Anna Stein"]),
        ("Mijn naam is Ruud Gouda", ["Ruud Gouda"]),
    ],
)
def test_place_name_used_as_a_surname(text, expected):
    assert names(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Het park moet groener.\nSandra", ["Sandra"]),
        ("Het park moet groener. Marja (56)", ["Marja"]),
        ("Wilma uit Meerzicht vindt het park te klein", ["Wilma"]),
        ("Het park moet groener.\nXiomara", ["Xiomara"]),  # unknown, but a signature line
    ],
)
def test_common_first_names_and_signatures(text, expected):
    assert names(text) == expected


def test_account_holder_after_an_iban():
    assert redact("Maak het over naar NL91ABNA0417164300 t.n.v. Jansen.") == (
        "Maak het over naar [IBAN] t.n.v. [NAAM]."
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mijn naam is de Jong.", "Mijn naam is [NAAM]."),
        ("Mijn naam is van der Linden.", "Mijn naam is [NAAM]."),
        ("Groeten van Piet, en tot ziens.", "Groeten van [NAAM], en tot ziens."),
    ],
)
def test_surname_particles_inside_the_placeholder(text, expected):
    assert redact(text) == expected


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
        "We fietsen langs de Maas en de Rijn.",
        "Ik woon in Stein en werk in Gouda.",
        "Het Rijk moet meer betalen.",
        "De wijkagent Meerzicht is goed bereikbaar.",
        "Ik ben Zoetermeerder en trots.",
        "Ik woon in de Willem Dreeslaan.",
        "Het park moet groener.\nSucces!",
        "Wensen:\nSkatebaan\nTrampoline",
        "Vooral voor\nJongeren",  # a phone capitalises after Enter: the sentence goes on
        "Voor de jeugd:\nSkatebaan",
        "Meer bankjes\nAub",
        "Maak het over naar NL91ABNA0417164300 t.n.v. Buurtvereniging Meerzicht.",
        "Namens Voedselbank Zoetermeer, bedankt!",
        "Betaal t.n.v. de gemeente.",
    ],
)
def test_places_organisations_and_words_are_not_names(text):
    assert names(text) == []


def test_surname_made_of_a_place_after_van():
    assert names("Graag reactie naar mevr. Van Ommen over het plan.") == ["Van Ommen"]
