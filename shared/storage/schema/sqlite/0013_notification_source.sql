-- What a notification was made from (see mysql/0013_notification_source.sql).
ALTER TABLE notifications ADD COLUMN source_type TEXT NULL;
ALTER TABLE notifications ADD COLUMN source_id INTEGER NULL;

UPDATE notifications SET source_type = 'post', source_id = target_id
 WHERE target_type = 'post' AND kind = 'mention'
   AND EXISTS (SELECT 1 FROM posts p WHERE p.id = notifications.target_id AND p.user_id = notifications.actor_id
               AND p.created_at = notifications.created_at);
UPDATE notifications SET source_type = 'question', source_id = target_id
 WHERE target_type = 'question' AND kind = 'mention'
   AND EXISTS (SELECT 1 FROM questions q WHERE q.id = notifications.target_id AND q.user_id = notifications.actor_id
               AND q.created_at = notifications.created_at);
UPDATE notifications
   SET source_type = 'comment',
       source_id = (SELECT MIN(c.id) FROM comments c WHERE c.post_id = notifications.target_id
                    AND c.user_id = notifications.actor_id AND c.created_at = notifications.created_at)
 WHERE target_type = 'post' AND kind IN ('comment', 'reply', 'mention') AND source_id IS NULL
   AND EXISTS (SELECT 1 FROM comments c WHERE c.post_id = notifications.target_id
               AND c.user_id = notifications.actor_id AND c.created_at = notifications.created_at);
UPDATE notifications
   SET source_type = 'answer',
       source_id = (SELECT MIN(a.id) FROM answers a WHERE a.question_id = notifications.target_id
                    AND a.user_id = notifications.actor_id AND a.created_at = notifications.created_at)
 WHERE target_type = 'question' AND kind IN ('answer', 'reply', 'mention') AND source_id IS NULL
   AND EXISTS (SELECT 1 FROM answers a WHERE a.question_id = notifications.target_id
               AND a.user_id = notifications.actor_id AND a.created_at = notifications.created_at);
