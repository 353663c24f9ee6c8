/* The people, places and activities sketch (issue 21), made nicer with JavaScript.

   - "Add another" adds a row to a column (up to the form's data-max-rows).
   - "See what fits" asks the server for the suggestion with the sketch still on screen,
     and shows it below. Only the choices are sent: the names typed have no `name`
     attribute, so FormData leaves them out, and they are never stored anywhere (no
     storage, no cookies): they are gone when the page closes.
   Without JavaScript the form posts to the suggestion page instead. */
(function () {
  "use strict";
  var form = document.getElementById("civic-sketch");
  if (!form || !window.fetch || !window.DOMParser) {
    return;
  }
  var maxRows = parseInt(form.getAttribute("data-max-rows"), 10) || 12;
  var result = document.getElementById("conversation-result");

  function renumber(entry, from, to) {
    var pattern = new RegExp("-" + from + "-");
    entry.setAttribute("data-row", String(to));
    entry.querySelectorAll("[id], [name], [for]").forEach(function (node) {
      ["id", "name", "for"].forEach(function (attribute) {
        var value = node.getAttribute(attribute);
        if (value) {
          node.setAttribute(attribute, value.replace(pattern, "-" + to + "-"));
        }
      });
    });
    var legend = entry.querySelector("legend");
    if (legend) {
      legend.textContent = legend.textContent.replace(/\d+$/, String(to));
    }
    entry.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    entry.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
  }

  form.querySelectorAll(".civic-sketch__add").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var column = button.closest(".civic-sketch__column");
      var entries = column.querySelectorAll(".civic-sketch__entry");
      var last = entries[entries.length - 1];
      var row = parseInt(last.getAttribute("data-row"), 10);
      var copy = last.cloneNode(true);
      renumber(copy, row, row + 1);
      column.insertBefore(copy, button);
      if (row + 1 >= maxRows) {
        button.hidden = true;
      }
      copy.querySelector("input").focus();
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("status " + response.status);
      }
      return response.text();
    }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var section = page.getElementById("conversation-suggestion");
      if (!section) {
        throw new Error("no suggestion in the answer");
      }
      // On this page the suggestion is a part, not the page: its heading is an h2.
      var heading = section.querySelector("h1");
      if (heading) {
        var h2 = document.createElement("h2");
        h2.id = heading.id;
        h2.tabIndex = -1;
        h2.className = "nhsuk-heading-l";
        h2.textContent = heading.textContent;
        heading.replaceWith(h2);
        heading = h2;
      }
      result.replaceChildren(document.importNode(section, true));
      var shown = document.getElementById(heading ? heading.id : "conversation-suggestion");
      if (shown) {
        shown.focus();
      }
    }).catch(function () {
      // Fall back to the page without JavaScript (the names are never sent either way).
      form.submit();
    });
  });
}());
