"""In a real browser, a coordinator walks the handbook's tasks (issue 17): one test per thing
that used to trip them up, each clicking by visible labels as a person would."""

from __future__ import annotations

import re

import pytest

from licenses.models import GroupLink
from tests.browser import screenshot
from tests.walk_world import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]


def open_beheer(page, live_server, walk, person=None) -> None:
    sign_in(page, live_server, person or walk.coordinator)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/beheer/")


def tabs(page):
    return page.get_by_role("navigation", name="Schoolgegevens en licenties")


def test_1_help_describes_what_the_app_does_and_a_real_helpdesk(page, live_server, walk):
    open_beheer(page, live_server, walk)
    page.get_by_role("link", name="Help", exact=True).click()
    text = page.locator("main").inner_text()
    assert (
        "in ontwikkeling" not in text and "komt nog" not in text and "vind je de inlogcodes in Basispoort" not in text
    )
    assert "bij de groep op ‘Inlogcodes’" in text
    mail = page.locator("a[href^='mailto:']").get_attribute("href")
    assert mail == "mailto:helpdesk.bao@malmberg.nl"
    page.get_by_role("button", name="English").click()
    text = page.locator("main").inner_text()
    assert "still being developed" not in text and "‘Login codes’ at the group" in text


def test_2_pupils_sharing_a_name_are_told_apart_in_every_list(page, live_server, walk):
    open_beheer(page, live_server, walk)
    expected = {"Bakker, Milan (lln.nr. …1104)", "Bakker, Milan (lln.nr. …1117)"}
    tabs(page).get_by_role("link", name="Leerlingen", exact=True).click()
    page.get_by_label("Zoek op naam").fill("Bakker")
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_url("**q=Bakker**")
    assert set(page.get_by_role("rowheader").all_inner_texts()) == expected

    tabs(page).get_by_role("link", name="Groepen", exact=True).click()
    page.get_by_role("link", name="Details Groep 8", exact=True).click()
    page.locator(".pupil-list li").first.wait_for()
    listed = page.locator(".pupil-list li").all_inner_texts()
    assert expected <= set(listed)

    page.get_by_role("link", name="Inlogcodes Groep 8", exact=True).click()
    rows = page.get_by_role("rowheader").all_inner_texts()
    assert expected <= set(rows)

    tabs(page).get_by_role("link", name="Licenties", exact=True).click()
    page.get_by_role("link", name="Licenties per kind").click()
    page.get_by_role("link", name="Koppelen reken-plus").click()
    page.get_by_label("1. Kies de groep van het kind").select_option(label="Groep 8")
    child = page.get_by_label("2. Kies het kind uit Groep 8")
    child.locator("option").first.wait_for(state="attached")
    options = child.locator("option").all_inner_texts()
    # The other Milan already has this licence; the one left is still shown with his number.
    assert "Bakker, Milan (lln.nr. …1117)" in options and "Bakker, Milan" not in options
    screenshot(page, "walk-2-kies-het-kind")


def test_3_a_coordinator_of_two_schools_switches_school(page, live_server, walk):
    open_beheer(page, live_server, walk)
    page.get_by_role("link", name="Andere school").click()
    page.get_by_role("link", name=re.compile("Het Kompas")).click()
    page.get_by_role("link", name="Beheer", exact=True).click()
    assert page.locator(".topbar__brand").inner_text() == "Het Kompas"


def test_4_login_codes_from_the_groups_tab_inside_beheer(page, live_server, walk):
    open_beheer(page, live_server, walk)
    tabs(page).get_by_role("link", name="Groepen", exact=True).click()
    page.get_by_role("link", name="Inlogcodes Groep 8", exact=True).click()
    assert page.get_by_role("heading", name="Leerlingen en inlogcodes – Groep 8").is_visible()
    assert tabs(page).locator("[aria-current=page]").inner_text() == "Groepen"
    page.get_by_role("link", name="Wijzig login methode voor de groep").click()
    top = page.get_by_role("navigation", name="Hoofdmenu")
    assert top.get_by_role("link", name="Startpagina").is_visible()
    assert top.get_by_role("link", name="Beheer").is_visible()
    page.get_by_role("link", name="Annuleren").click()
    page.get_by_role("link", name="Wachtwoord/leerlingplaatje wijzigen Noor Smit").click()
    assert page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Beheer").is_visible()
    tabs(page).get_by_role("link", name="Groepen", exact=True).click()
    assert page.get_by_role("heading", name="Groepen", level=1).is_visible()


def test_4_a_teacher_reaches_the_codes_from_and_back_to_the_start_page(page, live_server, walk):
    sign_in(page, live_server, walk.teacher)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/")
    page.get_by_role("link", name="Leerlingen en inlogcodes Groep 8").click()
    page.get_by_role("link", name="Wijzig login methode voor de groep").click()
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Startpagina").click()
    assert page.url.rstrip("/").endswith(f"/school/{walk.school.pk}")


def test_6_a_refused_key_is_explained_and_the_number_sent_is_shown(page, live_server, walk):
    open_beheer(page, live_server, walk)
    summary = page.get_by_role("region", name="Resultaatkoppelingen")
    assert "AutorisatieOngeldig" not in page.content()
    assert summary.get_by_text("Momento heeft de autorisatiesleutel geweigerd").is_visible()
    assert summary.get_by_text("1.234 resultaten verstuurd").is_visible()
    tabs(page).get_by_role("link", name="Resultaatkoppelingen", exact=True).click()
    row = page.get_by_role("row", name=re.compile("Momento"))
    assert row.get_by_text("Sleutel wijzigen").first.is_visible()
    assert "1.234 resultaten verstuurd" in row.inner_text() and "Client." not in row.inner_text()
    page.get_by_role("button", name="English").click()
    assert "1,234 results sent" in page.get_by_role("row", name=re.compile("Momento")).inner_text()


def test_7_one_warning_per_method_and_no_repeated_note(page, live_server, walk):
    open_beheer(page, live_server, walk)
    warnings = page.get_by_role("region", name=re.compile("aandachtspunt"))
    text = warnings.inner_text()
    assert "reken-digi is bedoeld" not in text and "reken-papier is bedoeld" not in text
    assert text.count("Rekenroute (Basis digitaal of Basis papier)") == 1
    tabs(page).get_by_role("link", name="Licenties", exact=True).click()
    assert page.locator(".notice").count() == 1, "one yellow box"
    link_form = page.locator("#licentie-" + str(walk.kleuter_licence.pk))
    link_form.get_by_text("Koppelen").click()
    link_form.get_by_label("Kies de groep").select_option(label="Groep 1/2a (jaargroep 1)")
    link_form.get_by_role("button", name="Toevoegen", exact=True).click()
    shown = page.get_by_role("status").inner_text()
    assert "is gekoppeld aan Groep 1/2a" in shown and "lesweek" not in shown


def test_8_linking_starts_from_no_choice_and_the_right_year_levels(page, live_server, walk):
    open_beheer(page, live_server, walk)
    tabs(page).get_by_role("link", name="Licenties", exact=True).click()
    card = page.get_by_role("region", name="reken-digi")
    card.get_by_text("Koppelen").click()
    choice = card.get_by_label("Kies de groep")
    assert choice.input_value() == "", "nothing chosen beforehand"
    offered = choice.locator("option").all_inner_texts()
    assert offered.index("Groep 4 (jaargroep 4)") < offered.index("Groep 1/2a (jaargroep 1)")
    card.get_by_role("button", name="Toevoegen", exact=True).click()
    assert not GroupLink.objects.exists(), "the browser asks for a choice first"
    kleuter = page.get_by_role("region", name="kleutertuin")
    kleuter.get_by_text("Koppelen").click()
    levels = (
        kleuter.get_by_label("Of koppel in één keer alle groepen van jaargroep").locator("option").all_inner_texts()
    )
    assert levels == ["1"]


def test_9_logbook_dates_in_the_active_language(page, live_server, walk):
    open_beheer(page, live_server, walk)
    tabs(page).get_by_role("link", name="Licenties", exact=True).click()
    page.get_by_role("link", name="Logboek").click()
    cell = page.get_by_role("cell", name=re.compile("2026")).first.inner_text()
    assert cell.startswith("30 november 2026"), cell
    page.get_by_role("button", name="English").click()
    cell = page.get_by_role("cell", name=re.compile("2026")).first.inner_text()
    assert cell.startswith("Nov. 30, 2026"), cell


def test_10_print_button_real_address_and_cards_inside_a4(page, live_server, walk):
    open_beheer(page, live_server, walk)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/groepen/{walk.group_8.pk}/inlogcodes/")
    page.get_by_role("link", name="Printversie").click()
    page.wait_for_url("**/inlogcodes/print/")
    page.wait_for_load_state("load")
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="Afdrukken").click()
    assert page.evaluate("window.printed") == 1
    assert "example" not in page.locator(".card__url").first.inner_text()
    assert "https://www.basispoort.nl" in page.locator(".card__url").first.inner_text()
    # A4 minus 12 mm margins is 186 mm ≈ 703 CSS px: every card's right edge fits inside.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 703, "height": 1000})
    rights = page.locator(".card").evaluate_all("cards => cards.map(c => c.getBoundingClientRect().right)")
    assert rights and max(rights) <= 703, rights


def test_11_pictures_chosen_as_pictures_and_a_wrong_number_kept(page, live_server, walk):
    open_beheer(page, live_server, walk)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/groepen/{walk.group_8.pk}/inlogcodes/")
    page.get_by_role("link", name="Wachtwoord/leerlingplaatje wijzigen Noor Smit").click()
    assert page.get_by_role("button", name="Voorstel gebruiken").is_visible()
    first = page.get_by_role("group", name="Plaatje 1")
    assert first.locator("img").count() == 12
    assert page.locator("input[type=radio]:checked").count() == 0, "no picture chosen beforehand"
    first.get_by_label("appel").check()
    page.get_by_role("group", name="Plaatje 2").get_by_label("appel").check()
    page.get_by_role("group", name="Plaatje 3").get_by_label("zon").check()
    page.get_by_role("button", name="Eigen code opslaan").click()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_role("group", name="Plaatje 3").get_by_label("zon").is_checked()

    page.goto(f"{live_server.url}/school/{walk.school.pk}/groepen/{walk.group_8.pk}/inlogcodes/methode/")
    page.get_by_label("Cijfercode").check()
    page.get_by_role("button", name="Ja, geef de groep nieuwe codes").click()
    page.get_by_role("link", name="Wachtwoord/leerlingplaatje wijzigen Noor Smit").click()
    page.get_by_label("Cijfercode (4 tot 6 cijfers)").fill("12a")
    page.get_by_role("button", name="Eigen code opslaan").click()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("Cijfercode (4 tot 6 cijfers)").input_value() == "12a"


def test_15_pictures_beside_names_same_bars_and_columns(page, live_server, walk):
    open_beheer(page, live_server, walk)
    page.goto(f"{live_server.url}/school/{walk.school.pk}/groepen/{walk.group_8.pk}/inlogcodes/")
    row = page.get_by_role("row", name=re.compile("Noor Smit|Smit, Noor"))
    name_box = row.get_by_role("rowheader").bounding_box()
    picture_box = row.locator("img").first.bounding_box()
    name_middle = name_box["y"] + name_box["height"] / 2
    assert abs(picture_box["y"] + picture_box["height"] / 2 - name_middle) <= 3
    meter = page.evaluate("""() => {
        const probe = document.createElement('div');
        probe.innerHTML = '<svg class="meter"><rect class="meter__fill"/></svg>'
            + '<svg class="bar"><rect class="bar__fill"/></svg>';
        document.body.append(probe);
        return [...probe.querySelectorAll('rect')].map(r => getComputedStyle(r).fill);
    }""")
    assert meter[0] == meter[1], meter
    tabs(page).get_by_role("link", name="Licenties", exact=True).click()
    page.get_by_role("link", name="Licenties per kind").click()
    lefts = page.locator(".licence table").evaluate_all(
        "tables => tables.map(t => [...t.querySelectorAll('thead th')]"
        ".map(th => Math.round(th.getBoundingClientRect().left)))"
    )
    assert len(lefts) == 2 and lefts[0] == lefts[1], lefts
