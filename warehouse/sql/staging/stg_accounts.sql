-- Grain: one account per (system, identity) as a source shows it; GitHub logins
-- lower-cased in identity_key (GitHub logins are case-insensitive).
SELECT
    system,
    identity,
    CASE WHEN system = 'github' THEN lower(identity) ELSE identity END AS identity_key,
    github_id,
    display_name,
    list_transform(emails, lambda e: lower(trim(e))) AS emails,
    account_type
FROM raw_accounts
QUALIFY row_number() OVER (
    PARTITION BY system, CASE WHEN system = 'github' THEN lower(identity) ELSE identity END
    ORDER BY updated_at DESC NULLS LAST, fetched_at DESC, source_id
) = 1
