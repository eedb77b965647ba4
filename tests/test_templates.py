"""Templates hold nothing the content security policy refuses: scripts and styles come from static
files; an inline <script> or <style> carries the response's nonce; no style attribute, no event
handler attribute (onclick=...), no javascript: URL and no htmx hx-on (which needs eval).

The browser tests (tests/e2e/test_csp.py) show the pages working under the policy; this check
names the line of a new template that would break it, in the project's and every app's folders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_architecture import APPS, ROOT

TEMPLATE_FOLDERS = [ROOT / "templates", *(ROOT / app / "templates" for app in APPS)]
NONCE = 'nonce="{{ request.csp_nonce }}"'
REFUSED = {
    "an inline script without the nonce": re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\bnonce=)"),
    "a <style> without the nonce": re.compile(r"<style\b(?![^>]*\bnonce=)"),
    "a style attribute": re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.S),
    "an event handler attribute": re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S),
    "an hx-on attribute": re.compile(r"<[a-zA-Z][^>]*\s(?:hx|data-hx)-on", re.S),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


COMMENTS = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)


def refused(template: str) -> list[str]:
    # Template comments may name what they avoid; their lines stay counted.
    source = COMMENTS.sub(lambda comment: "\n" * comment.group().count("\n"), template)
    found = []
    for what, pattern in REFUSED.items():
        for match in pattern.finditer(source):
            line = source.count("\n", 0, match.end()) + 1
            found.append(f"line {line}: {what}")
    nonces = re.findall(r'\bnonce="[^"]*"', source)
    found += [f"a nonce other than the response's: {n}" for n in nonces if n != NONCE]
    return found


def _templates() -> list[Path]:
    return sorted(
        path for folder in TEMPLATE_FOLDERS if folder.exists() for path in folder.rglob("*.html")
    )


def test_there_are_templates_to_check():
    assert len(_templates()) > 30


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_holds_what_the_policy_refuses(path):
    assert refused(path.read_text()) == []


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<script type="module">go()</script>',
        "<style>body { margin: 0 }</style>",
        '<p class="x" style="color: red">',
        '<svg><rect style="fill:red"/></svg>',
        '<input readonly\n  onfocus="this.select()">',
        '<a href="javascript:go()">',
        '<button hx-on:click="go()">',
        '<script nonce="abc">go()</script>',
        "{# a comment #}<style>p {}</style>",
    ],
)
def test_the_check_sees_what_the_policy_refuses(source):
    assert refused(source)


@pytest.mark.parametrize(
    "source",
    [
        "<script src=\"{% static 'js/report.js' %}\" defer></script>",
        f"<script {NONCE}>go()</script>",
        f"<style {NONCE}>body {{ margin: 0 }}</style>",
        '<input type="text" readonly data-select-on-focus>',
        '<p class="muted">Keep your styles in app.css; one=two is text.</p>',
        '<form hx-post="/x" hx-target="this" hx-swap="outerHTML">',
        "{# htmx would add an inline <style> #}",
        "{% comment %}No <script> here, no onclick=.{% endcomment %}",
    ],
)
def test_the_check_lets_through_what_the_policy_allows(source):
    assert refused(source) == []
