// Show a question only when OMB's rule for it holds (data-show-when: {"all": [{"field", "in"}]}).
// Without JavaScript every question is shown; the server validates either way.
(function () {
  const form = document.querySelector("form.raigov-wide");
  if (!form) return;
  const groups = Array.from(form.querySelectorAll("[data-show-when]")).filter((g) => g.dataset.showWhen);
  function valueOf(name) {
    const els = form.querySelectorAll(`[name="${name}"]`);
    const out = [];
    els.forEach((el) => {
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      if (el.value) out.push(el.value);
    });
    return out;
  }
  function holds(rule) {
    if (rule.all) return rule.all.every(holds);
    if (rule.any) return rule.any.some(holds);
    if (rule.field && rule.in) return valueOf(rule.field).some((v) => rule.in.includes(v));
    return true;
  }
  function update() {
    groups.forEach((g) => { g.hidden = !holds(JSON.parse(g.dataset.showWhen)); });
  }
  form.addEventListener("change", update);
  update();
})();
