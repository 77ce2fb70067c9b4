/* Progressive enhancement for Licensa's forms. Every page works without this file. */
(function () {
  "use strict";

  // "Add a line": copy the formset's empty row from its <template> instead of saving and reloading the page.
  // Without JavaScript the same button submits the form, which saves the draft and comes back with a blank row.
  function addRow(button) {
    var prefix = button.getAttribute("data-formset-add");
    var template = document.getElementById(prefix + "-empty-row");
    var container = document.getElementById(prefix + "-rows");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (!template || !container || !total) {
      return false;
    }
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    var wrapper = document.createElement("div");
    wrapper.innerHTML = html.trim();
    var row = wrapper.firstElementChild;
    container.appendChild(row);
    total.value = String(index + 1);
    if (window.htmx) {
      window.htmx.process(row);
    }
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) {
      first.focus();
    }
    return true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (button && addRow(button)) {
      event.preventDefault();
    }
  });

  // Grey out a row ticked for removal.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("input[type=checkbox][name$='-DELETE']")) {
      var row = box.closest(".formset-row");
      if (row) {
        row.classList.toggle("formset-row-removed", box.checked);
      }
    }
  });

  // Ask before an action that cannot be undone (submit, withdraw). Without JavaScript the button just acts.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // The error summary takes focus, so screen-reader and keyboard users hear what went wrong first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  });
})();
