-- Labels whose confidence is missing or outside [0, 1].
SELECT activity_id, label, classifier_id, confidence
FROM activity_labels
WHERE confidence IS NULL OR confidence < 0 OR confidence > 1
