// Behaviour the pages need without inline scripts (the Content-Security-Policy allows only files
// served by the app): data-autosubmit submits its form on change; data-print prints the page.
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
