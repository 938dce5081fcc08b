// panva's openid-client v6 as a device (RFC 8628) of the host, knowing only the issuer URL and its client:
//   node device.js ISSUER CLIENT_ID CLIENT_SECRET    (CLIENT_SECRET "-": a public client)
// Prints the device authorization response as one JSON line, then polls the token endpoint as openid-client does
// (waiting the interval, slowing down when told) until the user decides on the verification page, and prints one
// JSON object: the ID token's claims (validated against the JWKS), the granted scope and userinfo; or
// {"error": ..., "step": ...} for the step that threw (a denied device: access_denied).
import * as client from 'openid-client';

const [issuer, clientId, clientSecret] = process.argv.slice(2);
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');

async function main() {
    const out = {};
    const publicClient = clientSecret === '-';
    const config = await client.discovery(new URL(issuer), clientId, publicClient ? undefined : clientSecret,
        publicClient ? client.None() : undefined,
        {execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks]});
    let step = 'initiateDeviceAuthorization';
    try {
        const device = await client.initiateDeviceAuthorization(config, {scope: 'openid profile email users:read'});
        say(device);
        step = 'pollDeviceAuthorizationGrant';
        const tokens = await client.pollDeviceAuthorizationGrant(config, device);
        out.token_type = tokens.token_type;
        out.scope = tokens.scope;
        out.has_refresh_token = Boolean(tokens.refresh_token);
        out.claims = tokens.claims();
        step = 'fetchUserInfo';
        out.userinfo = await client.fetchUserInfo(config, tokens.access_token, out.claims.sub);
        out.access_token = tokens.access_token;
        say(out);
    } catch (err) {
        say({error: err.error || err.code || String(err), description: err.error_description || err.message, step});
    }
}

main().catch((err) => { say({error: String(err), step: 'discovery'}); process.exitCode = 1; });
