"""The Nu Html Checker that `make test` runs over every visited page really finds what the
issue reported (role on ul, hx-* attributes, empty action, microsecond datetime), and passes
a valid page: so a clean run means something."""

from __future__ import annotations

from tests.html_checker import nu_errors

HEAD = '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>t</title></head><body>'


def test_checker_reports_the_errors_the_issue_found_and_passes_valid_markup(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        HEAD + '<ul role="status"><li>a</li></ul>'
        '<form action=""><select hx-get="/x" name="g"><option>a</option></select></form>'
        '<time datetime="2026-11-30T10:00:00.123456+01:00">x</time></body></html>'
    )
    good = tmp_path / "good.html"
    good.write_text(
        HEAD + '<div role="status"><ul><li>a</li></ul></div>'
        '<form action="/x"><select data-hx-get="/x" name="g"><option>a</option></select></form>'
        '<time datetime="2026-11-30T10:00:00+0100">x</time></body></html>'
    )
    errors = nu_errors([bad, good])
    assert all(error.startswith("bad.html:") for error in errors), errors
    joined = "\n".join(errors)
    assert "“role”" in joined and "“action”" in joined and "hx-get" in joined and "datetime" in joined
