-- Evidence per activity thread (issue 10): a person's review of a PR with its inline comments and
-- replies is one evidence item.  activity_id stays the representative activity (the one that earned
-- the item); thread_id names the PR / ticket the thread is about; activity_count the activities folded
-- in; excerpt the text that earned it (trimmed; escaped where shown).
ALTER TABLE rubric_evidence ADD COLUMN thread_id VARCHAR;
ALTER TABLE rubric_evidence ADD COLUMN activity_count INTEGER;
ALTER TABLE rubric_evidence ADD COLUMN excerpt VARCHAR;
