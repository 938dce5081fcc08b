"""The host's numbered schema migrations (the same layout and rules as the plugin's, plugin/store/migrations).

    NNNN_name.sql             portable SQL, for SQLite and PostgreSQL
    NNNN_name.<dialect>.sql   a variant for one dialect ("sqlite" or "postgres") when a statement cannot be shared

Applied at start by `server_stub.accounts.migrate`, each in one transaction with its row in `host_schema_version`
(not `schema_version`: the plugin's store may live in the same PostgreSQL database). A released migration is never
edited: a change is a new number."""
