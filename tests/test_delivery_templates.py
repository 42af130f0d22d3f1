"""Step templates render through python-liquid's `render_with_context` on the context itself
(`_delivery/templates.py`): the text must be what `BoundTemplate.render(**context)` gives, for
every kind of template a step may carry, failures included."""

from __future__ import annotations

from typing import Any

import pytest
from liquid.exceptions import LiquidError

from novu_mock._delivery.templates import compile_template

CONTEXT: dict[str, Any] = {
    "payload": {"n": 3, "total": 42.5, "items": ["a", "b", "c"], "flag": False, "none": None},
    "subscriber": {"subscriberId": "s1", "firstName": "Ada", "data": {"plan": "pro"}},
    "actor": {},
    "tenant": {"identifier": "t", "name": "Team", "data": None},
    "transactionId": "txn",
    "step": {"digest": True, "events": [{"n": 1}, {"n": 2}], "total_count": 2},
}

SOURCES = [
    "plain text",
    "Hi {{ subscriber.firstName }}, {{ payload.total }} {{ payload.flag }} [{{ payload.none }}]",
    "{{ subscriber.lastName | default: 'there' }} {{ missing.deeply.nested }}",
    "{% if tenant.name %}at {{ tenant.name }}{% endif %}{% unless payload.flag %}!{% endunless %}",
    "{% for item in payload.items %}{{ forloop.index }}={{ item }};{% endfor %}",
    "{% assign who = subscriber.firstName | upcase %}{{ who }} {{ who.size }}",
    "{% assign partial = 1 %}{{ partial }}",  # the name render_with_context puts in front
    "{{ partial }} {{ template }}",
    "{% capture c %}{{ payload.n | plus: 2 }}{% endcapture %}{{ c | append: '!' }}",
    "{{ step.events | json }} {{ step.total_count | pluralize: 'event' }}",
    "{{ payload.items | toSentence }} {{ subscriber | json }}",
    "{% increment x %}{% increment x %}{% cycle 'a', 'b' %}{% cycle 'a', 'b' %}",
    "{{ payload.n | divided_by: 0 }}",  # a failing filter: empty output
    "{% break %}",  # an interrupt outside a loop: empty output
    "{{ payload.items[1] }} {{ payload.items.first }} {{ payload.items.size }}",
    "{% case payload.n %}{% when 3 %}three{% else %}other{% endcase %}",
    "{{ 'x' | unknown_filter }}",
]


@pytest.mark.parametrize("source", SOURCES)
def test_a_template_renders_as_python_liquid_renders_it(source: str) -> None:
    template = compile_template(source)
    bound = template._bound
    if bound is None:
        assert template.render(CONTEXT) == source
        return
    assert template._direct
    try:
        expected = str(bound.render(**CONTEXT))
    except LiquidError:  # the mock renders a failing template empty
        expected = ""
    assert template.render(CONTEXT) == expected
    assert template.render(CONTEXT) == expected  # and again: nothing carried over


def test_rendering_leaves_the_context_as_it_was() -> None:
    context = {"payload": {"n": 1}, "subscriber": {"firstName": "Ada"}}
    compile_template("{% assign payload = 2 %}{% increment n %}{{ payload }}").render(context)
    assert context == {"payload": {"n": 1}, "subscriber": {"firstName": "Ada"}}
