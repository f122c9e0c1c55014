// Question form: show only the answer fields of the chosen type; without JavaScript every field stays visible.
(function () {
  "use strict";
  var form = document.getElementById("question-form");
  if (!form) return;
  var type = form.querySelector("select[name=type]");
  function update() {
    form.querySelectorAll("[data-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for").split(" ").indexOf(type.value) < 0;
    });
  }
  // a single-choice question has one key: ticking one unticks the others
  form.addEventListener("change", function (ev) {
    if (ev.target.name === "keys" && ev.target.checked && type.value === "single") {
      form.querySelectorAll("input[name=keys]").forEach(function (box) { if (box !== ev.target) box.checked = false; });
    }
  });
  type.addEventListener("change", update);
  update();
})();
