"""The translation catalogs' rules: markup kept, the glossary's terms used, Chinese punctuation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from booktest import ROOT
from booktools.catalog_lint import lint_catalog, markup
from booktools.glossary import glossary


def test_markup_is_the_roles_targets_code_math_substitutions_and_link_targets():
    text = ("Mean {glue:text}`normal_mean:.3f`, see {ref}`the normal chapter <normal>` and `torch.normal` "
            "with $\\sigma$, {{ scratchbook_pip }} and [the docs](https://pytorch.org)")
    assert markup(text) == sorted(["{glue:text}normal_mean:.3f", "{ref}normal", "`torch.normal`", "$\\sigma$",
                                   "{{ scratchbook_pip }}", "https://pytorch.org"])


def test_a_ref_title_may_be_translated_but_not_its_target():
    assert markup("{ref}`the normal chapter <normal>`") == markup("{ref}`正态分布一章 <normal>`")
    assert markup("{ref}`x <normal>`") != markup("{ref}`x <randn>`")


def test_the_glossary_page_gives_each_term_and_an_ambiguous_one_only_their_common_chinese():
    terms = {t.english: t.chinese for t in glossary()}
    assert terms["minibatch"] == "小批量" and terms["learning rate"] == "学习率"
    assert terms["random number generator"] == "随机数生成器" and terms["generator"] == "生成器"


def lint(tmp_path: Path, english: str, chinese: str, name: str = "chapter.po") -> list[str]:
    catalog = Catalog(locale="zh_CN")
    catalog.add(english, chinese)
    po = tmp_path / name
    with po.open("wb") as f:
        write_po(f, catalog)
    return lint_catalog(po, glossary())


def test_lint_finds_lost_markup_a_missing_term_a_bare_generator_and_half_width_punctuation(tmp_path):
    english = "Each minibatch has `batch_size` rows."
    assert lint(tmp_path, english, "每个小批量有 `batch_size` 行。") == []
    assert "markup differs" in lint(tmp_path, english, "每个小批量有 batch_size 行。")[0]
    assert "lacks '小批量'" in lint(tmp_path, english, "每批有 `batch_size` 行。")[0]
    assert "bare 生成器" in lint(tmp_path, "Pass a generator.", "传入一个生成器。")[0]
    assert "half-width" in lint(tmp_path, "A minibatch, then another.", "一个小批量,再一个。")[0]


def test_every_catalog_of_the_book_passes_the_lint():
    found = []
    for po in sorted((ROOT / "locales").rglob("*.po")):
        found += lint_catalog(po, glossary())
    assert found == []
