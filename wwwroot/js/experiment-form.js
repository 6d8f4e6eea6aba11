// The experiment form: shows only the fields that apply to the chosen dataset, model, optimizer and schedules, adds
// and removes the MLP's layers and the sweep's rows, and reads an uploaded spec file into the JSON field.
// Without it the form still works: every field is posted and the server ignores those that do not apply.

function applyConditions(form) {
  for (const field of form.querySelectorAll('[data-when-key]')) {
    const key = field.dataset.whenKey;
    if (!key) continue;
    const control = form.querySelector(`[name="${key}"]`);
    field.hidden = !control || !field.dataset.whenValues.split(',').includes(control.value);
  }
}

function renumber(table) {
  table.querySelectorAll('.layer-row').forEach((row, i) => {
    row.querySelector('.layer-index').textContent = i + 1;
    row.querySelector('.layer-size').setAttribute('aria-label', `Size of layer ${i + 1}`);
    row.querySelector('.layer-act').setAttribute('aria-label', `Activation of layer ${i + 1}`);
    row.querySelector('.remove-layer').setAttribute('aria-label', `Remove layer ${i + 1}`);
  });
}

function cloneRow(row) {
  const copy = row.cloneNode(true);
  copy.querySelectorAll('input').forEach(i => { i.value = ''; });
  copy.querySelectorAll('.field-error').forEach(e => e.remove());
  return copy;
}

export function enhanceForm(form) {
  applyConditions(form);
  form.addEventListener('change', e => { if (e.target.matches('select')) applyConditions(form); });

  const layers = form.querySelector('#layers tbody');
  form.querySelector('#add-layer').addEventListener('click', () => {
    const last = layers.querySelector('.layer-row:last-child');
    const row = cloneRow(last);
    row.querySelector('.layer-act').value = last.querySelector('.layer-act').value;
    layers.appendChild(row);
    renumber(layers);
    row.querySelector('.layer-size').focus();
  });
  layers.addEventListener('click', e => {
    if (!e.target.matches('.remove-layer')) return;
    if (layers.querySelectorAll('.layer-row').length > 1) e.target.closest('tr').remove();
    else e.target.closest('tr').querySelector('.layer-size').value = '';
    renumber(layers);
  });

  const sweepRows = form.querySelector('#sweep-rows tbody');
  form.querySelector('#add-sweep-row').addEventListener('click', () => {
    const row = cloneRow(sweepRows.querySelector('.sweep-row:last-child'));
    row.querySelector('select').value = '';
    sweepRows.appendChild(row);
    row.querySelector('.sweep-key').focus();
  });

  form.querySelector('#spec-file').addEventListener('change', async e => {
    const file = e.target.files[0];
    if (!file) return;
    const text = form.querySelector('#spec_json');
    text.value = await file.text();
    text.closest('details').open = true;
  });
}
