/* Find your organisation: the results list follows what is typed.
 *
 * Progressive enhancement of a plain search form: without this script the form is
 * submitted and the page lists the results. With it, the same list is rebuilt from the
 * JSON endpoint as the person types, and the count is announced (role="status").
 * Links and join buttons are copied from the server's markup, so both work the same.
 */
(function () {
  "use strict";
  var form = document.querySelector("form.civic-org-search");
  if (!form || !window.fetch) { return; }
  var input = form.querySelector("input[name=q]");
  var list = document.getElementById("org-list");
  var count = document.getElementById("org-count");
  var template = document.getElementById("org-item-template");
  var timer = null;
  var latest = 0;

  function item(organisation) {
    var li = template.content.firstElementChild.cloneNode(true);
    var link = li.querySelector("a");
    if (link) {
      link.textContent = organisation.name;
      link.href = link.getAttribute("href").replace("ORGANISATION_ID", encodeURIComponent(organisation.id));
    }
    var button = li.querySelector("button");
    if (button) { button.textContent = "Join " + organisation.name; }
    var hidden = li.querySelector("input[name=organisation]");
    if (hidden) { hidden.value = organisation.id; }
    li.querySelector(".civic-meta").textContent = " \u00b7 " + organisation.sector;
    return li;
  }

  function show(query, organisations) {
    list.replaceChildren.apply(list, organisations.map(item));
    if (!query) { count.textContent = ""; return; }
    var n = organisations.length;
    count.textContent = n ? n + (n === 1 ? " organisation" : " organisations") + " found"
      : "No organisation found for \u201c" + query + "\u201d";
  }

  function search() {
    var query = input.value.trim();
    var ask = ++latest;
    if (query.length < 2) { show("", []); return; }
    fetch(form.dataset.json + "?q=" + encodeURIComponent(query), {headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && ask === latest) { show(query, data.organisations); }
      })
      .catch(function () { /* the Search button still works */ });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });
}());
