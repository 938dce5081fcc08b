-- Teams, channels and posts (Mattermost's Teams, TeamMembers, Channels, ChannelMembers, Posts).

CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL DEFAULT 'O',
    company_name TEXT NOT NULL DEFAULT '',
    allowed_domains TEXT NOT NULL DEFAULT '',
    invite_id TEXT NOT NULL,
    allow_open_invite INTEGER NOT NULL DEFAULT 0,
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0
);

-- roles: "team_user" or "team_user team_admin"; a member who left keeps the row with delete_at set.
CREATE TABLE team_members (
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    roles TEXT NOT NULL,
    create_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX idx_team_members_user_id ON team_members (user_id);

-- team_id is '' for direct channels, whose name is the two user ids, sorted, joined by "__": the unique index
-- makes the one channel between two users.
CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    header TEXT NOT NULL DEFAULT '',
    purpose TEXT NOT NULL DEFAULT '',
    creator_id TEXT NOT NULL DEFAULT '',
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0,
    last_post_at BIGINT NOT NULL DEFAULT 0,
    last_root_post_at BIGINT NOT NULL DEFAULT 0,
    total_msg_count BIGINT NOT NULL DEFAULT 0,
    total_msg_count_root BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX idx_channels_team_id_name ON channels (team_id, name);

-- roles: "channel_user" or "channel_user channel_admin".
CREATE TABLE channel_members (
    channel_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    roles TEXT NOT NULL,
    last_viewed_at BIGINT NOT NULL DEFAULT 0,
    msg_count BIGINT NOT NULL DEFAULT 0,
    mention_count BIGINT NOT NULL DEFAULT 0,
    last_update_at BIGINT NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX idx_channel_members_user_id ON channel_members (user_id);

-- props: the post's JSON object as text.
CREATE TABLE posts (
    id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    root_id TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT '',
    props TEXT NOT NULL DEFAULT '{}',
    hashtags TEXT NOT NULL DEFAULT '',
    is_pinned INTEGER NOT NULL DEFAULT 0,
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    edit_at BIGINT NOT NULL DEFAULT 0,
    delete_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX idx_posts_channel_id_create_at ON posts (channel_id, create_at);
CREATE INDEX idx_posts_channel_id_update_at ON posts (channel_id, update_at);
CREATE INDEX idx_posts_root_id ON posts (root_id);

-- A system admin may do everything a team or channel member may (Mattermost grants system_admin every
-- permission): the permissions of this release join the system_admin role of a database from before it. A fresh
-- database has no roles yet; they are seeded after the migrations with these already in.
UPDATE roles SET permissions = permissions || ' list_team_channels join_public_channels read_public_channel create_public_channel create_private_channel add_user_to_team remove_user_from_team manage_public_channel_members manage_private_channel_members manage_public_channel_properties manage_private_channel_properties delete_public_channel delete_private_channel read_channel read_channel_content create_post edit_post edit_others_posts delete_post delete_others_posts use_channel_mentions add_reaction remove_reaction upload_file get_public_link use_slash_commands use_group_mentions convert_public_channel_to_private convert_private_channel_to_public'
WHERE name = 'system_admin';
