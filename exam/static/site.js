// Behaviour every page may use, without inline script (the Content-Security-Policy forbids it):
// <button data-confirm="…"> asks before submitting its form; <input data-select-on-focus> selects its text.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
});
document.addEventListener("focusin", function (event) {
  if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
});
