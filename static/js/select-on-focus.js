// A secret shown once (an API key, a webhook's signing secret) is selected as soon as its field
// takes focus, ready to copy. Fields ask for it with data-select-on-focus.
(function () {
  "use strict";
  document.querySelectorAll("[data-select-on-focus]").forEach(function (field) {
    field.addEventListener("focus", function () {
      field.select();
    });
  });
})();
