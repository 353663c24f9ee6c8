/* The Copy button of the summary for the record: puts the text box's text on the
   clipboard. Without JavaScript, or where the clipboard can't be written, the
   read-only text box is there to select and copy by hand. */
(function () {
  "use strict";
  var button = document.querySelector("button[data-copy]");
  if (!button) { return; }
  var box = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById(button.id + "-status");
  if (!box) { return; }
  function say(message) { if (status) { status.textContent = message; } }
  function selectText() { box.focus(); box.select(); }
  if (!navigator.clipboard || !window.isSecureContext) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(box.value).then(
      function () { say("Copied. Paste it into the clinical record."); },
      function () { selectText(); say("Couldn't copy: the text is selected, copy it with your keyboard."); }
    );
  });
}());
