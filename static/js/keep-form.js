// The language switch keeps what was filled in: when a form marked data-keeps-form (the language
// switch) is sent, the fields of the page's other forms are kept in sessionStorage for the page it
// comes back to, put back into the same forms there, and forgotten at once. Nothing is kept of a
// password, a file, a CSRF token, or for another page. (On the kiosk the idle reset clears
// sessionStorage as well.)
(function () {
  "use strict";
  const KEY = "waystation-kept-form";
  const SKIP = /^(password|file|submit|button|reset|image)$/;

  function keptFields() {
    return Array.prototype.filter.call(document.forms, function (form) { return !form.hasAttribute("data-keeps-form"); })
      .map(function (form) {
        return Array.prototype.filter.call(form.elements, function (el) {
          return el.name && el.name !== "csrf_token" && !SKIP.test(el.type) && !el.disabled;
        }).map(function (el) {
          const choice = el.type === "radio" || el.type === "checkbox";
          return { name: el.name, value: choice ? el.value : (el.multiple ? null : el.value), checked: choice ? el.checked : null,
                   options: el.multiple ? Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; }) : null };
        });
      });
  }

  document.addEventListener("submit", function (event) {
    if (!event.target.hasAttribute("data-keeps-form")) { return; }
    try { sessionStorage.setItem(KEY, JSON.stringify({ path: location.pathname + location.search, forms: keptFields() })); } catch (e) { /* storage may be disabled */ }
  }, true);

  let kept = null;
  try { kept = JSON.parse(sessionStorage.getItem(KEY) || "null"); sessionStorage.removeItem(KEY); } catch (e) { kept = null; }
  if (!kept || kept.path !== location.pathname + location.search || !Array.isArray(kept.forms)) { return; }
  const forms = Array.prototype.filter.call(document.forms, function (form) { return !form.hasAttribute("data-keeps-form"); });
  kept.forms.forEach(function (fields, i) {
    const form = forms[i];
    if (!form || !Array.isArray(fields)) { return; }
    fields.forEach(function (field) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name !== field.name || el.name === "csrf_token" || SKIP.test(el.type)) { return; }
        if (el.type === "radio" || el.type === "checkbox") {
          if (el.value === field.value) { el.checked = !!field.checked; }
        } else if (el.multiple && Array.isArray(field.options)) {
          Array.prototype.forEach.call(el.options, function (o) { o.selected = field.options.indexOf(o.value) >= 0; });
        } else if (typeof field.value === "string") {
          el.value = field.value;
        } else { return; }
        el.dispatchEvent(new Event("input", { bubbles: true }));
        el.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  });
})();
