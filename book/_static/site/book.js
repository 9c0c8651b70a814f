// The book's own corrections to the markup of its extensions, run once the page is parsed.
// Each says which WCAG 2.1 AA finding of the browser audit (tests/browser, axe-core) it answers.
document.addEventListener("DOMContentLoaded", () => {
  // The bibliography (sphinxcontrib-bibtex) is a role="list" whose entries carry
  // role="doc-biblioentry": DPUB-ARIA 1.1 deprecates that role and it is not a list
  // item, so assistive technology sees a list without items (ARIA 1.3.1,
  // "aria-required-children", critical). The entries are plain list items.
  document.querySelectorAll('[role="list"] > [role="doc-biblioentry"]').forEach((entry) => {
    entry.setAttribute("role", "listitem");
  });
});
