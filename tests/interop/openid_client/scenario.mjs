// panva's openid-client v6 as a relying party of the host, knowing only the issuer URL, its client id and secret:
//   node scenario.mjs ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI MODE
// Prints {"authorization_url": ...} as one line, reads the callback URL the browser was sent to from stdin, then
// prints one JSON object with what each step gave, or {"error": ...} for the step that threw.
// MODE: "flow" (code + PKCE + state + nonce, ID token validated against the JWKS, userinfo, refresh, logout URL),
// "forged" (the token endpoint's id_token replaced by one signed with a foreign key: must be refused),
// "verify" (only validate the ID token read from stdin against the JWKS now published, after a key rotation).
// Non-repudiation checks are on: openid-client then verifies every ID token's signature against the JWKS (by
// default it trusts the TLS connection to the token endpoint instead, which plain-HTTP tests cannot give).
import * as client from 'openid-client';
import * as jose from 'jose';
import readline from 'node:readline';

const [issuer, clientId, clientSecret, redirectUri, mode] = process.argv.slice(2);
const lines = readline.createInterface({input: process.stdin})[Symbol.asyncIterator]();
const nextLine = async () => (await lines.next()).value;
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');

async function forgeFetch(url, options) {
    const response = await fetch(url, options);
    if (!String(url).endsWith('/oauth/access_token')) return response;
    const body = await response.json();
    const real = jose.decodeJwt(body.id_token);
    const header = jose.decodeProtectedHeader(body.id_token);
    const {privateKey} = await jose.generateKeyPair('RS256');
    body.id_token = await new jose.SignJWT(real).setProtectedHeader({alg: 'RS256', kid: header.kid, typ: 'JWT'})
        .sign(privateKey);
    return new Response(JSON.stringify(body), {status: response.status,
        headers: {'content-type': 'application/json', 'cache-control': 'no-store'}});
}

async function main() {
    const out = {};
    const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined,
        {execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks]});
    out.issuer = config.serverMetadata().issuer;
    if (mode === 'forged') config[client.customFetch] = forgeFetch;

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri, scope: 'openid profile email', state, nonce,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    say({authorization_url: url.href, nonce});
    const callback = await nextLine();

    let step = 'authorizationCodeGrant';
    try {
        const tokens = await client.authorizationCodeGrant(config, new URL(callback),
            {pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true});
        out.id_token = tokens.id_token;
        out.claims = tokens.claims();
        out.id_token_header = jose.decodeProtectedHeader(tokens.id_token);
        step = 'fetchUserInfo';
        out.userinfo = await client.fetchUserInfo(config, tokens.access_token, out.claims.sub);
        step = 'refreshTokenGrant';
        const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
        out.refreshed_claims = refreshed.claims();
        out.refreshed_access_token_differs = refreshed.access_token !== tokens.access_token;
        step = 'buildEndSessionUrl';
        if (config.serverMetadata().end_session_endpoint) {
            out.end_session_url = client.buildEndSessionUrl(config, {
                id_token_hint: refreshed.id_token, post_logout_redirect_uri: redirectUri.replace(/callback$/, 'bye'),
                state}).href;
        }
    } catch (err) {
        out.error = {step, name: err.name, code: err.code, message: err.message,
            cause: err.cause && (err.cause.message || err.cause.code || String(err.cause))};
    }
    say(out);
}

async function verify() {
    // An ID token issued earlier, checked as a relying party checks one: its signature against the JWKS now
    // published (jose's remote key set, as openid-client uses), its issuer and audience.
    const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined,
        {execute: [client.allowInsecureRequests]});
    const idToken = await nextLine();
    try {
        const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
        const {payload, protectedHeader} = await jose.jwtVerify(idToken, jwks,
            {issuer: config.serverMetadata().issuer, audience: clientId});
        say({verified: true, kid: protectedHeader.kid, sub: payload.sub});
    } catch (err) {
        say({verified: false, name: err.name, code: err.code, message: err.message});
    }
}

(mode === 'verify' ? verify() : main()).then(() => process.exit(0), (err) => {
    say({error: {step: 'setup', name: err.name, code: err.code, message: err.message}});
    process.exit(0);
});
