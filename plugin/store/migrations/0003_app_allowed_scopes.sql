-- 0003: the scopes an app may ask for, as its registration restricts them (plugin/oauth/scopes.py).

-- Space-separated scope names; '' means the registration restricts nothing (every scope but the admin-only ones).
ALTER TABLE oauth_apps ADD COLUMN allowed_scopes TEXT NOT NULL DEFAULT '';
