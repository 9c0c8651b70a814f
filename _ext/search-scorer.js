/* The book's search ranking (Sphinx's html_search_scorer): Sphinx's own weights,
 * and one rule more. Sphinx gives every page whose title or any section title
 * holds the query the same score, and breaks ties by the title's text, so a
 * search for a chapter's subject could list five chapters that merely have a
 * section mentioning it before the chapter about it. A result whose page title
 * holds the query is now first, then one whose section title holds it. Chinese
 * needs this most: its words are short, so they sit in many titles. */
var Scorer = {
  score: (result) => {
    const [docname, title, anchor, descr, score, filename] = result;
    const query = (new URLSearchParams(window.location.search).get("q") || "").trim().toLowerCase();
    if (!query) return score;
    const plain = title.replace(/<[^>]*>/g, "").toLowerCase();  // without the section number's markup
    const [page, ...sections] = plain.split(" > ");
    if (page.includes(query)) return score + 10;
    if (sections.some((section) => section.includes(query))) return score + 5;
    return score;
  },
  // Sphinx 7.4's defaults (sphinx/themes/basic/static/searchtools.js)
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: {0: 15, 1: 5, 2: -5},
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};
