// The report form's supplier search. Without this script (or htmx) the field is a plain text input
// with a <datalist>, and the server works out the supplier from what was typed.
(function () {
  "use strict";
  var input = document.getElementById("id_supplier_query");
  var chosen = document.getElementById("id_supplier");
  var choices = document.getElementById("supplier-choices");
  if (!input || !chosen || !choices || !window.htmx) {
    return;
  }
  // htmx shows the results, so the browser's own datalist dropdown would only compete with them.
  input.removeAttribute("list");
  var chosenName = chosen.value ? input.value : "";

  function buttons() {
    return Array.prototype.slice.call(choices.querySelectorAll(".choice-button"));
  }

  function confirm(name) {
    choices.innerHTML = "";
    var note = document.createElement("p");
    note.className = "chosen";
    note.textContent = "Chosen: " + name;
    choices.appendChild(note);
  }

  function choose(button) {
    chosen.value = button.dataset.supplierId;
    chosenName = button.dataset.supplierName;
    input.value = chosenName;
    confirm(chosenName);
    input.removeAttribute("aria-invalid");
    var next = document.getElementById("id_po_number");
    (next || input).focus();
  }

  if (chosen.value && input.value) {
    confirm(input.value);
  }

  input.addEventListener("input", function () {
    if (input.value !== chosenName) {
      chosen.value = "";
    }
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") {
      var first = buttons()[0];
      if (first) {
        event.preventDefault();
        first.focus();
      }
    } else if (event.key === "Enter") {
      // Enter picks the only result instead of sending a half-filled form.
      var all = buttons();
      if (all.length === 1) {
        event.preventDefault();
        choose(all[0]);
      } else if (all.length > 1) {
        event.preventDefault();
        all[0].focus();
      }
    }
  });

  choices.addEventListener("click", function (event) {
    var button = event.target.closest(".choice-button");
    if (button) {
      choose(button);
    }
  });

  choices.addEventListener("keydown", function (event) {
    var all = buttons();
    var index = all.indexOf(document.activeElement);
    if (index < 0) {
      return;
    }
    if (event.key === "ArrowDown" && index < all.length - 1) {
      event.preventDefault();
      all[index + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (index > 0 ? all[index - 1] : input).focus();
    } else if (event.key === "Escape") {
      choices.innerHTML = "";
      input.focus();
    }
  });
})();
