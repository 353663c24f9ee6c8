// The hand-out's Print button (templates/plans/handout.html). It is hidden until this
// script runs; without JavaScript the page keeps its line telling the reader to use the
// browser's Print command instead.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-civic-print]");
  if (!buttons.length || typeof window.print !== "function") {
    return;
  }
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-civic-print-hint]"), function (hint) {
    hint.hidden = true;
  });
})();
