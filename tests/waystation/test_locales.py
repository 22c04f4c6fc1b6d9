"""Every interface string exists in both languages, with the same placeholders."""

from __future__ import annotations

import re

from waystation.web import catalog


def test_zh_and_en_have_the_same_keys_and_placeholders():
    zh, en = catalog("zh"), catalog("en")
    assert sorted(zh) == sorted(en)
    for key in zh:
        assert set(re.findall(r"\{(\w+)\}", zh[key])) == set(re.findall(r"\{(\w+)\}", en[key])), key
