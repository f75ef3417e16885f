// Copy and Print for the recovery codes page (Download and the text box work without this script).
const codes = document.getElementById('codes-text');
const copied = document.querySelector('[data-testid="recovery-codes/copied"]');
const copy = document.querySelector('[data-copy-codes]');
const print = document.querySelector('[data-print-codes]');
if (codes && copy) {
  copy.hidden = false;
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(codes.value);
    } catch {
      codes.select(); // no clipboard permission: leave the codes selected for Ctrl+C
      document.execCommand('copy');
    }
    if (copied) copied.hidden = false;
  });
}
if (print) {
  print.hidden = false;
  print.addEventListener('click', () => window.print());
}
