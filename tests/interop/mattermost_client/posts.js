// Mattermost's official JavaScript client acting for a user with an OAuth access token:
// node posts.js http://127.0.0.1:PORT ACCESS_TOKEN CHANNEL_ID_OF_A_TEAM_THE_USER_IS_NOT_IN
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
    const [url, token, elsewhereChannelId] = process.argv.slice(2);
    const app = new Client4();
    app.setUrl(url);
    app.setToken(token);
    const out = {};

    out.me = await attempt(() => app.getMe());
    out.team = await attempt(() => app.createTeam({name: 'js-team', display_name: 'JS team', type: 'O'}));
    out.myTeams = await attempt(() => app.getMyTeams());
    out.myChannels = await attempt(() => app.getMyChannels(out.team.value.id));
    out.townSquare = await attempt(() => app.getChannelByNameAndTeamName('js-team', 'town-square'));
    const channelId = out.townSquare.value.id;
    out.first = await attempt(() => app.createPost({channel_id: channelId, message: 'first from js'}));
    out.second = await attempt(() => app.createPost({channel_id: channelId, message: 'second from js',
        props: {override_username: 'JS Bot'}}));
    out.reply = await attempt(() => app.createPost({channel_id: channelId, message: 'reply from js',
        root_id: out.first.value.id}));
    out.posts = await attempt(() => app.getPosts(channelId, 0, 2));
    out.before = await attempt(() => app.getPostsBefore(channelId, out.second.value.id, 0, 10));
    out.after = await attempt(() => app.getPostsAfter(channelId, out.first.value.id, 0, 10));
    out.since = await attempt(() => app.getPostsSince(channelId, out.second.value.create_at));
    out.post = await attempt(() => app.getPost(out.first.value.id));
    out.patched = await attempt(() => app.patchPost({id: out.first.value.id, message: 'edited from js'}));
    out.deleted = await attempt(() => app.deletePost(out.reply.value.id));
    out.tooLong = await attempt(() => app.createPost({channel_id: channelId, message: 'x'.repeat(16384)}));
    out.notAMember = await attempt(() => app.createPost({channel_id: elsewhereChannelId, message: 'let me in'}));

    process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
    process.stderr.write(String(err && err.stack || err));
    process.exit(1);
});
