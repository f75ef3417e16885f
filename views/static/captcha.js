// The sign-up captcha: loads the self-hosted ALTCHA widget and gives it its proof-of-work worker
// (the "external" build ships none, so nothing needs blob: or inline script under our CSP).
import '/static/vendor/altcha.js';

const worker = () => new Worker('/static/vendor/altcha-pbkdf2-worker.js');
for (const algorithm of ['PBKDF2/SHA-256']) globalThis.$altcha.algorithms.set(algorithm, worker);
