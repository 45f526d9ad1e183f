-- Labels that are not a key of classifiers.contract.SIGNALS (signal_vocabulary
-- is registered from that dict when the audits run).
SELECT l.activity_id, l.label, l.classifier_id
FROM activity_labels l
WHERE l.label NOT IN (SELECT label FROM signal_vocabulary)
