// Signing in with a passkey in Chromium: a virtual authenticator over the
// DevTools protocol (a passkey needs JavaScript and a host name, so these run
// on the preview's localhost address), the emailed sign-in link, and a member
// of staff signed in with a new passkey. Shared by signin.test.mjs and
// desk.test.mjs.

import assert from 'node:assert/strict';

/**
 * A virtual platform authenticator for `page` (it answers that page only), which
 * holds passkeys and confirms the person at once: { cdp, authenticatorId }.
 */
export async function virtualAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

/** The sign-in link in the newest email to `email` (`kit` from previewKit). */
export function signInLink(kit, email) {
  return kit.newestLinkMatching(email, /https?:\/\/[^\s"<>]+\/sign-in\/link\?token=[^\s"<>&]+/, 'sign-in');
}

/**
 * Signs `email`, a member of staff, in on `page` (JavaScript on, at `site`, the
 * localhost address) as the secretariat does the first time: by emailed link,
 * adds a passkey on the account page, signs out, and signs in again with the
 * passkey alone. Ends on /desk/ with a session that may decide.
 */
export async function signInWithNewPasskey(page, { site, kit, email }) {
  await virtualAuthenticator(page);
  await page.goto(`${site}/sign-in/`);
  await page.getByLabel('Email address').fill(email);
  await Promise.all([page.waitForURL(/\/sign-in\/sent\/$/), page.getByLabel('Email address').press('Enter')]);
  await page.goto(signInLink(kit, email));
  await Promise.all([page.waitForURL(`${site}/desk/`), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.goto(`${site}/account/`);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Add a passkey' }).click()]);
  await page.getByText(/Added on .*, not used yet\./).waitFor();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { name: 'Signed out' }).waitFor();
  await Promise.all([page.waitForURL(`${site}/sign-in/`), page.getByRole('link', { name: 'Sign in again' }).click()]);
  await Promise.all([page.waitForURL(`${site}/desk/`), page.getByRole('button', { name: 'Sign in with a passkey' }).click()]);
  assert.doesNotMatch(await page.locator('main').innerText(), /you can read, not change anything/, 'signed in with the passkey, the desk still may not decide');
}
