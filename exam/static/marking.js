// The marking page: the total of the points awarded so far, as the marker types them.
document.querySelectorAll("form[data-marking]").forEach(function (form) {
  const total = form.querySelector("[data-total]");
  if (!total) return;
  function update() {
    let sum = 0, filled = 0;
    form.querySelectorAll("[data-point]").forEach(function (input) {
      const value = parseFloat(input.value);
      if (!isNaN(value)) { sum += value; filled += 1; }
    });
    total.textContent = filled ? String(Math.round(sum * 100) / 100) : "—";
  }
  form.addEventListener("input", update);
  update();
});
