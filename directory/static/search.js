/* The search page and listing page without losing one's place (progressive enhancement:
   each works without it). Served by the app itself; no inline code, so the CSP holds. */
(function () {
  "use strict";

  /* On a tablet or wider the filters sit in a side panel: open it. On a phone it stays
     folded behind "Filter results" so the first result is on the first screen. */
  var panel = document.querySelector(".civic-filter-panel");
  if (panel && window.matchMedia && window.matchMedia("(min-width: 40.0625em)").matches) {
    panel.open = true;
  }

  /* "Add to shortlist" on a result: add it where it is instead of reloading the page.
     Without this the server sends the page back at the card's anchor (#listing-ID). */
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".civic-shortlist-actions button[formaction]") : null;
    if (!button || !window.fetch || !window.DOMParser) {
      return;
    }
    var card = button.closest(".civic-result");
    if (!card) {
      return;
    }
    event.preventDefault();
    button.disabled = true;
    var body = new FormData();
    body.append(button.name, button.value);
    fetch(button.getAttribute("formaction"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById(card.id);
        var actions = fresh && fresh.querySelector(".civic-shortlist-actions");
        var old = card.querySelector(".civic-shortlist-actions");
        if (!actions || !old) {
          throw new Error("no card in the answer");
        }
        var added = document.importNode(actions, true);
        /* The answer's "Added ... to ..." message, said where the GP is looking. */
        var flash = page.querySelector(".civic-flash p");
        if (flash) {
          var status = document.createElement("p");
          status.className = "nhsuk-body-s civic-added";
          status.setAttribute("role", "status");
          status.textContent = flash.textContent;
          added.appendChild(status);
        }
        old.replaceWith(added);
      })
      .catch(function () {
        /* Let the browser do it the ordinary way (the page comes back at the card). */
        button.disabled = false;
        button.form.action = button.getAttribute("formaction");
        button.form.method = "post";
        var token = document.createElement("input");
        token.type = "hidden";
        token.name = button.name;
        token.value = button.value;
        button.form.appendChild(token);
        button.form.submit();
      });
  });

  /* "Back to search" on a listing reached from the results: go back in the browser's
     history, which also restores the scroll position. The link itself shows the last
     search again from the server when there is no such history. */
  var back = document.querySelector("a.civic-back-to-search");
  if (back && document.referrer && window.history.length > 1) {
    try {
      var from = new URL(document.referrer);
      if (from.origin === window.location.origin && /^\/search(\/last)?$/.test(from.pathname)) {
        back.addEventListener("click", function (event) {
          event.preventDefault();
          window.history.back();
        });
      }
    } catch (error) {
      /* An unreadable referrer: the link works as it is. */
    }
  }
})();
