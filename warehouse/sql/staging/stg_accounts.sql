-- Grain: one account per (system, identity) as the sources show it, compared by
-- the macro identity_key (GitHub logins are case-insensitive: lower-cased).  A miner may
-- describe one account in several rows (GitHub: the account, then one row per
-- commit e-mail); the e-mails are the union of all rows, the other fields the
-- newest non-null value (updated_at, then fetched_at).
WITH accounts AS (
    SELECT *, identity_key(system, identity) AS identity_key
    FROM raw_accounts
)
SELECT
    system,
    first(identity ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id) AS identity,
    identity_key,
    first(github_id ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id)
        FILTER (WHERE github_id IS NOT NULL) AS github_id,
    first(display_name ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id)
        FILTER (WHERE display_name IS NOT NULL) AS display_name,
    list_sort(list_distinct(flatten(list(list_transform(emails, lambda e: lower(trim(e))))))) AS emails,
    first(account_type ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id)
        FILTER (WHERE account_type IS NOT NULL) AS account_type
FROM accounts
GROUP BY system, identity_key
