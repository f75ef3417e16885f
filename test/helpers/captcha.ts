// Solves the sign-up captcha the way the browser widget does: fetch a challenge, brute-force it
// with altcha-lib's solver, and encode { challenge, solution } as the widget's form field.
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';

export async function solveChallengeField(challenge: Challenge): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error('captcha not solved in time');
  return Buffer.from(JSON.stringify({ challenge: { parameters: challenge.parameters, signature: challenge.signature }, solution })).toString('base64');
}

export async function solveCaptcha(serverUrl: string): Promise<string> {
  const response = await fetch(`${serverUrl}/signup/captcha`);
  if (response.status !== 200) throw new Error(`captcha challenge: ${response.status}`);
  return solveChallengeField((await response.json()) as Challenge);
}
