// panva's openid-client v6 completing a DPoP (RFC 9449) flow against the host, knowing only the issuer URL, its
// client id and secret:
//   node dpop.js ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI
// A fresh ES256 key (randomDPoPKeyPair) signs every proof; the authorization request carries its thumbprint as
// dpop_jkt. Prints {"authorization_url": ...} as one line, reads the callback URL from stdin, then exchanges the
// code with a proof, calls userinfo and /api/v4/users/me with the DPoP-bound token, refreshes with a proof and
// calls users/me again; prints one JSON object with what each step gave, or {"error": ...} for the step that
// threw. openid-client answers a use_dpop_nonce itself (it retries once with the server's DPoP-Nonce).
import * as client from 'openid-client';

const [issuer, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const lines = (await import('node:readline')).createInterface({input: process.stdin})[Symbol.asyncIterator]();
const nextLine = async () => (await lines.next()).value;
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');

async function usersMe(config, accessToken, dpop) {
    const response = await client.fetchProtectedResource(config, accessToken, new URL(issuer + '/api/v4/users/me'),
        'GET', undefined, undefined, {DPoP: dpop});
    return {status: response.status, body: await response.json()};
}

async function main() {
    const out = {};
    const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined,
        {execute: [client.allowInsecureRequests]});
    out.dpop_signing_alg_values_supported = config.serverMetadata().dpop_signing_alg_values_supported;
    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    out.jkt = await dpop.calculateThumbprint();

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri, scope: 'openid profile email user', state, dpop_jkt: out.jkt,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    say({authorization_url: url.href});
    const callback = await nextLine();

    let step = 'authorizationCodeGrant';
    try {
        const tokens = await client.authorizationCodeGrant(config, new URL(callback),
            {pkceCodeVerifier: verifier, expectedState: state}, undefined, {DPoP: dpop});
        out.token_type = tokens.token_type;
        out.access_token = tokens.access_token;
        const sub = tokens.claims().sub;
        step = 'fetchUserInfo';
        out.userinfo = await client.fetchUserInfo(config, tokens.access_token, sub, {DPoP: dpop});
        step = 'fetchProtectedResource';
        out.me = await usersMe(config, tokens.access_token, dpop);
        step = 'refreshTokenGrant';
        const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, {DPoP: dpop});
        out.refreshed_token_type = refreshed.token_type;
        out.refreshed_access_token = refreshed.access_token;
        step = 'fetchProtectedResource after refresh';
        out.me_after_refresh = await usersMe(config, refreshed.access_token, dpop);
    } catch (err) {
        out.error = {step, name: err.name, code: err.code, message: err.message,
            cause: err.cause && (err.cause.message || err.cause.code || JSON.stringify(err.cause))};
    }
    say(out);
}

main().then(() => process.exit(0), (err) => {
    say({error: {step: 'setup', name: err.name, code: err.code, message: err.message}});
    process.exit(0);
});
