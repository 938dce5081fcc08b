// Mattermost's official JavaScript client against the host: node scenario.js http://127.0.0.1:PORT
// Prints one JSON object with what each call answered; a thrown ClientError is recorded, not fatal.
'use strict';

const {Client4} = require('@mattermost/client');

async function attempt(fn) {
    try {
        return {ok: true, value: await fn()};
    } catch (err) {
        return {ok: false, server_error_id: err.server_error_id, status_code: err.status_code, message: err.message};
    }
}

async function main() {
    const url = process.argv[2];
    const admin = new Client4();
    admin.setUrl(url);
    const out = {};

    out.createAdmin = await attempt(() => admin.createUser({email: 'admin@example.com', username: 'admin', password: 'Admin-Passw0rd!'}));
    out.wrongPassword = await attempt(() => admin.login('admin', 'not-the-password'));
    out.login = await attempt(() => admin.login('admin', 'Admin-Passw0rd!'));
    out.tokenSet = admin.getToken().length;
    out.me = await attempt(() => admin.getMe());

    const systemUser = await attempt(() => admin.getRoleByName('system_user'));
    out.systemUser = systemUser;
    if (systemUser.ok) {
        out.patchRole = await attempt(() => admin.patchRole(systemUser.value.id,
            {permissions: [...systemUser.value.permissions, 'manage_oauth']}));
    }
    out.rolesByNames = await attempt(() => admin.getRolesByNames(['system_admin', 'system_user']));

    out.config = await attempt(() => admin.getConfig());
    out.patchConfig = await attempt(() => admin.patchConfig({ServiceSettings: {SiteURL: 'https://chat.example.com'}}));

    out.createUser = await attempt(() => admin.createUser({email: 'user@example.com', username: 'someone', password: 'User-Passw0rd!'}));
    const user = new Client4();
    user.setUrl(url);
    out.userLogin = await attempt(() => user.login('someone', 'User-Passw0rd!'));
    out.userConfig = await attempt(() => user.getConfig());
    if (out.createUser.ok) {
        out.deactivate = await attempt(() => admin.updateUserActive(out.createUser.value.id, false));
    }
    out.userMeAfterDeactivation = await attempt(() => user.getMe());

    out.pluginStatuses = await attempt(() => admin.getPluginStatuses());
    const token = admin.getToken();
    out.logout = await attempt(async () => (await admin.logout()).status);
    admin.setToken(token);  // the logged-out token, presented again
    out.meAfterLogout = await attempt(() => admin.getMe());

    process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
    process.stderr.write(String(err && err.stack || err));
    process.exit(1);
});
