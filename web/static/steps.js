// The project and deadlines pages' small behaviours, from this origin (the CSP runs no
// inline script): after a refused step, the refusal takes the focus, so a keyboard or
// screen-reader user starts from it and a phone shows it; a calendar link copies with
// one button.
(function () {
  "use strict";

  function focusRefusal() {
    var target = document.getElementById("error") || document.querySelector("[data-focus-on-load]");
    if (!target) return;
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "start" });
  }

  function copied(button) {
    var status = document.getElementById(button.getAttribute("data-status"));
    if (status) status.textContent = button.getAttribute("data-copied") || "";
  }

  function copyFrom(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    var text = field.value;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button); }, function () {
        field.select();
        if (document.execCommand("copy")) copied(button);
      });
    } else {
      field.select();
      if (document.execCommand("copy")) copied(button);
    }
  }

  function wireCopyButtons() {
    var buttons = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false; // without this script the button could do nothing: hidden
      buttons[i].addEventListener("click", function (event) { copyFrom(event.currentTarget); });
    }
  }

  function ready() {
    focusRefusal();
    wireCopyButtons();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
