from assistant.answer.acronyms import Glossary
from assistant.ingest.glossary import find_acronyms


def test_glossary_lines_and_inline_definitions() -> None:
    text = "UASC: Unaccompanied asylum-seeking children\n\nOur Multi-Agency Screening Hub (MASH) is busy. The CWAD (CWAD) x."
    found = {a.acronym: a for a in find_acronyms(text, "x.txt")}
    assert found["UASC"].expansion == "Unaccompanied asylum-seeking children"
    assert found["MASH"].expansion == "Multi-Agency Screening Hub"
    assert text[found["MASH"].char_start:found["MASH"].char_end] == "Multi-Agency Screening Hub (MASH)"
    assert "CWAD" not in found  # letters must be the initials of the words before it


def test_initials_may_skip_small_words() -> None:
    found = {a.acronym: a.expansion for a in find_acronyms("It uses Mind of My Own (MOMO) and the Department for Education (DfE).", "x")}
    assert found == {"MOMO": "Mind of My Own", "DfE": "Department for Education"}


def test_expand_both_ways() -> None:
    g = Glossary(find_acronyms("Whole Family Wellbeing Funding (WFWF) was spent.\nUASC: Unaccompanied asylum-seeking children", "x"))
    assert g.expand("What does UASC stand for?").endswith("Unaccompanied asylum-seeking children")
    assert g.expand("Which bids did the Whole Family Wellbeing Fund pay for?").endswith("WFWF")
    assert g.expand("How many children are in care?") == "How many children are in care?"
