// panva's openid-client v6 pushing its authorization request (RFC 9126) to the host, knowing only the issuer URL,
// its client id and secret:
//   node par.js ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI [dpop]
// Prints {"authorization_url": ..., "request_uri": ...} as one line (buildAuthorizationUrlWithPAR: the pushed
// request's URL, which carries only client_id and request_uri), reads the callback URL the browser was sent to
// from stdin, then prints one JSON object with what each step gave, or {"error": ...} for the step that threw.
// With `dpop`, a fresh ES256 key signs a DPoP proof (RFC 9449) for the push, the code exchange and userinfo: the push
// carries no dpop_jkt, so only its proof binds the code to the key (section 10.1).
import * as client from 'openid-client';
import readline from 'node:readline';

const [issuer, clientId, clientSecret, redirectUri, mode] = process.argv.slice(2);
const lines = readline.createInterface({input: process.stdin})[Symbol.asyncIterator]();
const nextLine = async () => (await lines.next()).value;
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');

async function main() {
    const out = {};
    let step = 'discovery';
    try {
        const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined,
            {execute: [client.allowInsecureRequests]});
        const metadata = config.serverMetadata();
        out.par_endpoint = metadata.pushed_authorization_request_endpoint;
        out.require_pushed = metadata.require_pushed_authorization_requests;
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const nonce = client.randomNonce();
        const options = mode === 'dpop' ? {DPoP: client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))}
            : undefined;
        step = 'buildAuthorizationUrlWithPAR';
        const url = await client.buildAuthorizationUrlWithPAR(config, {
            redirect_uri: redirectUri, scope: 'openid profile', state, nonce,
            code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
        }, options);
        say({authorization_url: url.href, request_uri: url.searchParams.get('request_uri')});
        const callback = await nextLine();
        step = 'authorizationCodeGrant';
        const tokens = await client.authorizationCodeGrant(config, new URL(callback),
            {pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true},
            undefined, options);
        out.claims = tokens.claims();
        out.scope = tokens.scope;
        out.token_type = tokens.token_type;
        out.access_token = tokens.access_token;
        step = 'fetchUserInfo';
        out.userinfo = await client.fetchUserInfo(config, tokens.access_token, out.claims.sub, options);
    } catch (err) {
        out.error = {step, name: err.name, code: err.code, message: err.message, error: err.error,
            status: err.status, cause: err.cause && (err.cause.message || err.cause.code || String(err.cause))};
    }
    say(out);
}

main();
