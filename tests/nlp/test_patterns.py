"""Structured personal data: every type with positive and negative cases."""

import pytest

from nlp import find_personal_data
from nlp.patterns import elfproef, iban_checksum_ok


def labels(text: str) -> list[tuple[str, str]]:
    return sorted((span.label, span.text) for span in find_personal_data(text))


@pytest.mark.parametrize(
    "text, value",
    [
        ("Mail me: j.de.vries+inspraak@ziggo.nl.", "j.de.vries+inspraak@ziggo.nl"),
        ("info(at)voorbeeld.nl", "info(at)voorbeeld.nl"),
    ],
)
def test_email_found(text, value):
    assert ("E-MAIL", value) in labels(text)


@pytest.mark.parametrize(
    "text, value",
    [
        ("Zie https://www.zoetermeer.nl/visie?x=1.", "https://www.zoetermeer.nl/visie?x=1"),
        ("kijk op www.buurtapp.nl", "www.buurtapp.nl"),
        ("op instagram.com/groenzoetermeer staat meer", "instagram.com/groenzoetermeer"),
        ("volg me op insta @anouk_dewit", "@anouk_dewit"),  # a handle gets the URL label
        ("Volg @anouk.dewit.", "@anouk.dewit"),
    ],
)
def test_url_found_without_trailing_punctuation(text, value):
    assert ("URL", value) in labels(text)


def test_at_sign_in_email_or_price_is_no_handle():
    assert labels("Mail henk@gmail.com, 3 stuks @ 2 euro.") == [("E-MAIL", "henk@gmail.com")]


def test_url_not_in_file_names_or_abbreviations():
    assert labels("Lees Zoetermeer2040.pdf, o.a. bijv. i.p.v. het plan.") == []


@pytest.mark.parametrize(
    "number",
    [
        "06-12345678", "06 1234 5678", "06.21.98.45.63", "0612345678", "+31 6 12345678",
        "+31 (0)6 1234 5678", "0031 6 12345678", "079-3468200", "(079) 3468200",
        "079 346 82 00", "010-1234567", "0800-1234", "+44 20 7946 0958",
        # pairs that start like a date (6 December), and a spaced dash
        "06-12-34-56-78", "06.12.34.56.78", "06-10-11-12-13", "06 - 12345678", "06 - 12 34 56 78",
        "079 - 3456789",
    ],
)
def test_phone_numbers_found(number):
    assert labels(f"Bel me op {number} na zes uur.") == [("TELEFOON", number)]


def test_second_phone_number_after_a_slash():
    assert labels("Bel 0612345678/0793456789.") == [
        ("TELEFOON", "0612345678"), ("TELEFOON", "0793456789"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Op 06-05-2024 om 06.30 uur begon het.",  # date and time
        "Op 06-05-2024 06.30 begon het, op 06-05-24 12 uur was het klaar.",
        "Op 12-03-2024 was de bijeenkomst.",
        "Open van 09.00 - 17.00 uur.",
        "Er wonen 125.000 mensen, het kost € 1.250.000.",  # counts and prices
        "Bel 112 of 14 079 voor de gemeente.",  # public service numbers
        "Neem lijn 70 of tram 3 en 4.",
        "In 2040 wil Zoetermeer 10.000 woningen erbij.",
        "Het nummer 06-1234 is te kort.",
        "Vanaf 06-05-2024 - 12 uur open.",  # a date with a full year stays a date, whatever follows
        "Vergadering (06-05-2024) 12 mensen.",
    ],
)
def test_numbers_that_are_not_phone_numbers(text):
    assert [label for label, _ in labels(text) if label == "TELEFOON"] == []


def test_elfproef():
    assert elfproef("111222333")
    assert elfproef("123456782")
    assert not elfproef("123456789")
    assert not elfproef("000000000")


@pytest.mark.parametrize("bsn", ["111222333", "111.222.333", "1112 22 333", "111-222-333"])
def test_bsn_found_when_it_passes_the_elfproef(bsn):
    assert labels(f"mijn nummer is {bsn} toch") == [("BSN", bsn)]


def test_nine_digits_failing_the_elfproef_are_not_a_bsn():
    assert labels("Het budget is 123456789 euro.") == []


def test_bsn_after_keyword_even_without_elfproef():
    assert ("BSN", "123456789") in labels("mijn burgerservicenummer is 123456789")
    assert ("BSN", "123-456-789") in labels("mijn bsn is 123-456-789")


def test_iban_checksum():
    assert iban_checksum_ok("NL91ABNA0417164300")
    assert not iban_checksum_ok("NL91ABNA0417164301")


@pytest.mark.parametrize("iban", ["NL91 ABNA 0417 1643 00", "nl91abna0417164300", "DE89370400440532013000"])
def test_iban_found(iban):
    assert labels(f"Rekening {iban} graag.") == [("IBAN", iban)]


def test_iban_like_text_with_bad_checksum_from_abroad_is_not_an_iban():
    assert labels("code DE89370400440532013001 ok") == []


@pytest.mark.parametrize("plate", ["45-KLT-7", "3-TGP-85", "ZR-41-PL", "HP-485-Z", "K-207-BN", "TNZ-12-F", "72ZBH4"])
def test_licence_plates_found(plate):
    assert labels(f"De auto {plate} stond er weer.") == [("KENTEKEN", plate)]


@pytest.mark.parametrize("text", ["Rijd via de A12 en de N470.", "Het is COVID-19 en 2-1-2025.", "Een t-shirt van 12-13 euro."])
def test_not_licence_plates(text):
    assert [label for label, _ in labels(text) if label == "KENTEKEN"] == []


@pytest.mark.parametrize(
    "text, value",
    [
        ("Ik woon op de Dorpsstraat 12a.", "Dorpsstraat 12a"),
        ("Adres: Burgemeester van Leeuwenlaan 150 A", "Burgemeester van Leeuwenlaan 150 A"),
        ("Kom naar Markt 7 morgen", "Markt 7"),
        ("ik woon aan de hoofdstraat 3", "hoofdstraat 3"),
        ("Stuur het naar 2725 NT 14.", "2725 NT 14"),
        ("Postcode 2712AB graag", "2712AB"),
        ("postcode 2711 ab", "2711 ab"),
        ("Ik woon op Dorpsstraat 12 in 2711 ab.", "2711 ab"),
        ("Stuur het naar 2711AB12.", "2711AB12"),
        ("ik woon op Dorpsstraat nummer 12", "Dorpsstraat nummer 12"),
        ("ik woon in de Dorpsstraat nr 12", "Dorpsstraat nr 12"),
        ("ik woon op dorpsstraat nr. 12", "dorpsstraat nr. 12"),
    ],
)
def test_addresses_found(text, value):
    assert ("ADRES", value) in labels(text)


def test_postcode_with_city_is_one_address():
    assert labels("Stuur het naar 2712 AB Zoetermeer.") == [("ADRES", "2712 AB Zoetermeer")]


@pytest.mark.parametrize(
    "text",
    [
        "De Dorpsstraat is 's avonds te donker.",  # street without number
        "Nummer 7 van de lijst is goed.",
        "postcode 2725 is groot",  # postcode area alone
        "We liepen onderweg 2 uur en de snelweg 3 keer over.",
        "In 2000 en 2010 was het anders, sinds 2015 is het beter.",  # years before a short word
        "In 2040 de stad groener maken, vanaf 2030 we moeten nu al, in 2025 uw mening.",
        "Zoetermeer 2040 de visie, sinds 2015 ga ik er niet op vooruit.",
        "Er komt 1500 km fietspad bij.",
    ],
)
def test_not_addresses(text):
    assert [label for label, _ in labels(text) if label == "ADRES"] == []
