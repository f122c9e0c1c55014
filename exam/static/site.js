// Behaviour every page may use, without inline script (the Content-Security-Policy forbids it):
// <button data-confirm="…"> asks before submitting its form; <input data-select-on-focus> selects its text;
// logging out, or a finished attempt's page, removes answers the exam page kept on this computer.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
});
document.addEventListener("focusin", function (event) {
  if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
});
function forgetExamAnswers(attempt) {
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const key = localStorage.key(i);
      if (key && key.startsWith("exam-attempt-") && (!attempt || key === "exam-attempt-" + attempt)) localStorage.removeItem(key);
    }
  } catch (e) { /* storage unavailable */ }
}
document.addEventListener("submit", function (event) {
  if (event.target.matches("form[data-logout]")) forgetExamAnswers(null);
});
document.querySelectorAll("[data-finished-attempt]").forEach(function (el) {
  forgetExamAnswers(el.getAttribute("data-finished-attempt"));
});
