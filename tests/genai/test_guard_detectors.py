"""Each detector of the GenAI guard against its format rules (research note guard-and-monitoring.md §A3):
values valid by the rules are found with the right type and offsets, values the rules exclude are not.
The cases are built from the rules, not from the evaluation sentences."""

from __future__ import annotations

import pytest

from raigov.genai.guard.identifiers import aba_valid, iban_valid
from raigov.genai.guard.scan import detect


def found(text: str) -> list[tuple[str, str]]:
    return [(f.type, text[f.start:f.end]) for f in detect(text)]


def types(text: str) -> set[str]:
    return {t for t, _ in found(text)}


# ------------------------------------------------------------------ SSN / ITIN

@pytest.mark.parametrize("value", ["219-09-9998", "772 34 5678", "001-01-0001", "899-99-9999"])
def test_ssn_formatted_valid(value):
    assert found(f"my number is {value} ok") == [("US_SSN", value)]


@pytest.mark.parametrize("value", [
    "000-12-3456",  # area 000
    "666-12-3456",  # area 666
    "123-00-4567",  # group 00
    "123-45-0000",  # serial 0000
    "078-05-1120",  # the Woolworth wallet card
    "123-45-6789",  # the advertising example
    "219-09 9998",  # two different delimiters
    "987-65-4321",  # 9XX with group 65: an ITIN, not an SSN (see below); 987-45 is neither
])
def test_ssn_invalid_by_rule_is_not_an_ssn(value):
    assert "US_SSN" not in types(f"number {value} here")


def test_ssn_unformatted_needs_context():
    assert "US_SSN" not in types("order 219099998 shipped")
    assert found("SSN: 219099998") == [("US_SSN", "219099998")]
    assert found("social security number 219099998") == [("US_SSN", "219099998")]


def test_itin_is_9xx_in_the_itin_groups():
    assert found("ITIN 912-70-1234") == [("US_ITIN", "912-70-1234")]
    assert found("912-93-1234 x") == []  # group 93 is not an ITIN group (nor an SSN)


# ------------------------------------------------------------------ A-number, I-94, passport, SEVIS

@pytest.mark.parametrize("value", ["A012345678", "A12345678", "A-123456789", "A# 123-456-789", "A1234567"])
def test_a_number_prefixed(value):
    assert found(f"file {value} pending") == [("A_NUMBER", value)]


def test_a_number_digits_need_context():
    assert found("USCIS # 012-345-678 on the card") == [("A_NUMBER", "012-345-678")]
    assert found("Alien Registration Number: 12345678") == [("A_NUMBER", "12345678")]
    assert "A_NUMBER" not in types("invoice 012-345-678 paid")
    assert "A_NUMBER" not in types("is a 123456789 thing")  # lower-case "a" with a space is the article


def test_i94_new_format_alone_and_numeric_with_context():
    assert found("record 123456789A1 ok") == [("I94_NUMBER", "123456789A1")]
    assert found("I-94 number 12345678901") == [("I94_NUMBER", "12345678901")]
    assert "I94_NUMBER" not in types("tracking 12345678901 sent")


def test_passport_needs_context_and_the_card_starts_with_c():
    assert found("passport no. X12345678") == [("US_PASSPORT", "X12345678")]
    assert found("passport card C12345678") == [("US_PASSPORT", "C12345678")]
    assert found("Passport 123456789") == [("US_PASSPORT", "123456789")]
    assert types("The business status code is 123456789") == set()  # "us" inside words is no context
    assert types("part X12345678 in stock") == set()


def test_sevis_id():
    assert found("SEVIS ID N0012345678 active") == [("SEVIS_ID", "N0012345678")]
    assert types("N001234567") == set()  # nine digits: too short


# ------------------------------------------------------------------ payment cards

@pytest.mark.parametrize("value", [
    "4111 1111 1111 1111",  # Visa 16
    "4222222222222",  # Visa 13
    "4000 0000 0000 0000 006",  # Visa 19 in five groups
    "5555 5555 5555 4444",  # Mastercard 5-series
    "2221 0000 0000 0009",  # Mastercard 2-series
    "3782 822463 10005",  # Amex 4-6-5
    "6011 1111 1111 1117",  # Discover
    "3530 1113 3330 0000",  # JCB
    "3056 930902 5904",  # Diners 14
    "6759 6498 2648",  # 12-digit Maestro
])
def test_cards_valid(value):
    assert found(f"card {value} exp") == [("CREDIT_CARD", value)]


@pytest.mark.parametrize("value", [
    "4111 1111 1111 1112",  # Luhn fails
    "1234 5678 9012 3452",  # passes Luhn, no issuer starts with 1 at 16 digits
    "5555 5555 5555 444",  # too short for Mastercard
])
def test_cards_invalid(value):
    assert "CREDIT_CARD" not in types(f"ref {value} x")


# ------------------------------------------------------------------ bank account, routing, IBAN

def test_aba_checksum_and_prefix():
    assert aba_valid("011000015") and aba_valid("021000021")
    assert not aba_valid("011000016")  # checksum
    assert not aba_valid("991000013")  # prefix 99 is not a Federal Reserve range
    assert found("routing number 021000021") == [("ABA_ROUTING_NUMBER", "021000021")]
    assert "ABA_ROUTING_NUMBER" not in types("routing number 021000022")


def test_bank_account_needs_context():
    assert found("checking account 000123456789") == [("US_BANK_NUMBER", "000123456789")]
    assert types("order 000123456789 shipped") == set()


def test_iban_length_and_mod97():
    assert iban_valid("DE89370400440532013000") and iban_valid("GB82WEST12345698765432")
    assert not iban_valid("DE89370400440532013001")
    assert found("pay DE89 3704 0044 0532 0130 00 today") == [("IBAN_CODE", "DE89 3704 0044 0532 0130 00")]
    assert found("IBAN GB82WEST12345698765432.") == [("IBAN_CODE", "GB82WEST12345698765432")]
    assert found("iban gb82west12345698765432") == [("IBAN_CODE", "gb82west12345698765432")]
    assert "IBAN_CODE" not in types("DE89 3704 0044 0532 0130 01")


# ------------------------------------------------------------------ driver's licence

def test_driver_license_by_shape_with_context_only():
    assert found("driver's license D1234567") == [("US_DRIVER_LICENSE", "D1234567")]
    assert found("DL# 123456789") == [("US_DRIVER_LICENSE", "123456789")]
    assert types("INTRODUCTORY H1 offer D1234567") == set()
    assert "US_DRIVER_LICENSE" not in types("driver's license INTRODUCTORY")  # no digits


# ------------------------------------------------------------------ contact details

@pytest.mark.parametrize("value", ["(202) 555-0143", "202-555-0143", "202.555.0143", "+1 202 555 0143",
                                   "+44 20 7946 0958", "+49 30 1234567", "0044 20 7946 0958", "020 7946 0958",
                                   "06 12 34 56 78"])
def test_phone_valid(value):
    assert found(f"reach me at {value} today") == [("PHONE_NUMBER", value)]


def test_phone_extension_and_negatives():
    assert found("call 202-555-0143 x204 now") == [("PHONE_NUMBER", "202-555-0143 x204")]
    assert found("Desk: 202.555.0143x751") == [("PHONE_NUMBER", "202.555.0143x751")]
    assert found("Fax: 001-202-555-0143x38548") == [("PHONE_NUMBER", "001-202-555-0143x38548")]
    assert types("call 102-555-0143 now") == set()  # area code cannot start with 1
    assert types("version 1.2.3 build 20240101") == set()
    assert "PHONE_NUMBER" not in types("ref 2025550143")  # a bare 10-digit run needs a phone word


def test_email_and_obfuscations():
    assert found("write jo.smith+x@ice.dhs.gov.") == [("EMAIL_ADDRESS", "jo.smith+x@ice.dhs.gov")]
    assert found("jo [at] dhs [dot] gov") == [("EMAIL_ADDRESS", "jo [at] dhs [dot] gov")]
    assert types("user@localhost and @handle") == set()


def test_ip_addresses():
    assert found("host 192.168.1.20 up") == [("IP_ADDRESS", "192.168.1.20")]
    assert found("v6 2001:db8::8a2e:370:7334 up") == [("IP_ADDRESS", "2001:db8::8a2e:370:7334")]
    assert found("loopback ::1 and fe80::1%eth0") == [("IP_ADDRESS", "::1"), ("IP_ADDRESS", "fe80::1%eth0")]
    assert types("version 1.2.3.4.5 and 999.1.1.1 at 12:30:45") == set()


def test_date_of_birth_needs_a_birth_word():
    assert found("DOB: 03/14/1985") == [("DATE_OF_BIRTH", "03/14/1985")]
    assert found("she was born on March 14, 1985") == [("DATE_OF_BIRTH", "March 14, 1985")]
    assert found("date of birth 1985-03-14") == [("DATE_OF_BIRTH", "1985-03-14")]
    assert types("the meeting is on 03/14/2025") == set()


def test_street_address():
    t = "Send it to 1600 Pennsylvania Ave NW, Washington, DC 20500 please"
    assert found(t) == [("STREET_ADDRESS", "1600 Pennsylvania Ave NW, Washington, DC 20500")]
    assert found("at 42 Elm Street, Apt 5") == [("STREET_ADDRESS", "42 Elm Street, Apt 5")]
    assert found("P.O. Box 1234") == [("STREET_ADDRESS", "P.O. Box 1234")]
    assert found("Hauptstraße 5, Berlin") == [("STREET_ADDRESS", "Hauptstraße 5")]
    assert found("PSC 1234, Box 5678\nAPO AE 09012") == [("STREET_ADDRESS", "PSC 1234, Box 5678\nAPO AE 09012")]
    assert types("we shipped 3 boxes today") == set()


# ------------------------------------------------------------------ names

def test_person_names():
    assert found("I met John J. Smith today") == [("PERSON", "John J. Smith")]
    assert found("Ask Dr. Okonjo-Iweala") == [("PERSON", "Okonjo-Iweala")]
    assert found("My name is Kowalczyk") == [("PERSON", "Kowalczyk")]
    assert found("What's your last name? Qwertyuiop") == [("PERSON", "Qwertyuiop")]  # a strong cue, unlisted
    assert found("Mary Ann van der Berg signed") == [("PERSON", "Mary Ann van der Berg")]
    assert found("Grace Hopper wrote it") == [("PERSON", "Grace Hopper")]
    assert found("Contact Zbigniew K. Wróblewski today") == [("PERSON", "Zbigniew K. Wróblewski")]  # First I. Last
    assert found("Ask Borkowski about it") == [("PERSON", "Borkowski")]  # a surname's ending
    assert found("I saw Nicodemus Ballesteros there") == [("PERSON", "Nicodemus Ballesteros")]


def test_person_negatives():
    assert types("Will you send the report to Homeland Security by May 5?") == set()
    assert types("The Department of Homeland Security") == set()


@pytest.mark.parametrize(("text", "name"), [
    ("Oluwaseun said he would call back.", "Oluwaseun"),  # a verb said of people
    ("Frank had given the key back.", "Frank"),  # a listed first name that is also a word
    ("Thandiwe, can you check the file?", "Thandiwe"),  # called by name at the start of a sentence
    ("Please enrol my daughter Ximena in the course.", "Ximena"),  # a relative
    ("Petitioner Ngozi Adeyemi filed the form.", "Ngozi Adeyemi"),  # a role, inside the run of capitals
    ("the hearing of respondent Wiremu Tane was moved", "Wiremu Tane"),
    ("a film directed by Apichatpong in 2010", "Apichatpong"),  # a credit
    ("Here is Radoslaw's passport number.", "Radoslaw"),  # owning what people own, without the 's
])
def test_person_names_the_context_tells(text, name):
    assert found(text) == [("PERSON", name)]


@pytest.mark.parametrize("text", [
    "Nobody said anything.", "Everyone lives somewhere.", "Security said the gate is closed.",
    "Cool, what's the address?", "Thanks, can you send it?", "He lives on the north side of town.",
    "Passenger Information was updated.", "Management wanted a report.",
])
def test_ordinary_words_in_those_contexts_are_not_names(text):
    assert "PERSON" not in types(text)


def test_the_english_word_list_is_scowls_lower_case_entries():
    from raigov.genai.guard.names import english_words

    words = english_words()
    assert len(words) == 63_875  # scripts/build_guard_words.py on wamerican 2020.12.07 (docs/genai.md)
    assert {"security", "nobody", "cool", "said"} <= words
    assert not {"oluwaseun", "thandiwe", "kowalczyk"} & words and all(w.isalpha() and w.islower() for w in words)


# ------------------------------------------------------------------ markings

@pytest.mark.parametrize("text", ["SECRET//NOFORN\nThe plan.", "TOP SECRET//SI//NOFORN", "(S//NF) The plan.",
                                  "(TS) The plan.", "CONFIDENTIAL\nbody", "Classified By: J. Doe"])
def test_classification_markings(text):
    assert "CLASSIFICATION_MARKING" in types(text)


@pytest.mark.parametrize("text", ["This is a secret recipe.", "Keep it confidential, please.",
                                  "(C) 2024 Example Corp", "the secrets of SECRETARY work"])
def test_classification_words_in_prose_are_not_markings(text):
    assert types(text) == set()


@pytest.mark.parametrize("text", ["CUI\nbody", "CUI//SP-PRVCY", "(CUI) para", "CUI//SP-CTI/SP-EXPT//NOFORN",
                                  "CUI Category: PRVCY"])
def test_cui_markings(text):
    assert "CUI_MARKING" in types(text)


def test_cui_confidence_depends_on_known_categories():
    known = next(f for f in detect("CUI//SP-PRVCY") if f.type == "CUI_MARKING")
    unknown = next(f for f in detect("CUI//ZZZZ") if f.type == "CUI_MARKING")
    assert known.confidence > unknown.confidence


@pytest.mark.parametrize("text", ["FOR OFFICIAL USE ONLY", "(U//FOUO) para", "U//LES report", "FOUO",
                                  "Law Enforcement Sensitive", "SENSITIVE BUT UNCLASSIFIED"])
def test_legacy_markings(text):
    assert "LEGACY_MARKING" in types(text)


def test_short_legacy_forms_need_their_grammar():
    assert "LEGACY_MARKING" not in types("Les Misérables and the LES office")


# ------------------------------------------------------------------ offsets

def test_offsets_are_code_points_end_exclusive():
    text = "Zoë 😀 — SSN 219-09-9998 and 🎉 DOB: 03/14/1985"
    got = {f.type: (f.start, f.end) for f in detect(text)}
    assert text[slice(*got["US_SSN"])] == "219-09-9998"
    assert text[slice(*got["DATE_OF_BIRTH"])] == "03/14/1985"
    assert got["US_SSN"] == (text.index("219"), text.index("219") + 11)
